"""The report to the data and safety monitoring board (DSMB), in two parts produced separately.

- **Open part** (for the sponsor, investigators and the open session): pooled over arms. It is
  built from a copy of the study with every allocation removed before any analysis (no ``arm``
  column in the visits or adverse events, every randomised subject in one pooled group), so no
  table, figure or text can carry arm data; it names no arm and prints no efficacy comparison.
  It shows accrual by site, the pooled participant flow with its reasons, baseline
  characteristics, data completeness by visit and safety.
- **Closed part** (for the DSMB's closed session only): by arm. It needs unblinded data (an
  ``arm`` column: a file with allocations, or a database read by a role that sees arms); it is
  the study report (efficacy and safety by arm, the CONSORT flow by arm) under a closed-session
  heading.

Reference: DAMOCLES Study Group. A proposed charter for clinical trial data monitoring
committees. Lancet 2005;365:711-22 (open and closed reports); ICH E9 §4.5; FDA guidance
*Establishment and Operation of Clinical Trial Data Monitoring Committees* (2006), §6.3.

>>> from autoserum.analysis import study_from_frames
>>> from autoserum.simulate import simulate_study
>>> sim = simulate_study("ast-nahm2023", 30, seed=1)
>>> study = study_from_frames(sim.visits, sim.adverse_events, "simulated AST")
>>> doc = dsmb_document(study, "open", protocol="ast-nahm2023")
>>> [s.id for s in doc.sections]
['summary', 'accrual', 'consort', 'baseline', 'completeness', 'safety']
>>> "arm" in pooled_study(study).visits.columns
False
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

from autoserum import __version__
from autoserum.analysis import ARM_BLINDED, Sap, StudyData, build_adsl, parameters_in
from autoserum.errors import Expected, ValidationError
from autoserum.i18n import DEFAULT_LANGUAGE, N_, format_date, using
from autoserum.protocols import Protocol, resolve_protocol
from autoserum.report._build import build_report, consort_section, safety_section
from autoserum.report._conduct import masked_arms
from autoserum.report._document import Document, Section
from autoserum.report._html import render_html
from autoserum.report._i18n import gettext as _
from autoserum.report._i18n import note_text, word
from autoserum.report._pdf import render_pdf
from autoserum.report._tables import Table, baseline_display, label
from autoserum.study.tidy import INSTRUMENT_RANGES

__all__ = ["DSMB_PARTS", "DsmbFiles", "dsmb_document", "pooled_study", "write_dsmb"]

DsmbPart = Literal["open", "closed"]
DSMB_PARTS: tuple[DsmbPart, ...] = ("open", "closed")


@dataclass(frozen=True)
class DsmbFiles:
    """The files of one part of a DSMB report."""

    part: DsmbPart
    html: Path
    pdf: Path
    document: Document


def pooled_study(study: StudyData) -> StudyData:
    """``study`` with every allocation removed: no ``arm`` column in the visits, adverse events
    or concomitant medication, each randomised subject of the registry in the pooled group, the
    product's accountability with every arm masked."""
    return dataclasses.replace(
        study,
        visits=study.visits.drop("arm", strict=False),
        adverse_events=study.adverse_events.drop("arm", strict=False),
        con_meds=study.con_meds.drop("arm", strict=False),
        product_subjects=masked_arms(study.product_subjects),
        product_refusals=masked_arms(study.product_refusals),
        registry=tuple(
            dataclasses.replace(s, arm=ARM_BLINDED if s.arm is not None else None)
            for s in study.registry
        ),
    )


def _summary(study: StudyData, protocol: Protocol | None, part: DsmbPart) -> Section:
    adsl = build_adsl(study.visits)
    rows: list[tuple[str, str]] = [(_("Part"), _(_PART_TEXT[part]))]
    if protocol is not None:
        rows += [
            (_("Protocol"), protocol.code),
            (_("Design"), f"{word(protocol.design)}, {word(protocol.blinding)}"),
            (_("Population"), str(protocol.population.value)),
            (_("Planned arms"), str(len(protocol.arms))),
        ]
    rows += [
        (_("Source data"), note_text(study.source)),
        (_("Subjects enrolled"), str(adsl.height)),
        (_("Adverse events"), _("%(n)s events recorded", n=study.adverse_events.height)),
    ]
    if study.audit_chain is not None:
        rows.append((_("Audit trail chain"), note_text(study.audit_chain)))
    return Section("summary", _("Report summary"), summary=tuple(rows))


_PART_TEXT = {
    "open": N_("OPEN part: data pooled over all arms; no allocation enters this report"),
    "closed": N_("CLOSED part: data by arm, for the DSMB's closed session only"),
}


def _accrual(adsl: pl.DataFrame) -> Section:
    if "site" not in adsl.columns:
        return Section("accrual", _("Accrual"), paragraphs=(_("The data name no site."),))
    counts = adsl.group_by("site").len().sort("site")
    rows = tuple((str(site), str(n)) for site, n in counts.iter_rows())
    table = Table(
        "accrual",
        _("Subjects enrolled by site (%(n)s in all)", n=adsl.height),
        (_("Site"), _("Enrolled")),
        rows,
        _("All arms pooled."),
    )
    return Section("accrual", _("Accrual"), tables=(table,))


def _completeness(frame: pl.DataFrame, adsl: pl.DataFrame) -> Section:
    """Per visit week: subjects with a value of each instrument, pooled."""
    instruments = [p for p in parameters_in(frame) if p in INSTRUMENT_RANGES]
    weeks = sorted(frame["week"].unique().to_list())
    rows = []
    for week in weeks:
        at = frame.filter(pl.col("week") == week)
        rows.append((f"{week:g}", *(str(int(at[p].is_not_null().sum())) for p in instruments)))
    table = Table(
        "completeness",
        _("Subjects with an assessment, by visit week (of %(n)s enrolled)", n=adsl.height),
        (_("Week"), *map(label, instruments)),
        tuple(rows),
        _("All arms pooled."),
    )
    return Section("completeness", _("Data completeness"), tables=(table,))


def _open_document(
    study: StudyData, protocol: Protocol | None, title: str | None, generated: str
) -> Document:
    data = pooled_study(study)
    adsl = build_adsl(data.visits)
    instruments = [p for p in parameters_in(data.visits) if p in INSTRUMENT_RANGES]
    sections = (
        _summary(data, protocol, "open"),
        _accrual(adsl),
        consort_section(data),
        Section(
            "baseline",
            _("Baseline characteristics"),
            tables=(baseline_display(adsl, ["age", *instruments, "eosinophils", "ige"], "fas"),),
        ),
        _completeness(data.visits, adsl),
        safety_section(data, adsl),
    )
    return Document(
        title=title or _("DSMB report: open part (pooled)"),
        source=data.source,
        generated=generated,
        version=__version__,
        sections=sections,
    )


def dsmb_document(
    study: StudyData,
    part: DsmbPart,
    *,
    protocol: Protocol | str | None = None,
    title: str | None = None,
    generated: dt.date | None = None,
    sap: Sap | None = None,
) -> Document:
    """The ``open`` or ``closed`` part of the DSMB report of ``study`` (module docstring).

    The closed part refuses blinded data (no ``arm`` column) with a :class:`ValidationError`.
    """
    if part not in DSMB_PARTS:
        raise ValidationError("dsmb", part, Expected("open or closed"))
    chosen = resolve_protocol(protocol) if isinstance(protocol, str) else protocol
    day = format_date(generated or dt.datetime.now(dt.UTC).date())
    if part == "open":
        return _open_document(study, chosen, title, day)
    if "arm" not in study.visits.columns:
        raise ValidationError(
            "dsmb",
            "closed",
            Expected(
                "unblinded data for the closed part: an arm column (a file "
                "with allocations, or a database read by a role that sees "
                "arms)"
            ),
        )
    model = build_report(study, protocol=chosen, generated=generated, sap=sap)
    closed = (_summary(study, chosen, "closed"), *model.sections)
    return Document(
        title=title or _("DSMB report: closed part (by arm)"),
        source=model.source,
        generated=model.generated,
        version=model.version,
        sections=closed,
    )


def write_dsmb(
    study: StudyData,
    out_dir: str | Path,
    part: DsmbPart,
    *,
    name: str | None = None,
    protocol: Protocol | str | None = None,
    title: str | None = None,
    generated: dt.date | None = None,
    sap: Sap | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> DsmbFiles:
    """Write ``<name>-dsmb-<part>.html`` and ``.pdf`` into ``out_dir``, in ``language``."""
    with using(language):
        document = dsmb_document(
            study, part, protocol=protocol, title=title, generated=generated, sap=sap
        )
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        stem = f"{name or Path(study.source).stem or 'study'}-dsmb-{part}"
        html = out / f"{stem}.html"
        html.write_text(render_html(document), encoding="utf-8")
        pdf = render_pdf(document, out / f"{stem}.pdf")
    return DsmbFiles(part=part, html=html, pdf=pdf, document=document)
