"""define.xml 2.0 describing the datasets written (CDISC Define-XML 2.0, on ODM 1.3.2).

One ``ItemGroupDef`` per dataset (name, label, structure, its XPT file as ``def:leaf``), one
``ItemDef`` per variable (type, length of the longest value, label, origin), and the
``CodeList`` s of the controlled terms autoserum assigns (severity, outcome, no/yes, sex,
reference range indicator, Fitzpatrick skin type).
Built with lxml; well-formed by construction and parsed back in the tests. It is not validated
against the Define-XML schema, which is not shipped with autoserum (``docs/exports.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import polars as pl
from lxml import etree

from autoserum.study.cdisc._vars import DATASETS, Dataset
from autoserum.study.history import FITZPATRICK_TYPES

__all__ = ["define_xml"]

ODM = "http://www.cdisc.org/ns/odm/v1.3"
DEF = "http://www.cdisc.org/ns/def/v2.0"
XLINK = "http://www.w3.org/1999/xlink"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

_CODELISTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "AESEV": ("Severity/Intensity Scale for Adverse Events", ("MILD", "MODERATE", "SEVERE")),
    "AEOUT": (
        "Outcome of Event",
        (
            "RECOVERED/RESOLVED",
            "RECOVERING/RESOLVING",
            "NOT RECOVERED/NOT RESOLVED",
            "FATAL",
            "UNKNOWN",
        ),
    ),
    "AESER": ("No Yes Response", ("N", "Y")),
    "SEX": ("Sex", ("F", "M", "U")),
    "LBNRIND": ("Reference Range Indicator", ("LOW", "NORMAL", "HIGH")),
    "FITZPAT": ("Fitzpatrick Skin Type (sponsor-defined)", FITZPATRICK_TYPES),
}
"""The code lists, by the name of the variable they are named after."""

_CODELIST_OF: dict[str, str] = dict.fromkeys(("ASTHMFL", "ARHINFL", "FALLGFL", "PRSYSFL"), "AESER")
"""Variables of a code list named after another variable (ADSL's history flags: No Yes)."""


def _e(parent: etree._Element, tag: str, ns: str = ODM, **attrs: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{ns}}}{tag}", {k: v for k, v in attrs.items() if v})


def _text(parent: etree._Element, text: str) -> None:
    desc = _e(parent, "Description")
    translated = _e(desc, "TranslatedText")
    translated.set(XML_LANG, "en")
    translated.text = text


def _length(frame: pl.DataFrame, name: str, numeric: bool) -> str:
    if numeric:
        return "8"
    longest = frame[name].drop_nulls().str.len_bytes().max() if frame.height else None
    return str(max(int(longest), 1)) if isinstance(longest, int) else "1"


def define_xml(
    study: str,
    frames: Mapping[str, pl.DataFrame],
    *,
    created: datetime,
    standard: str = "SDTMIG",
    version: str = "3.3",
    datasets: Mapping[str, Dataset] = DATASETS,
) -> bytes:
    """define.xml of ``frames`` (dataset name → frame written as ``<name>.xpt``)."""
    root = etree.Element(
        f"{{{ODM}}}ODM",
        nsmap={None: ODM, "def": DEF, "xlink": XLINK},
        attrib={
            "FileType": "Snapshot",
            "FileOID": f"DEFINE.{study}.{standard}",
            "ODMVersion": "1.3.2",
            "CreationDateTime": created.strftime("%Y-%m-%dT%H:%M:%S"),
            "Originator": "autoserum",
        },
    )
    st = _e(root, "Study", OID=f"STUDY.{study}")
    glob = _e(st, "GlobalVariables")
    _e(glob, "StudyName").text = study
    _e(glob, "StudyDescription").text = f"autoserum study {study}"
    _e(glob, "ProtocolName").text = study
    mdv = _e(st, "MetaDataVersion", OID=f"MDV.{study}.{standard}", Name=f"{study} {standard}")
    mdv.set(f"{{{DEF}}}DefineVersion", "2.0.0")
    mdv.set(f"{{{DEF}}}StandardName", standard)
    mdv.set(f"{{{DEF}}}StandardVersion", version)
    purpose = "Tabulation" if standard == "SDTMIG" else "Analysis"
    for name in frames:
        ds = datasets[name]
        group = _e(mdv, "ItemGroupDef", OID=f"IG.{name}", Name=name, Repeating="Yes",
                   IsReferenceData="Yes" if name in ("TA", "TE", "TV", "TI", "TS") else "No",
                   SASDatasetName=name, Purpose=purpose)  # fmt: skip
        if name in ("AE", "CM", "DM", "DS", "DV", "EC", "EX", "LB", "MH", "QS", "SV"):
            group.set("Domain", name)
        group.set(f"{{{DEF}}}Structure", ds.structure)
        group.set(f"{{{DEF}}}ArchiveLocationID", f"LF.{name}")
        _text(group, ds.label)
        for n, var in enumerate(ds.variables, start=1):
            key = "Yes" if var.name in ("STUDYID", "USUBJID") else "No"
            _e(group, "ItemRef", ItemOID=f"IT.{name}.{var.name}", OrderNumber=str(n), Mandatory=key)
        leaf = _e(group, "leaf", DEF, ID=f"LF.{name}")
        leaf.set(f"{{{XLINK}}}href", f"{name.lower()}.xpt")
        _e(leaf, "title", DEF).text = f"{name.lower()}.xpt"
    for name, frame in frames.items():
        for var in datasets[name].variables:
            numeric = var.type == "Num"
            item = _e(mdv, "ItemDef", OID=f"IT.{name}.{var.name}", Name=var.name,
                      DataType="float" if numeric else "text",
                      Length=_length(frame, var.name, numeric), SASFieldName=var.name)  # fmt: skip
            _text(item, var.label)
            codelist = _CODELIST_OF.get(var.name, var.name)
            if codelist in _CODELISTS:
                _e(item, "CodeListRef", CodeListOID=f"CL.{codelist}")
            _e(item, "Origin", DEF, Type=var.origin)
    for code, (label, terms) in _CODELISTS.items():
        cl = _e(mdv, "CodeList", OID=f"CL.{code}", Name=label, DataType="text")
        for term in terms:
            _e(cl, "EnumeratedItem", CodedValue=term)
    text: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return text
