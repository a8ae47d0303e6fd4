"""The serious adverse event report for the sponsor and the ethics committee, as a document the
report's PDF renderer draws (one page, A4).

Its sections follow the CIOMS I form in the order an assessor reads it: study and subject, the
event (ICH E2A seriousness criteria, dates, severity, outcome, action taken), the causality and
expectedness assessment (against the protocol's reference safety information; SUSAR), the
24-hour reporting clock (``autoserum.study.safety.sae_clock``) and the narrative. The study
treatment is shown as "blinded" unless the caller passes the arm of an unblinded viewer.

>>> from datetime import UTC, date, datetime
>>> report = SaeReport(
...     study="AST", protocol="ast-nahm2023", site="S01", subject_id="AST-01", age="34",
...     sex="F", treatment="blinded", term="cellulitis of the thigh", onset_date=date(2026, 3, 1),
...     end_date=None, severity="severe", criteria=("hospitalisation",),
...     outcome="recovering", action_taken="drug_interrupted", related="possible",
...     related_procedure="probable", expected=False, special_interest=("infection",),
...     aware_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC), reported_at=None,
...     narrative="Admitted for IV antibiotics.", version=1)
>>> doc = sae_document(report, generated=datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
>>> [s.id for s in doc.sections]
['sae-study', 'sae-event', 'sae-assessment', 'sae-clock', 'sae-narrative']
>>> dict(doc.sections[2].summary)["SUSAR"]
'yes: serious, related and not in the reference safety information'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from autoserum import __version__
from autoserum.report._document import Document, Section
from autoserum.report._pdf import render_pdf
from autoserum.study.safety import is_susar, sae_clock

__all__ = ["SaeReport", "sae_document", "write_sae_report"]


@dataclass(frozen=True)
class SaeReport:
    """What an SAE report says: the study, the subject, the event and its assessment."""

    study: str
    protocol: str
    site: str | None
    subject_id: str
    age: str | None
    sex: str | None
    treatment: str
    term: str
    onset_date: date | None
    end_date: date | None
    severity: str
    criteria: tuple[str, ...]
    outcome: str
    action_taken: str | None
    related: str
    related_procedure: str | None
    expected: bool
    special_interest: tuple[str, ...]
    aware_at: datetime
    reported_at: datetime | None
    narrative: str
    version: int
    meddra_llt: str | None = None
    meddra_pt: str | None = None


def _words(code: str | None) -> str:
    return "–" if code is None else code.replace("_", " ")


def _when(value: date | datetime | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M %Z").strip()
    return value.isoformat()


def sae_document(report: SaeReport, *, generated: datetime) -> Document:
    """The SAE report as a :class:`Document` (``generated``: the time it is drawn up, which
    is also the clock's 'now')."""
    clock = sae_clock(report.aware_at, reported_at=report.reported_at, now=generated)
    susar = is_susar(
        serious=True,
        related=report.related,
        related_procedure=report.related_procedure,
        expected=report.expected,
    )
    if clock.reported_at is not None:
        status = f"reported {_when(clock.reported_at)}" + (
            " (late: after the 24-hour deadline)" if clock.overdue else " (within 24 hours)"
        )
    elif clock.overdue:
        status = f"OVERDUE by {-(clock.hours_left or 0.0):.1f} hours: not yet reported"
    else:
        status = f"{clock.hours_left:.1f} hours left"
    sections = (
        Section(
            "sae-study",
            "Study and subject",
            summary=(
                ("Study", report.study),
                ("Protocol", report.protocol),
                ("Site", report.site or "–"),
                ("Subject", report.subject_id),
                ("Age, sex", f"{report.age or '–'}, {report.sex or '–'}"),
                ("Study treatment", report.treatment),
            ),
        ),
        Section(
            "sae-event",
            "Event",
            summary=(
                ("Term (verbatim)", report.term),
                ("MedDRA LLT / PT", f"{report.meddra_llt or '–'} / {report.meddra_pt or '–'}"),
                ("Onset", _when(report.onset_date)),
                ("End", _when(report.end_date) if report.end_date else "ongoing"),
                ("Seriousness criteria", ", ".join(_words(c) for c in report.criteria)),
                ("Severity", report.severity),
                ("Outcome", _words(report.outcome)),
                ("Action taken with the study treatment", _words(report.action_taken)),
            ),
        ),
        Section(
            "sae-assessment",
            "Causality and expectedness",
            summary=(
                ("Related to the product", _words(report.related)),
                ("Related to the injection procedure", _words(report.related_procedure)),
                (
                    "Expected (reference safety information)",
                    "yes" if report.expected else "no",
                ),
                (
                    "SUSAR",
                    "yes: serious, related and not in the reference safety information"
                    if susar
                    else "no",
                ),
                (
                    "Adverse event of special interest",
                    ", ".join(_words(c) for c in report.special_interest) or "no",
                ),
            ),
        ),
        Section(
            "sae-clock",
            "Reporting (24 hours from awareness)",
            summary=(
                ("Site aware", _when(clock.aware_at)),
                ("Deadline", _when(clock.deadline)),
                ("Status", status),
                ("Report version", str(report.version)),
            ),
        ),
        Section("sae-narrative", "Narrative", paragraphs=(report.narrative or "–",)),
    )
    return Document(
        title=f"Serious adverse event report: {report.study}, subject {report.subject_id}",
        source=f"study {report.study}",
        generated=_when(generated),
        version=__version__,
        sections=sections,
    )


def write_sae_report(report: SaeReport, path: str | Path, *, generated: datetime) -> Path:
    """Write the SAE report as a PDF to ``path``."""
    return render_pdf(sae_document(report, generated=generated), Path(path))
