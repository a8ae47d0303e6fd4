"""The SAE report PDF: what the reader of the PDF sees (pypdf text), the clock status with an
injected time, and the blinded treatment."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from autoserum.i18n import format_datetime
from autoserum.report import SaeReport, sae_document, write_sae_report
from tests.pdftext import pdf_text

AWARE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REPORT = SaeReport(
    study="AST",
    protocol="ast-nahm2023",
    site="S01",
    subject_id="AST-07",
    age="34",
    sex="F",
    treatment="blinded",
    term="cellulitis of the thigh",
    onset_date=date(2026, 3, 1),
    end_date=None,
    severity="severe",
    criteria=("hospitalisation", "important_medical_event"),
    outcome="recovering",
    action_taken="drug_interrupted",
    related="unlikely",
    related_procedure="probable",
    expected=False,
    special_interest=("injection_site_reaction", "infection"),
    aware_at=AWARE,
    reported_at=None,
    narrative="Admitted on day 2 for intravenous antibiotics after the fourth injection.",
    version=1,
    meddra_pt="10007882",
)


def test_the_pdf_carries_the_event_the_assessment_and_the_clock(tmp_path: Path) -> None:
    pdf = write_sae_report(REPORT, tmp_path / "sae.pdf", generated=AWARE + timedelta(hours=5))
    text = pdf_text(pdf)
    for expected in (
        "Serious adverse event report: AST, subject AST-07",
        "cellulitis of the thigh",
        "hospitalisation, important medical event",
        "Related to the injection procedure probable",
        "SUSAR yes",
        "injection site reaction, infection",
        f"Deadline {format_datetime('2026-03-03T09:00+00:00', 'en')} UTC",  # Mar 3, 2026 09:00
        "19.0 hours left",
        "Study treatment blinded",
        "intravenous antibiotics",
        "10007882",
        "End ongoing",
    ):
        assert expected in text, expected
    assert " serum" not in text  # the arm is not named ("autoserum" is the generator)
    assert "saline" not in text


def test_an_unreported_sae_past_the_deadline_says_overdue() -> None:
    doc = sae_document(REPORT, generated=AWARE + timedelta(hours=26, minutes=30))
    clock = dict(next(s for s in doc.sections if s.id == "sae-clock").summary)
    assert clock["Status"] == "OVERDUE by 2.5 hours: not yet reported"


def test_a_reported_sae_states_whether_it_was_in_time() -> None:
    late = replace(REPORT, reported_at=AWARE + timedelta(hours=25))
    doc = sae_document(late, generated=AWARE + timedelta(days=3))
    clock = dict(next(s for s in doc.sections if s.id == "sae-clock").summary)
    when = format_datetime("2026-03-03T10:00+00:00", "en")  # the locale's date: Mar 3, 2026
    assert clock["Status"] == f"reported {when} UTC (late: after the 24-hour deadline)"
    expected = replace(REPORT, expected=True, related="possible")
    assessment = dict(sae_document(expected, generated=AWARE).sections[2].summary)
    assert assessment["SUSAR"] == "no"


def test_the_report_is_written_in_the_language_asked(tmp_path: Path) -> None:
    """In Korean: the headings, the words of the assessment and the dates are the language's
    (the verbatim term and the narrative are the site's own); the PDF's text is Korean text."""
    pdf = write_sae_report(
        REPORT, tmp_path / "sae-ko.pdf", generated=AWARE + timedelta(hours=5), language="ko"
    )
    text = pdf_text(pdf)
    for expected in (
        "중대한 이상반응 보고서: AST, 대상자 AST-07",
        "인과관계 및 예상 여부",
        "cellulitis of the thigh",
        "19.0시간 남음",
        f"{format_datetime('2026-03-03T09:00+00:00', 'ko')} UTC",  # 2026. 3. 3. 09:00
        "intravenous antibiotics",
        "입원, 의학적으로 중요한 사건",  # the seriousness criteria (ICH E2A)
        "주사 부위 반응, 감염",  # the protocol's adverse events of special interest
    ):
        assert expected in text, expected
    assert "Causality and expectedness" not in text
    assert "hours left" not in text
    assert "hospitalisation" not in text
    assert "injection site reaction" not in text
