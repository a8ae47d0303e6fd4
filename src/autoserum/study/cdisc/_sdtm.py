"""SDTM domains built from a study's records (the rows of its data package) and its protocol.

The records come already blinded and de-identified as the package was read for the viewer
(:mod:`autoserum.study.package`), so the SDTM export honours both without rules of its own: a
blinded package has no arm (``ARMCD``/``ARM`` are ``BLINDED``) and no product given (EC with a
masked treatment instead of EX); a de-identified one has no dates (``--DTC`` empty, study days
kept from the visit plan).

Codes: questionnaire test codes are sponsor-defined (``docs/exports.md``: instrument prefix +
question number for numbered questions (DLQI ``q7b`` → ``DLQI07B``), else the item's position
in the instrument registry, ``…TOT`` for the total); lab test codes are autoserum's analyte
codes in upper case; adverse-event outcome, severity, seriousness and causality map onto CDISC
controlled terms (OUT, AESEV, NY); ``AEDECOD`` repeats the verbatim term (no MedDRA coding in
autoserum).

>>> study_day(date(2024, 1, 10), date(2024, 1, 1)), study_day(date(2023, 12, 31), date(2024, 1, 1))
(10, -1)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import polars as pl

from autoserum.instruments import get_instrument
from autoserum.protocols import Protocol
from autoserum.study.cdisc._vars import DATASETS
from autoserum.study.entities import entity
from autoserum.study.labs import ANALYTES
from autoserum.study.package import column_name
from autoserum.study.tidy import DERIVED_TOTALS
from autoserum.study.vitals import VITAL_SIGNS

__all__ = ["QS_PREFIX", "qs_codes", "sdtm_domains", "study_day"]

Rows = Mapping[str, Sequence[Mapping[str, Any]]]

QS_PREFIX: dict[str, str] = {
    "easi": "EASI",
    "scorad": "SCORAD",
    "dlqi": "DLQI",
    "cdlqi": "CDLQI",
    "poem": "POEM",
    "sassad": "SASSAD",
    "pp_nrs": "PPNRS",
    "sleep_nrs": "SLPNRS",
    "viga_ad": "VIGAAD",
    "patient_global": "PTGLOB",
    "oscorad": "OSCRD",
    "po_scorad": "POSCRD",
}
"""Sponsor-defined QSTESTCD prefix per instrument (QSCAT is the instrument's short name)."""

_OUTCOME = {
    "recovered": "RECOVERED/RESOLVED",
    "recovering": "RECOVERING/RESOLVING",
    "not_recovered": "NOT RECOVERED/NOT RESOLVED",
    "fatal": "FATAL",
    "unknown": "UNKNOWN",
}
_STATUS = {
    "screened": "SCREENED",
    "screen_failed": "SCREEN FAILURE",
    "enrolled": "RANDOMIZED",
    "run_in": "RUN-IN",
    "treatment": "ON TREATMENT",
    "follow_up": "FOLLOW-UP",
    "completed": "COMPLETED",
    "withdrawn": "WITHDRAWAL BY SUBJECT",
}
_BLINDED = "BLINDED"
_CONSENTED = "INFORMED CONSENT OBTAINED"
_WITHDRAWN = _STATUS["withdrawn"]
#: CMCAT of a previous systemic treatment (CM holds prior and concomitant medication).
PRIOR_TREATMENT_CATEGORY = "PRIOR SYSTEMIC THERAPY"
_QUESTION = re.compile(r"^q([0-9]+)([a-z]?)$")


def study_day(on: date | None, reference: date | None) -> int | None:
    """SDTM study day of ``on`` relative to ``reference`` (day 1 = reference; no day 0)."""
    if on is None or reference is None:
        return None
    days = (on - reference).days
    return days + 1 if days >= 0 else days


def qs_codes(instrument: str) -> list[tuple[str, str, str]]:
    """(item column, QSTESTCD, QSTEST) of an instrument's items, then its total.

    >>> [code for _, code, _ in qs_codes("dlqi")[6:9]]
    ['DLQI07', 'DLQI07B', 'DLQI08']
    >>> qs_codes("dlqi")[-1]
    ('total', 'DLQITOT', 'DLQI total score')
    """
    prefix = QS_PREFIX.get(instrument, instrument.upper().replace("_", "")[:5])
    width = 8 - len(prefix)
    out = []
    items = get_instrument(instrument).items if instrument not in DERIVED_TOTALS else ()
    for n, item in enumerate(items, start=1):
        numbered = _QUESTION.match(item.column)
        if numbered and len(prefix) + 2 + len(numbered[2]) <= 8:  # DLQI q7b → DLQI07B
            code = f"{prefix}{int(numbered[1]):02d}{numbered[2].upper()}"
        else:
            code = f"{prefix}{n:02d}" if width >= 2 else f"{prefix[:6]}{n:02d}"
        out.append((item.column, code, (item.label or item.column)[:40]))
    total = (f"{prefix}TOT" if len(prefix) <= 5 else f"{prefix[:5]}TOT", f"{prefix} total score")
    out.append(("total", total[0], total[1][:40]))
    return out


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, Decimal | float | int):
        return format(Decimal(str(value)).normalize(), "f")
    return str(value)


def _num(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(Fraction(str(value)))
    except ValueError:
        return None


def _upper(value: Any) -> str | None:
    return None if value is None else str(value).upper()[:200]


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, date) else None


def _day(value: Any) -> date | None:
    """The date of a date or of a date and time (in UTC, as the package holds it)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).date()
    return value if isinstance(value, date) else None


class _Study:
    """What every domain needs: the study id, subjects, day 0 and visit numbering."""

    def __init__(self, settings: Mapping[str, Any], protocol: Protocol, rows: Rows) -> None:
        self.id = str(settings["name"])
        self.protocol = protocol
        self.rows = rows
        self.subjects = {s["subject_id"]: s for s in rows.get("subject", [])}
        self.visitnum: dict[str, float] = {
            v.code: float(i) for i, v in enumerate(protocol.visits, 1)
        }
        self.visit_label = {v.code: v.label for v in protocol.visits}
        self.visit_day = {v.code: v.day for v in protocol.visits}
        extra = sorted({v["visit"] for v in rows.get("visit", [])} - set(self.visitnum))
        for n, code in enumerate(extra, start=1):
            self.visitnum[code] = 900.0 + n
        self.consents: dict[str, list[Mapping[str, Any]]] = {}
        for c in rows.get("consent", []):
            self.consents.setdefault(str(c["subject_id"]), []).append(c)
        self.visit_dates = {
            (v["subject_id"], v["visit"]): v.get("visit_date") for v in rows.get("visit", [])
        }
        # a de-identified package has no dates: no partial date (a year) is written either
        self.dated = any("day0" in s for s in self.subjects.values())

    def usubjid(self, subject_id: str) -> str:
        return f"{self.id}-{subject_id}"

    def day0(self, subject_id: str) -> date | None:
        value = self.subjects.get(subject_id, {}).get("day0")
        return value if isinstance(value, date) else None

    def visit(self, code: str | None) -> dict[str, Any]:
        if code is None:
            return {"VISITNUM": None, "VISIT": None, "VISITDY": None}
        return {
            "VISITNUM": self.visitnum.get(code),
            "VISIT": self.visit_label.get(code, code).upper()[:200],
            "VISITDY": None if code not in self.visit_day else float(self.visit_day[code] + 1),
        }

    def head(self, domain: str, subject_id: str) -> dict[str, Any]:
        return {"STUDYID": self.id, "DOMAIN": domain, "USUBJID": self.usubjid(subject_id)}


def _frame(name: str, records: list[dict[str, Any]]) -> pl.DataFrame:
    ds = DATASETS[name]
    schema = {v.name: (pl.Float64 if v.type == "Num" else pl.String) for v in ds.variables}
    data = [{v: r.get(v) for v in ds.names} for r in records]
    return pl.DataFrame(data, schema=schema, orient="row")


def _seq(records: list[dict[str, Any]], var: str) -> list[dict[str, Any]]:
    counter: dict[str, int] = {}
    for r in records:
        counter[r["USUBJID"]] = counter.get(r["USUBJID"], 0) + 1
        r[var] = float(counter[r["USUBJID"]])
    return records


def _arm(study: _Study, subject: Mapping[str, Any]) -> tuple[str | None, str | None]:
    if "arm" not in subject:
        return _BLINDED, _BLINDED
    code = subject.get("arm")
    if subject.get("status") == "screen_failed":
        return "SCRNFAIL", "Screen Failure"
    if code is None:
        return "NOTASSGN", "Not Assigned"
    label = next((a.label for a in study.protocol.arms if a.code == code), code)
    return str(code).upper()[:20], label


def _dm(study: _Study) -> list[dict[str, Any]]:
    out = []
    for sid, s in study.subjects.items():
        armcd, arm = _arm(study, s)
        treated = s.get("treated")
        act = (armcd, arm) if treated is not False or armcd in (_BLINDED, "SCRNFAIL") else (
            "NOTTRT", "Not Treated")  # fmt: skip
        signed = [d for c in study.consents.get(sid, ()) if (d := _day(c.get("consented_at")))]
        first = min(signed, default=None)
        out.append({
            **study.head("DM", sid), "SUBJID": sid, "RFSTDTC": _iso(s.get("day0")),
            "RFICDTC": _iso(first),
            "SITEID": s.get("site"), "BRTHDTC": _iso(s.get("birth_date")),
            "AGE": _num(s.get("age")), "AGEU": None if s.get("age") is None else "YEARS",
            "SEX": s.get("sex"), "RACE": _upper(s.get("race")),
            "ETHNIC": _upper(s.get("ethnicity")),
            "ARMCD": armcd, "ARM": arm, "ACTARMCD": act[0], "ACTARM": act[1],
        })  # fmt: skip
    return out


def _ds(study: _Study) -> list[dict[str, Any]]:
    """Per subject: the informed-consent milestone of each consent signed (SDTMIG 3.4 DS:
    DSCAT ``PROTOCOL MILESTONE``, dated on the day of signature), then the subject's one
    disposition event (:func:`_disposition`). A de-identified package has neither dates nor
    reasons: the records stay, undated."""
    out = []
    for sid, s in study.subjects.items():
        day0 = study.day0(sid)
        consents = sorted(
            study.consents.get(sid, ()), key=lambda c: (c.get("consented_at") is None,
                                                         c.get("consented_at"), c.get("record"))
        )  # fmt: skip
        for c in consents:
            on = _day(c.get("consented_at"))
            out.append({
                **study.head("DS", sid), "DSTERM": _CONSENTED, "DSDECOD": _CONSENTED,
                "DSCAT": "PROTOCOL MILESTONE", "DSSTDTC": _iso(on),
                "DSSTDY": _num(study_day(on, day0)),
            })  # fmt: skip
        withdrawal = next((c for c in consents if c.get("withdrawn")), None)
        for event in _disposition(s, withdrawal):
            on = event.pop("on")
            out.append({
                **study.head("DS", sid), **event, "DSSTDTC": _iso(on),
                "DSSTDY": _num(study_day(on, day0)),
            })  # fmt: skip
    return _seq(out, "DSSEQ")


#: Statuses whose disposition a later withdrawal of consent does not replace: the subject's
#: participation had ended (screen failure, completion) before consent was withdrawn.
_ENDED = frozenset({"screen_failed", "completed"})


def _disposition(
    subject: Mapping[str, Any], withdrawal: Mapping[str, Any] | None
) -> list[dict[str, Any]]:
    """The one owner of a subject's disposition in DS: one ``DISPOSITION EVENT``.

    A withdrawal of consent ends participation, so it **is** the disposition (``WITHDRAWAL BY
    SUBJECT``, dated on the withdrawal, DSTERM the reason given) whatever the status says
    (withdrawn, or still active because the status was not changed); otherwise the status
    (undated). A subject who had already completed or failed screening keeps that disposition,
    and the later withdrawal of consent is an ``OTHER EVENT`` (not a second disposition).

    >>> _disposition({"status": "treatment"}, {"withdrawn_on": None,
    ...     "withdrawal_reason": "moved away"})[0]["DSTERM"]
    'MOVED AWAY'
    >>> [e["DSCAT"] for e in _disposition({"status": "completed"}, {"withdrawn_on": None})]
    ['DISPOSITION EVENT', 'OTHER EVENT']
    """
    status = str(subject.get("status"))
    decod = _STATUS.get(status, status.upper())
    term = subject.get("withdrawal_reason") or decod
    if withdrawal is None:
        return [{"DSTERM": term, "DSDECOD": decod, "DSCAT": "DISPOSITION EVENT", "on": None}]
    on = withdrawal.get("withdrawn_on")
    given = withdrawal.get("withdrawal_reason") or subject.get("withdrawal_reason")
    reason = _upper(given) or "WITHDRAWAL OF CONSENT"
    if status in _ENDED:
        return [
            {"DSTERM": term, "DSDECOD": decod, "DSCAT": "DISPOSITION EVENT", "on": None},
            {"DSTERM": reason, "DSDECOD": "WITHDRAWAL OF CONSENT", "DSCAT": "OTHER EVENT",
             "on": on},
        ]  # fmt: skip
    return [{"DSTERM": reason, "DSDECOD": _WITHDRAWN, "DSCAT": "DISPOSITION EVENT", "on": on}]


def _sv(study: _Study) -> list[dict[str, Any]]:
    out = []
    for v in study.rows.get("visit", []):
        sid = v["subject_id"]
        when = v.get("visit_date")
        out.append({
            **study.head("SV", sid), **study.visit(v["visit"]), "SVSTDTC": _iso(when),
            "SVSTDY": _num(study_day(when, study.day0(sid)) if when else _planned_dy(v)),
        })  # fmt: skip
    return out


def _planned_dy(visit: Mapping[str, Any]) -> int | None:
    day = visit.get("day")
    if day is None and visit.get("week") is not None:
        day = int(Fraction(str(visit["week"])) * 7)
    return None if day is None else (int(day) + 1 if int(day) >= 0 else int(day))


def _exposure(study: _Study, domain: str) -> list[dict[str, Any]]:
    p = domain
    out = []
    for inj in study.rows.get("injection", []):
        sid = inj["subject_id"]
        subject = study.subjects.get(sid, {})
        arm = next((a for a in study.protocol.arms if a.code == subject.get("arm")), None)
        route = str(arm.route.value).upper() if arm is not None and arm.route.value else None
        if route is None and study.protocol.arms:
            route = str(study.protocol.arms[0].route.value or "").upper() or None
        treatment = "MASKED STUDY PRODUCT" if domain == "EC" else str(inj.get("product")).upper()
        record = {
            **study.head(domain, sid), f"{p}TRT": treatment,
            f"{p}DOSE": _num(inj.get("volume_ml")), f"{p}DOSU": "mL", f"{p}ROUTE": route,
            f"{p}LOC": inj.get("site"), f"{p}LOT": inj.get("lot"),
            f"{p}STDTC": _iso(inj.get("given_on")),
            f"{p}STDY": _num(study_day(inj.get("given_on"), study.day0(sid))),
            **study.visit(inj.get("visit")),
        }  # fmt: skip
        if domain == "EC":
            record["ECMOOD"] = "PERFORMED"
        out.append(record)
    return _seq(out, f"{p}SEQ")


def _ae(study: _Study) -> list[dict[str, Any]]:
    out = []
    for ae in study.rows.get("adverse_event", []):
        sid = ae["subject_id"]
        onset = ae.get("onset_date")
        day = study_day(onset, study.day0(sid))
        if day is None and ae.get("onset_week") is not None:
            days = int(Fraction(str(ae["onset_week"])) * 7)
            day = days + 1 if days >= 0 else days
        related = ae.get("related")
        out.append({
            **study.head("AE", sid), "AETERM": ae.get("term"),
            "AEDECOD": str(ae.get("term")).upper(), "AESEV": str(ae.get("severity")).upper(),
            "AESER": _text(ae.get("serious")),
            "AEREL": None if related is None else str(related).replace("_", " ").upper(),
            "AEOUT": _OUTCOME.get(str(ae.get("outcome"))), "AESTDTC": _iso(onset),
            "AESTDY": _num(day),
        })  # fmt: skip
    return _seq(out, "AESEQ")


def _cm(study: _Study) -> list[dict[str, Any]]:
    out = []
    for cm in study.rows.get("con_med", []):
        sid = cm["subject_id"]
        out.append({
            **study.head("CM", sid), "CMTRT": cm.get("drug"), "CMDOSTXT": cm.get("dose"),
            "CMROUTE": None if cm.get("route") is None else str(cm["route"]).upper(),
            "CMINDC": cm.get("indication"), "CMSTDTC": _iso(cm.get("start_date")),
            "CMENDTC": _iso(cm.get("end_date")),
            "CMSTDY": _num(study_day(cm.get("start_date"), study.day0(sid))),
        })  # fmt: skip
    for pt in study.rows.get("prior_treatment", []):
        years = (pt.get("start_year"), pt.get("end_year")) if study.dated else (None, None)
        out.append({
            **study.head("CM", pt["subject_id"]), "CMTRT": pt.get("drug"),
            "CMCAT": PRIOR_TREATMENT_CATEGORY, "CMINDC": "ATOPIC DERMATITIS",
            "CMSTDTC": _text(years[0]), "CMENDTC": _text(years[1]),
        })  # fmt: skip
    return _seq(out, "CMSEQ")


def _mh(study: _Study) -> list[dict[str, Any]]:
    """Medical history: atopic dermatitis itself (when its age at onset is recorded) and the
    atopic comorbidities (``autoserum.study.history``; pre-specified but ``other``; ongoing
    at screening or ended before it)."""
    out = []
    for sid, s in study.subjects.items():
        if s.get("ad_onset_age") is not None:
            out.append({
                **study.head("MH", sid), "MHTERM": "ATOPIC DERMATITIS",
                "MHCAT": "PRIMARY DIAGNOSIS", "MHPRESP": "Y", "MHOCCUR": "Y",
                "MHENRTPT": "ONGOING", "MHENTPT": "SCREENING",
            })  # fmt: skip
    for c in study.rows.get("comorbidity", []):
        condition = str(c.get("condition"))
        other = condition == "other"
        term = c.get("detail") if other else condition.replace("_", " ")
        ongoing = c.get("ongoing")
        end = None if ongoing is None else ("ONGOING" if ongoing else "BEFORE")
        out.append({
            **study.head("MH", c["subject_id"]), "MHTERM": _upper(term),
            "MHCAT": "ATOPIC COMORBIDITY", "MHPRESP": None if other else "Y", "MHOCCUR": "Y",
            "MHENRTPT": end, "MHENTPT": None if end is None else "SCREENING",
        })  # fmt: skip
    out.sort(key=lambda r: r["USUBJID"])
    return _seq(out, "MHSEQ")


def _qs(study: _Study) -> list[dict[str, Any]]:
    out = []
    codes: dict[str, list[tuple[str, str, str]]] = {}  # per instrument, computed once
    for a in study.rows.get("assessment", []):
        sid, code = a["subject_id"], a["instrument"]
        when = study.visit_dates.get((sid, a.get("visit")))
        common = {
            **study.head("QS", sid),
            "QSCAT": QS_PREFIX.get(code, code.upper()),
            **study.visit(a.get("visit")),
            "QSDTC": _iso(when),
            "QSDY": _num(study_day(when, study.day0(sid)) if isinstance(when, date) else None),
        }
        inst = None if code in DERIVED_TOTALS else get_instrument(code)
        flat = inst.flatten(a["payload"]) if inst is not None and a.get("payload") else {}
        items = inst.items_by_column if inst is not None else {}
        if code not in codes:
            codes[code] = qs_codes(code)
        for column, testcd, test in codes[code]:
            value = a.get("total") if column == "total" else flat.get(column)
            if value is None:
                continue
            item = items.get(column)
            points = getattr(item, "points", None) if item is not None else None
            standard = points.get(value) if isinstance(points, Mapping) else value
            out.append({
                **common, "QSTESTCD": testcd, "QSTEST": test, "QSORRES": _text(value),
                "QSSTRESC": _text(standard), "QSSTRESN": _num(standard),
                "QSDRVFL": "Y" if column == "total" else None,
            })  # fmt: skip
    return _seq(out, "QSSEQ")


def _lb(study: _Study) -> list[dict[str, Any]]:
    out = []
    for lab in study.rows.get("lab", []):
        sid = lab["subject_id"]
        analyte = ANALYTES.get(lab["analyte"])
        when = study.visit_dates.get((sid, lab.get("visit")))
        flag = lab.get("flag")
        out.append({
            **study.head("LB", sid), "LBTESTCD": lab["analyte"].upper().replace("_", "")[:8],
            "LBTEST": (analyte.label if analyte else lab["analyte"])[:40],
            "LBORRES": _text(lab.get("value")), "LBORRESU": lab.get("unit"),
            "LBORNRLO": _text(lab.get("ref_low")), "LBORNRHI": _text(lab.get("ref_high")),
            "LBSTRESC": _text(lab.get("value")), "LBSTRESN": _num(lab.get("value")),
            "LBSTRESU": lab.get("unit"), "LBNRIND": None if flag is None else str(flag).upper(),
            **study.visit(lab.get("visit")), "LBDTC": _iso(when),
            "LBDY": _num(study_day(when, study.day0(sid)) if isinstance(when, date) else None),
        })  # fmt: skip
    return _seq(out, "LBSEQ")


def _vs(study: _Study) -> list[dict[str, Any]]:
    """One record per sign measured at a visit (``autoserum.study.vitals``: test codes and
    units of CDISC controlled terminology; the stored units are the standard ones)."""
    out = []
    for vs in study.rows.get("vital_sign", []):
        sid = vs["subject_id"]
        when = study.visit_dates.get((sid, vs.get("visit")))
        for sign in VITAL_SIGNS.values():
            value = vs.get(sign.name)
            if value is None:
                continue
            out.append({
                **study.head("VS", sid), "VSTESTCD": sign.testcd, "VSTEST": sign.test,
                "VSORRES": _text(value), "VSORRESU": sign.sdtm_unit, "VSSTRESC": _text(value),
                "VSSTRESN": _num(value), "VSSTRESU": sign.sdtm_unit,
                **study.visit(vs.get("visit")), "VSDTC": _iso(when),
                "VSDY": _num(study_day(when, study.day0(sid)) if isinstance(when, date) else None),
            })  # fmt: skip
    return _seq(out, "VSSEQ")


def _dv(study: _Study) -> list[dict[str, Any]]:
    spec = entity("deviation")
    kind, text = (column_name(spec.field(n)) for n in ("kind", "description"))
    out = []
    for dv in study.rows.get("deviation", []):
        out.append({
            **study.head("DV", dv["subject_id"]),
            "DVTERM": dv.get(text) or str(dv.get(kind)).replace("_", " "),
            "DVCAT": str(dv.get(kind)).upper(), **study.visit(dv.get("visit")),
        })  # fmt: skip
    return _seq(out, "DVSEQ")


def _trial_design(study: _Study) -> dict[str, list[dict[str, Any]]]:
    p, sid = study.protocol, study.id
    elements = [(ph.code.upper().replace("_", "")[:8], ph.label, ph) for ph in p.phases]
    te = [
        {"STUDYID": sid, "DOMAIN": "TE", "ETCD": cd, "ELEMENT": label,
         "TESTRL": f"Study day {ph.start_day}", "TEDUR": f"P{ph.end_day - ph.start_day + 1}D"}
        for cd, label, ph in elements
    ]  # fmt: skip
    ta = [
        {"STUDYID": sid, "DOMAIN": "TA", "ARMCD": arm.code.upper()[:20], "ARM": arm.label,
         "TAETORD": float(n), "ETCD": cd, "ELEMENT": label, "EPOCH": ph.label.upper()}
        for arm in p.arms
        for n, (cd, label, ph) in enumerate(elements, start=1)
    ]  # fmt: skip
    tv = [
        {"STUDYID": sid, "DOMAIN": "TV", "VISITNUM": float(n), "VISIT": v.label.upper(),
         "VISITDY": float(v.day + 1 if v.day >= 0 else v.day),
         "TVSTRL": f"Study day {v.day} (window -{v.window_before or 0}/+{v.window_after or 0} d)"}
        for n, v in enumerate(p.visits, start=1)
    ]  # fmt: skip
    ti = [
        {"STUDYID": sid, "DOMAIN": "TI", "IETESTCD": f"IN{n:02d}",
         "IETEST": rule.description[:200], "IECAT": "INCLUSION"}
        for n, rule in enumerate(p.eligibility, start=1)
    ]  # fmt: skip
    params = [
        ("TITLE", "Trial Title", p.title),
        ("TBLIND", "Trial Blinding Schema", p.blinding.replace("_", " ").upper()),
        ("NARMS", "Planned Number of Arms", str(len(p.arms))),
        ("RANDOM", "Trial is Randomized", "Y" if len(p.arms) > 1 else "N"),
        ("STYPE", "Study Type", "INTERVENTIONAL"),
        ("INDIC", "Trial Disease/Condition Indication", p.condition),
        ("TRT", "Investigational Therapy or Treatment", p.arms[0].label),
        ("PROTCD", "Protocol Code", p.code),
    ]
    ts = [
        {"STUDYID": sid, "DOMAIN": "TS", "TSSEQ": 1.0, "TSPARMCD": cd, "TSPARM": name,
         "TSVAL": str(value)[:200]}
        for cd, name, value in params
    ]  # fmt: skip
    return {"TA": ta, "TE": te, "TV": tv, "TI": ti, "TS": ts}


def sdtm_domains(
    settings: Mapping[str, Any], rows: Rows, *, masked: bool | None = None
) -> dict[str, pl.DataFrame]:
    """The SDTM domains of a study: ``settings`` as in the package descriptor (``name``,
    ``protocol``), ``rows`` per record type as read for the package. EX when the product given
    is in the rows, EC (masked treatment) when it is not or ``masked``."""
    protocol = Protocol.model_validate(settings["protocol"])
    study = _Study(settings, protocol, rows)
    injections = rows.get("injection", [])
    if masked is None:
        masked = any("product" not in r for r in injections)
    records: dict[str, list[dict[str, Any]]] = {
        "DM": _dm(study),
        "DS": _ds(study),
        "SV": _sv(study),
        ("EC" if masked else "EX"): _exposure(study, "EC" if masked else "EX"),
        "AE": _ae(study),
        "CM": _cm(study),
        "MH": _mh(study),
        "QS": _qs(study),
        "LB": _lb(study),
        "VS": _vs(study),
        "DV": _dv(study),
        **_trial_design(study),
    }
    return {name: _frame(name, recs) for name, recs in records.items()}
