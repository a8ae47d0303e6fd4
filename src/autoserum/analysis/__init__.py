"""Trial analysis (pure core): analysis datasets (ADSL/BDS-like) and endpoint analyses over tidy
DataFrames.

>>> from autoserum.analysis import read_long, analyze_endpoint
>>> from autoserum.simulate import simulate_study, write_study
>>> csv, _ = write_study(simulate_study("ast-nahm2023", 30, seed=1), tmp_path / "ast.csv")
>>> frame = read_long(csv)
>>> result = analyze_endpoint(frame, "easi", 8, control="placebo")
>>> round(result.to_json()["between"]["ancova"]["estimate"], 2)
-0.07
"""

from autoserum.analysis._datasets import ARM_BLINDED, build_adsl, build_bds, parameters_in
from autoserum.analysis._endpoint import EndpointResult, analyze_endpoint, choose_arms
from autoserum.analysis._federated import FederatedResult, combine_summaries, site_summary
from autoserum.analysis._read import (
    StudyData,
    ae_path_for,
    read_adverse_events,
    read_long,
    read_study,
    study_from_frames,
    validate_long,
)
from autoserum.analysis._responders import (
    MCID,
    ResponderRule,
    responder_definitions,
    responder_expr,
)
from autoserum.analysis._safety import ae_overview, ae_table, lab_shifts
from autoserum.analysis._secondary import secondary_table
from autoserum.analysis._tables import attempt

__all__ = [
    "ARM_BLINDED",
    "MCID",
    "EndpointResult",
    "FederatedResult",
    "ResponderRule",
    "StudyData",
    "ae_overview",
    "ae_path_for",
    "ae_table",
    "analyze_endpoint",
    "attempt",
    "build_adsl",
    "build_bds",
    "choose_arms",
    "combine_summaries",
    "lab_shifts",
    "parameters_in",
    "read_adverse_events",
    "read_long",
    "read_study",
    "responder_definitions",
    "responder_expr",
    "secondary_table",
    "site_summary",
    "study_from_frames",
    "validate_long",
]
