"""The tidy long format (``docs/data-format.md``): its vocabulary, its column specifications
and its one validator.

Every reader of the format asks this module: ``autoserum analyze`` reading a file, the store's
``import`` and the database read of ``analyze --db`` / ``report --db`` validate with
:func:`validate_visits`, :func:`validate_adverse_events` and :func:`validate_con_meds` against
the same :data:`VISIT_COLUMNS`, :data:`AE_COLUMNS` and :data:`CONMED_COLUMNS`; exporters and
the simulator write the columns in :func:`visit_columns` order; the columns of a record's
fields come from the entity registry (:func:`export_columns`). An error from a file names its
line; from a database, the study, subject and visit.

>>> TOTAL_COLUMNS[:3]
('easi', 'scorad', 'oscorad')
>>> total_range("oscorad")
(Fraction(0, 1), Fraction(83, 1))
>>> str(VISIT_COLUMNS["il10"].expected())
'a number from 0 to 10000'
"""

from autoserum.study.tidy._cells import (
    FORMULA_TRIGGERS,
    neutralise_cell,
    neutralise_formulas,
    restore_formulas,
)
from autoserum.study.tidy._columns import (
    AE_COLUMNS,
    CONMED_COLUMNS,
    INSTRUMENT_RANGES,
    ITEM_PREFIXES,
    LAB_UNITS,
    SUBJECT_COLUMNS,
    SUBJECT_LEVEL,
    VISIT_COLUMNS,
    Column,
    Kind,
    export_column,
    export_columns,
    integer_items,
    item_columns,
    visit_columns,
)
from autoserum.study.tidy._validate import (
    as_text_frame,
    validate_adverse_events,
    validate_con_meds,
    validate_visits,
)
from autoserum.study.tidy._vocab import (
    AE_SCHEMA,
    CONMED_SCHEMA,
    DERIVED_TOTALS,
    INSTRUMENT_PARAMETERS,
    PRO_SCHEMA,
    TOTAL_COLUMNS,
    total_range,
)
from autoserum.study.tidy._where import LINE

__all__ = [
    "AE_COLUMNS",
    "AE_SCHEMA",
    "CONMED_COLUMNS",
    "CONMED_SCHEMA",
    "DERIVED_TOTALS",
    "FORMULA_TRIGGERS",
    "INSTRUMENT_PARAMETERS",
    "INSTRUMENT_RANGES",
    "ITEM_PREFIXES",
    "LAB_UNITS",
    "LINE",
    "PRO_SCHEMA",
    "SUBJECT_COLUMNS",
    "SUBJECT_LEVEL",
    "TOTAL_COLUMNS",
    "VISIT_COLUMNS",
    "Column",
    "Kind",
    "as_text_frame",
    "export_column",
    "export_columns",
    "integer_items",
    "item_columns",
    "neutralise_cell",
    "neutralise_formulas",
    "restore_formulas",
    "total_range",
    "validate_adverse_events",
    "validate_con_meds",
    "validate_visits",
    "visit_columns",
]
