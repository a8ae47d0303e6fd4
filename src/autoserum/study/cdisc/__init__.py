"""CDISC exports of a study (pure core): SDTM domains, their SAS transport v5 files and
define.xml (``docs/exports.md``).

>>> sorted(DATASETS)[:5]
['AE', 'CM', 'DM', 'DS', 'DV']
"""

from autoserum.study.cdisc._define import define_xml
from autoserum.study.cdisc._sdtm import QS_PREFIX, qs_codes, sdtm_domains, study_day
from autoserum.study.cdisc._vars import DATASETS, Dataset, Variable, check_names
from autoserum.study.cdisc._write import write_sdtm
from autoserum.study.cdisc._xpt import read_xpt, write_xpt

__all__ = [
    "DATASETS",
    "QS_PREFIX",
    "Dataset",
    "Variable",
    "check_names",
    "define_xml",
    "qs_codes",
    "read_xpt",
    "sdtm_domains",
    "study_day",
    "write_sdtm",
    "write_xpt",
]
