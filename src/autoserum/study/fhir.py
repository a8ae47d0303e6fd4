"""A study as a FHIR R4 transaction Bundle (pure core; ``docs/exports.md``).

Built from the rows of the study's data package (so blinding and de-identification are the
package's) and its protocol: a ``ResearchStudy`` (arms from the protocol), a ``Questionnaire``
per instrument used (items, answer options and ``enableWhen`` from the instrument registry: the
DLQI's q7b is asked when q7 is "no"), a pseudonymous ``Patient`` per subject (an identifier in
the study's system, the administrative gender; no name, no birth date), a ``ResearchSubject``
(its arm only when the package has arms), a ``QuestionnaireResponse`` per assessment, an
``Observation`` per instrument total (autoserum's code system: LOINC codes for these totals were
not verified) and per lab result (LOINC for total IgE and eosinophils; UCUM units).

Every resource has a deterministic ``urn:uuid`` (UUID 5 of the study and the record), so the
same study gives the same Bundle. :func:`validate_bundle` parses it with the ``fhir.resources``
R4B models (the package ships no 4.0.1 models; the elements used here are the same in R4).

>>> LAB_LOINC["ige"]
('19113-0', 'IgE [Units/volume] in Serum or Plasma')
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from autoserum.instruments import get_instrument
from autoserum.protocols import Protocol
from autoserum.study.labs import ANALYTES
from autoserum.study.tidy import DERIVED_TOTALS

__all__ = ["CODE_SYSTEM", "LAB_LOINC", "fhir_bundle", "validate_bundle"]

CODE_SYSTEM = "https://autoserum.org/fhir/CodeSystem/autoserum"
"""autoserum's code system for instrument totals and labs without a LOINC code here
(codes: ``<instrument>-total``, ``lab-<analyte>``)."""
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
LAB_LOINC: dict[str, tuple[str, str]] = {
    "ige": ("19113-0", "IgE [Units/volume] in Serum or Plasma"),
    "eosinophils": ("26449-9", "Eosinophils [#/volume] in Blood"),
    "eosinophils_pct": ("26450-7", "Eosinophils/100 leukocytes in Blood"),
}
"""LOINC codes of the labs that have one here (others use :data:`CODE_SYSTEM`)."""

_NS = uuid.UUID("6f1c0a52-4d0e-4f53-9a40-0c7b3e0f5a11")
_GENDER = {"F": "female", "M": "male"}


def _urn(*parts: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NS, '/'.join(parts))}"


def _number(value: Any) -> float | int:
    number = Fraction(str(value))
    return int(number) if number.denominator == 1 else float(number)


def _questionnaire(code: str) -> dict[str, Any]:
    inst = get_instrument(code)
    items = []
    for item in inst.items:
        entry: dict[str, Any] = {"linkId": item.column, "text": item.label}
        if item.kind == "choice":
            entry["type"] = "choice"
            entry["answerOption"] = [
                {"valueCoding": {"system": f"{CODE_SYSTEM}/{code}", "code": str(a)}}
                for a in item.allowed or ()
            ]
        else:
            whole = item.step == 1 or (
                item.allowed is not None and all(Fraction(a).denominator == 1 for a in item.allowed)
            )
            entry["type"] = "integer" if whole else "decimal"
        if item.condition is not None:
            question, answer = item.condition
            entry["enableWhen"] = [
                {
                    "question": question,
                    "operator": "=",
                    "answerCoding": {"system": f"{CODE_SYSTEM}/{code}", "code": answer},
                }
            ]
        items.append(entry)
    return {
        "resourceType": "Questionnaire",
        "url": f"{CODE_SYSTEM}/Questionnaire/{code}",
        "name": code.upper(),
        "title": inst.name,
        "status": "active",
        "item": items,
    }


def _answer(item: Any, value: Any) -> dict[str, Any]:
    if item.kind == "choice":
        return {"valueCoding": {"code": str(value)}}
    number = _number(value)
    return {"valueInteger": number} if isinstance(number, int) else {"valueDecimal": number}


def fhir_bundle(
    settings: Mapping[str, Any], rows: Mapping[str, Sequence[Mapping[str, Any]]]
) -> dict[str, Any]:
    """The transaction Bundle of a study (``settings`` and ``rows`` as in its data package)."""
    name = str(settings["name"])
    protocol = Protocol.model_validate(settings["protocol"])
    entries: list[dict[str, Any]] = []

    def add(resource: dict[str, Any], url: str) -> str:
        entries.append(
            {
                "fullUrl": url,
                "resource": resource,
                "request": {"method": "POST", "url": resource["resourceType"]},
            }
        )
        return url

    study_url = add(
        {
            "resourceType": "ResearchStudy",
            "identifier": [{"system": f"{CODE_SYSTEM}/study", "value": name}],
            "title": protocol.title,
            "status": "active",
            "arm": [{"name": a.code, "description": a.label} for a in protocol.arms],
        },
        _urn(name, "study"),
    )
    used = sorted({a["instrument"] for a in rows.get("assessment", [])} - DERIVED_TOTALS)
    questionnaires = {c: add(_questionnaire(c), _urn(name, "q", c)) for c in used}
    patients: dict[str, str] = {}
    for subject in rows.get("subject", []):
        sid = subject["subject_id"]
        patient: dict[str, Any] = {
            "resourceType": "Patient",
            "identifier": [{"system": f"{CODE_SYSTEM}/study/{name}/subject", "value": sid}],
        }
        if subject.get("sex") in _GENDER:
            patient["gender"] = _GENDER[subject["sex"]]
        patients[sid] = add(patient, _urn(name, "patient", sid))
        research: dict[str, Any] = {
            "resourceType": "ResearchSubject",
            "status": "withdrawn" if subject.get("status") == "withdrawn" else "on-study",
            "study": {"reference": study_url},
            "individual": {"reference": patients[sid]},
        }
        if subject.get("arm"):
            research["assignedArm"] = research["actualArm"] = subject["arm"]
        add(research, _urn(name, "research-subject", sid))
    dates = {(v["subject_id"], v["visit"]): v.get("visit_date") for v in rows.get("visit", [])}
    for n, a in enumerate(rows.get("assessment", [])):
        sid, code = a["subject_id"], a["instrument"]
        when = dates.get((sid, a.get("visit")))
        response_url = None
        if code in questionnaires and a.get("payload"):
            inst = get_instrument(code)
            flat = inst.flatten(a["payload"])
            answers = [
                {"linkId": it.column, "answer": [_answer(it, flat[it.column])]}
                for it in inst.items
                if flat.get(it.column) is not None
            ]
            response: dict[str, Any] = {
                "resourceType": "QuestionnaireResponse",
                "questionnaire": f"{CODE_SYSTEM}/Questionnaire/{code}",
                "status": "completed",
                "subject": {"reference": patients[sid]},
                "item": answers,
            }
            if isinstance(when, date):
                response["authored"] = when.isoformat()
            response_url = add(response, _urn(name, "qr", str(n)))
        if a.get("total") is None:
            continue
        observation = _observation(
            patients[sid],
            {"system": CODE_SYSTEM, "code": f"{code}-total", "display": f"{code} total score"},
            {"valueQuantity": {"value": float(Fraction(str(a["total"])))}},
            when,
        )
        observation["category"] = [_category("survey")]
        if response_url is not None:
            observation["derivedFrom"] = [{"reference": response_url}]
        add(observation, _urn(name, "obs", str(n)))
    for n, lab in enumerate(rows.get("lab", [])):
        sid, analyte = lab["subject_id"], lab["analyte"]
        loinc = LAB_LOINC.get(analyte)
        label = ANALYTES[analyte].label if analyte in ANALYTES else analyte
        coding = (
            {"system": LOINC, "code": loinc[0], "display": loinc[1]}
            if loinc
            else {"system": CODE_SYSTEM, "code": f"lab-{analyte}", "display": label}
        )
        unit = str(lab.get("unit") or "")
        quantity: dict[str, Any] = {"value": float(Decimal(str(lab["value"])))}
        if unit:
            quantity.update({"unit": unit, "system": UCUM, "code": unit})
        when = dates.get((sid, lab.get("visit")))
        observation = _observation(patients[sid], coding, {"valueQuantity": quantity}, when)
        observation["category"] = [_category("laboratory")]
        if lab.get("ref_low") is not None or lab.get("ref_high") is not None:
            observation["referenceRange"] = [
                {
                    key: {"value": float(Decimal(str(lab[col]))), "system": UCUM, "code": unit}
                    for key, col in (("low", "ref_low"), ("high", "ref_high"))
                    if lab.get(col) is not None
                }
            ]
        add(observation, _urn(name, "lab", str(n)))
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def _category(code: str) -> dict[str, Any]:
    system = "http://terminology.hl7.org/CodeSystem/observation-category"
    return {"coding": [{"system": system, "code": code}]}


def _observation(
    patient: str, coding: Mapping[str, str], value: Mapping[str, Any], when: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [dict(coding)]},
        "subject": {"reference": patient},
        **value,
    }
    if isinstance(when, date):
        out["effectiveDateTime"] = when.isoformat()
    return out


def validate_bundle(bundle: Mapping[str, Any]) -> int:
    """Parse ``bundle`` with the ``fhir.resources`` R4B models (every entry's resource by its
    type); a :class:`pydantic.ValidationError` names what is wrong. Returns the entry count."""
    from fhir.resources.R4B.bundle import Bundle

    parsed = Bundle.model_validate(bundle)
    return len(parsed.entry or [])
