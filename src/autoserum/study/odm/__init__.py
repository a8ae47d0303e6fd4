"""CDISC ODM 1.3.2 XML of a study (pure core): the whole study in one document, its metadata
derived from the entity registry, the instrument registry and the protocol, and back
(``docs/exports.md``).

>>> from autoserum.study.entities import entity
>>> form_oid(entity("con_med")), qs_form_oid("easi")
('F.CON_MED', 'F.QS.EASI')
"""

from autoserum.study.odm._layout import (
    ASSESSMENT,
    CONSENT,
    CONSENT_DOCUMENT,
    NS,
    ODM_REGISTRY,
    Flags,
    choice_text,
    data_specs,
    field_columns,
    form_oid,
    instrument_of,
    item_columns,
    item_oid,
    qs_form_oid,
    subject_specs,
    visit_linked,
)
from autoserum.study.odm._read import OdmContent, read_odm
from autoserum.study.odm._write import odm_xml

# ASSESSMENT … visit_linked: how a record type's columns are carried by an exchange format
# (also read by autoserum.study.redcap)
__all__ = [
    "ASSESSMENT",
    "CONSENT",
    "CONSENT_DOCUMENT",
    "NS",
    "ODM_REGISTRY",
    "Flags",
    "OdmContent",
    "choice_text",
    "data_specs",
    "field_columns",
    "form_oid",
    "instrument_of",
    "item_columns",
    "item_oid",
    "odm_xml",
    "qs_form_oid",
    "read_odm",
    "subject_specs",
    "visit_linked",
]
