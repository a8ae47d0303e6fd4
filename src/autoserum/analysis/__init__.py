"""Trial analysis (pure core): analysis datasets (ADSL/BDS-like) and endpoint analyses over tidy
DataFrames.

>>> from autoserum.analysis import read_long, analyze_endpoint
>>> from autoserum.simulate import simulate_study, write_study
>>> csv, _ = write_study(simulate_study("ast-nahm2023", 30, seed=1), tmp_path / "ast.csv")
>>> frame = read_long(csv)
>>> result = analyze_endpoint(frame, "easi", 8, control="placebo")
>>> round(result.to_json()["between"][0]["ancova"]["estimate"], 2)
-0.07
"""

from autoserum.analysis._adam import (
    ADAM_DATASETS,
    ADSL_HISTORY,
    adam_datasets,
    adam_paramcd,
    visits_from_adam,
    write_adam,
)
from autoserum.analysis._consort import consort_subjects, study_consort
from autoserum.analysis._datasets import ARM_BLINDED, build_adsl, build_bds, parameters_in
from autoserum.analysis._endpoint import EndpointResult, analyze_endpoint, analyze_plan
from autoserum.analysis._federated import FederatedResult, combine_summaries, site_summary
from autoserum.analysis._intercurrent import (
    RESCUE_EVENT,
    apply_strategy,
    estimand_visits,
    rescue_starts,
)
from autoserum.analysis._multiplicity import fixed_sequence, multiplicity_table
from autoserum.analysis._plan import (
    CONTROL_NAMES,
    DEFAULT_PREDICTORS,
    AnalysisPlan,
    choose_arms,
    plan_analysis,
)
from autoserum.analysis._product import PRODUCT_COLUMNS, PRODUCT_ITEMS, product_accountability
from autoserum.analysis._read import (
    StudyData,
    ae_path_for,
    conmed_path_for,
    read_adverse_events,
    read_con_meds,
    read_long,
    read_study,
    study_from_frames,
    validate_long,
)
from autoserum.analysis._rescue import RESCUE_COLUMNS, rescue_table
from autoserum.analysis._responders import (
    MCID,
    ResponderRule,
    responder_definitions,
    responder_expr,
)
from autoserum.analysis._safety import ae_overview, ae_table, lab_shifts
from autoserum.analysis._sap import (
    EXAMPLE_SAP,
    Estimand,
    IntercurrentEvent,
    Sap,
    TimeToEventPlan,
    parse_sap_file,
    parse_sap_text,
)
from autoserum.analysis._secondary import secondary_table
from autoserum.analysis._sensitivity import sensitivity_table
from autoserum.analysis._subgroups import subgroup_table
from autoserum.analysis._tables import attempt
from autoserum.analysis._time_to_event import TimeToEvent, event_times, time_to_first_event

__all__ = [
    "ADAM_DATASETS",
    "ADSL_HISTORY",
    "ARM_BLINDED",
    "CONTROL_NAMES",
    "DEFAULT_PREDICTORS",
    "EXAMPLE_SAP",
    "MCID",
    "PRODUCT_COLUMNS",
    "PRODUCT_ITEMS",
    "RESCUE_COLUMNS",
    "RESCUE_EVENT",
    "AnalysisPlan",
    "EndpointResult",
    "Estimand",
    "FederatedResult",
    "IntercurrentEvent",
    "ResponderRule",
    "Sap",
    "StudyData",
    "TimeToEvent",
    "TimeToEventPlan",
    "adam_datasets",
    "adam_paramcd",
    "ae_overview",
    "ae_path_for",
    "ae_table",
    "analyze_endpoint",
    "analyze_plan",
    "apply_strategy",
    "attempt",
    "build_adsl",
    "build_bds",
    "choose_arms",
    "combine_summaries",
    "conmed_path_for",
    "consort_subjects",
    "estimand_visits",
    "event_times",
    "fixed_sequence",
    "lab_shifts",
    "multiplicity_table",
    "parameters_in",
    "parse_sap_file",
    "parse_sap_text",
    "plan_analysis",
    "product_accountability",
    "read_adverse_events",
    "read_con_meds",
    "read_long",
    "read_study",
    "rescue_starts",
    "rescue_table",
    "responder_definitions",
    "responder_expr",
    "secondary_table",
    "sensitivity_table",
    "site_summary",
    "study_consort",
    "study_from_frames",
    "subgroup_table",
    "time_to_first_event",
    "validate_long",
    "visits_from_adam",
    "write_adam",
]
