"""REDCap of a study (pure core): a data dictionary with REDCap's 18 columns, events, the
instrument-event mapping and records in the flat longitudinal layout, derived from the entity
registry, the instrument registry and the protocol; and a REDCap project's export read back
through a mapping (``docs/exports.md``).

>>> DICTIONARY_COLUMNS[0], RECORD_KEYS[1]
('Variable / Field Name', 'redcap_event_name')
"""

from autoserum.study.redcap._check import check_dictionary
from autoserum.study.redcap._dictionary import (
    DICTIONARY_COLUMNS,
    Project,
    event_name,
    field_name,
    project,
    sum_formula,
)
from autoserum.study.redcap._records import RECORD_KEYS, read_records, record_rows

__all__ = [
    "DICTIONARY_COLUMNS",
    "RECORD_KEYS",
    "Project",
    "check_dictionary",
    "event_name",
    "field_name",
    "project",
    "read_records",
    "record_rows",
    "sum_formula",
]
