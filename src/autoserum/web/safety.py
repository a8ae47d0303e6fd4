"""Serious adverse events on the pages: the dashboard's 24-hour reporting alerts and the SAE
report (PDF) of one event.

The clock of an SAE (:func:`autoserum.study.safety.sae_clock`) runs from when the site became
aware of it (``aware_at``) to 24 hours later; ``now`` is the app's injected clock
(``create_app(now=...)``; tests fix it). The alert lists the SAEs not yet reported to the
sponsor with the time left, or how long they are overdue (:func:`clock_text`: the clock's
text, in hours, past two days overdue in days). The report is the CIOMS-like page of
:mod:`autoserum.report` with the study treatment shown as "blinded" to anyone who may not see
the subject's arm (the subject view is masked by the store already).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from autoserum.errors import Message, NotFoundError
from autoserum.i18n import current_language, format_decimal, format_quantity, translate
from autoserum.report import SaeReport, write_sae_report
from autoserum.store import Store
from autoserum.study.safety import SERIOUSNESS_CRITERIA, SaeClock, sae_clock
from autoserum.web.deps import CurrentUser
from autoserum.web.views import StudyView

__all__ = ["SaeAlert", "clock_text", "sae_alerts", "sae_pdf", "sae_report"]


@dataclass(frozen=True)
class SaeAlert:
    """An SAE not reported yet: who, what, its clock and where its report is."""

    subject_id: str
    record_id: int
    term: str
    clock: SaeClock

    @property
    def status(self) -> str:
        """The clock's text in the page's language (:func:`clock_text`)."""
        return clock_text(self.clock)


def clock_text(clock: SaeClock, language: str | None = None) -> str:
    """The dashboard's text of an unreported SAE's clock in ``language`` (the page's by
    default): the hours left, or how long it is overdue, in hours up to
    :data:`~autoserum.study.safety.OVERDUE_HOURS_SHOWN` and in whole days past it (as the SAE
    report's PDF says it).

    >>> from datetime import UTC, datetime, timedelta
    >>> t = datetime(2024, 3, 2, 9, 0, tzinfo=UTC)
    >>> def at(hours: float, lang: str) -> str:
    ...     return clock_text(sae_clock(t, reported_at=None, now=t + timedelta(hours=hours)), lang)
    >>> at(4, "en"), at(30, "en"), at(24 + 17000, "en")
    ('20.0 h left', 'OVERDUE by 6.0 h', 'OVERDUE by 708 days')
    """
    lang = language or current_language()
    left = clock.hours_left or 0.0
    if not clock.overdue:
        return translate(lang, "%(hours)s h left", hours=format_decimal(left, lang, digits=1))
    days = clock.overdue_days
    if days is not None:
        return translate(lang, "OVERDUE by %(time)s", time=format_quantity(days, "days", lang))
    return translate(lang, "OVERDUE by %(hours)s h", hours=format_decimal(-left, lang, digits=1))


def sae_alerts(store: Store, user: CurrentUser, study: str, *, now: datetime) -> list[SaeAlert]:
    """The unreported SAEs of the subjects the user may read (none for who may not), the
    nearest deadline first."""
    if not user.can("read_subject"):
        return []
    alerts = []
    for ae in store.records.serious_events(study, actor=user.actor):
        if ae.reported_at is not None or ae.aware_at is None:
            continue
        clock = sae_clock(ae.aware_at, reported_at=None, now=now)
        alerts.append(SaeAlert(ae.subject_id, ae.id, ae.term, clock))
    return sorted(alerts, key=lambda a: a.clock.deadline)


def sae_report(
    store: Store, user: CurrentUser, view: StudyView, subject_id: str, record_id: int
) -> SaeReport:
    """The report of the serious adverse event ``record_id`` of ``subject_id`` (not found
    unless it is a serious event of this subject within the user's reach)."""
    detail = store.subjects.detail(view.name, subject_id, actor=user.actor)
    event = next((a for a in detail.adverse_events if a.id == record_id), None)
    if event is None or not event.serious or event.aware_at is None:
        raise NotFoundError(
            Message(
                "no serious adverse event %(record_id)s of subject %(subject_id)s",
                record_id=record_id,
                subject_id=repr(subject_id),
            )
        )
    subject = detail.subject
    treatment = subject.arm or "not allocated"  # MASK ("blinded") for a blinded viewer
    return SaeReport(
        study=view.name,
        protocol=view.protocol.code,
        site=subject.site,
        subject_id=subject.subject_id,
        age=None if subject.age is None else f"{subject.age:g}",
        sex=subject.sex,
        treatment=treatment,
        term=event.term,
        onset_date=event.onset_date,
        end_date=event.end_date,
        severity=event.severity,
        criteria=tuple(c for c in SERIOUSNESS_CRITERIA if getattr(event, f"sae_{c}")),
        outcome=event.outcome,
        action_taken=event.action_taken,
        related=event.related,
        related_procedure=event.related_procedure,
        expected=bool(event.expected),
        special_interest=tuple(c for c in (event.aesi or "").split(", ") if c),
        aware_at=event.aware_at,
        reported_at=event.reported_at,
        narrative=event.narrative or "",
        version=event.version,
        meddra_llt=event.meddra_llt,
        meddra_pt=event.meddra_pt,
    )


def sae_pdf(report: SaeReport, *, generated: datetime, language: str | None = None) -> bytes:
    """The SAE report as PDF bytes (drawn by the report's PDF renderer), in ``language``."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sae.pdf"
        return write_sae_report(report, path, generated=generated, language=language).read_bytes()
