"""Trial analysis (pure core): analysis datasets (ADSL/BDS-like) and endpoint analyses over tidy
DataFrames.

>>> from autoserum.analysis import read_long, build_adsl
>>> adsl = build_adsl(read_long("tests/analysis/data/two_arm.csv"))  # doctest: +SKIP
"""

from autoserum.analysis._datasets import ARM_BLINDED, build_adsl, build_bds, parameters_in
from autoserum.analysis._read import (
    StudyData,
    ae_path_for,
    read_adverse_events,
    read_long,
    read_study,
)

__all__ = [
    "ARM_BLINDED",
    "StudyData",
    "ae_path_for",
    "build_adsl",
    "build_bds",
    "parameters_in",
    "read_adverse_events",
    "read_long",
    "read_study",
]
