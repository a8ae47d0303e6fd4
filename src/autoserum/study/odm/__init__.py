"""CDISC ODM 1.3.2 XML of a study (pure core): the whole study in one document, its metadata
derived from the entity registry, the instrument registry and the protocol, and back
(``docs/exports.md``).

>>> from autoserum.study.entities import entity
>>> form_oid(entity("con_med")), qs_form_oid("easi")
('F.CON_MED', 'F.QS.EASI')
"""

from autoserum.study.odm._layout import NS, form_oid, item_oid, qs_form_oid
from autoserum.study.odm._read import OdmContent, read_odm
from autoserum.study.odm._write import odm_xml

__all__ = ["NS", "OdmContent", "form_oid", "item_oid", "odm_xml", "qs_form_oid", "read_odm"]
