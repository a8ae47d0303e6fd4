"""The serious adverse event report for the sponsor and the ethics committee, as a document the
report's PDF renderer draws (one page, A4).

Its sections follow the CIOMS I form in the order an assessor reads it: study and subject, the
event (ICH E2A seriousness criteria, dates, severity, outcome, action taken), the causality and
expectedness assessment (against the protocol's reference safety information; SUSAR), the
24-hour reporting clock (``autoserum.study.safety.sae_clock``) and the narrative. The study
treatment is shown as "blinded" unless the caller passes the arm of an unblinded viewer.

The report is written in the current language (``write_sae_report(..., language=)``; the web
download uses the user's): its fixed texts and vocabulary words translated, dates and times as
the language writes them, the text in its PDF fonts. The verbatim term and the narrative are
the site's own words.

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
from autoserum.i18n import (
    current_language,
    format_date,
    format_datetime,
    format_quantity,
    using,
)
from autoserum.report._document import Document, Section
from autoserum.report._i18n import gettext as _
from autoserum.report._i18n import word
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
    return "–" if code is None else word(code)


def _when(value: date | datetime | None) -> str:
    """A date, or a time stamp on the clock it was recorded with and its zone's name, as the
    current language writes them (``Mar 3, 2026 09:00 UTC``, ``2026. 3. 3. 09:00 UTC``)."""
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return f"{format_datetime(value, tz=None)} {value.strftime('%Z')}".strip()
    return format_date(value)


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
        status = (
            _("reported %(when)s (late: after the 24-hour deadline)", when=_when(clock.reported_at))
            if clock.overdue
            else _("reported %(when)s (within 24 hours)", when=_when(clock.reported_at))
        )
    elif clock.overdue_days is not None:  # past two days: in days, as the dashboard says it
        status = _(
            "OVERDUE by %(time)s: not yet reported",
            time=format_quantity(clock.overdue_days, "days"),
        )
    elif clock.overdue:
        status = _(
            "OVERDUE by %(hours)s hours: not yet reported",
            hours=f"{-(clock.hours_left or 0.0):.1f}",
        )
    else:
        status = _("%(hours)s hours left", hours=f"{clock.hours_left:.1f}")
    sections = (
        Section(
            "sae-study",
            _("Study and subject"),
            summary=(
                (_("Study"), report.study),
                (_("Protocol"), report.protocol),
                (_("Site"), report.site or "–"),
                (_("Subject"), report.subject_id),
                (_("Age, sex"), f"{report.age or '–'}, {report.sex or '–'}"),
                (_("Study treatment"), word(report.treatment)),
            ),
        ),
        Section(
            "sae-event",
            _("Event"),
            summary=(
                (_("Term (verbatim)"), report.term),
                ("MedDRA LLT / PT", f"{report.meddra_llt or '–'} / {report.meddra_pt or '–'}"),
                (_("Onset"), _when(report.onset_date)),
                (_("End"), _when(report.end_date) if report.end_date else _("ongoing")),
                (_("Seriousness criteria"), ", ".join(_words(c) for c in report.criteria)),
                (_("Severity"), _words(report.severity)),
                (_("Outcome"), _words(report.outcome)),
                (_("Action taken with the study treatment"), _words(report.action_taken)),
            ),
        ),
        Section(
            "sae-assessment",
            _("Causality and expectedness"),
            summary=(
                (_("Related to the product"), _words(report.related)),
                (_("Related to the injection procedure"), _words(report.related_procedure)),
                (
                    _("Expected (reference safety information)"),
                    _("yes") if report.expected else _("no"),
                ),
                (
                    "SUSAR",
                    _("yes: serious, related and not in the reference safety information")
                    if susar
                    else _("no"),
                ),
                (
                    _("Adverse event of special interest"),
                    ", ".join(_words(c) for c in report.special_interest) or _("no"),
                ),
            ),
        ),
        Section(
            "sae-clock",
            _("Reporting (24 hours from awareness)"),
            summary=(
                (_("Site aware"), _when(clock.aware_at)),
                (_("Deadline"), _when(clock.deadline)),
                (_("Status"), status),
                (_("Report version"), str(report.version)),
            ),
        ),
        Section("sae-narrative", _("Narrative"), paragraphs=(report.narrative or "–",)),
    )
    return Document(
        title=_(
            "Serious adverse event report: %(study)s, subject %(subject)s",
            study=report.study, subject=report.subject_id,
        ),
        source=_("study %(study)s", study=report.study),
        generated=_when(generated),
        version=__version__,
        sections=sections,
    )  # fmt: skip


def write_sae_report(
    report: SaeReport, path: str | Path, *, generated: datetime, language: str | None = None
) -> Path:
    """Write the SAE report as a PDF to ``path``, in ``language`` (the current one by
    default)."""
    with using(language or current_language()):
        return render_pdf(sae_document(report, generated=generated), Path(path))
