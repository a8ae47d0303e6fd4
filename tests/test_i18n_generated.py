"""The texts the system generates and stores as data in English (issue 14, item 5): each has
one owner that writes it and reads it back (``autoserum.study.deviations`` for the deviations'
descriptions, ``autoserum.study.checks`` for the automatic checks' queries,
``autoserum.study.aliquots.refusal_message`` for a refused injection's reason),
so that a page shows it in its reader's language while the stored value never changes."""

from __future__ import annotations

import pytest

from autoserum.errors import Message
from autoserum.i18n import deviation_text, message_text, process_text, query_text
from autoserum.study import checks
from autoserum.study import deviations as d
from autoserum.study.aliquots import REFUSAL_KINDS, blinded_refusal, refusal_kind, refusal_message
from tests.visible_text import english_words

#: One stored text per wording, as the writers produce it (values as the store passes them).
WRITTEN: dict[str, str] = {
    "visit_early": d.VISIT_EARLY(visit="week4", date="2026-03-20", days=3,
                                 earliest="2026-03-23", latest="2026-03-30"),
    "visit_late": d.VISIT_LATE(visit="week4", date="2026-04-02", days=3,
                               earliest="2026-03-23", latest="2026-03-30"),
    "not_done": d.NOT_DONE(instrument="easi", visit="week4", why="patient refused"),
    "processing": d.PROCESSING(draw="BD-0001", found=d.joined([
        d.PARAMETER_OFF(name="clotting_minutes", value="20 min", bound="≥ 30 min"),
        d.PARAMETER_MISSING(name="centrifuge_minutes", bound="10 min"),
    ])),
    "dose": d.DOSE(date="2026-03-02", found=d.DOSE_VOLUME(
        number=2, volume="4 mL", declared="5 mL ± 10%")),
    "eligibility": d.ELIGIBILITY_OVERRIDE(rules=d.joined([
        d.ELIGIBILITY_FAILED(rules="scorad_min"), d.ELIGIBILITY_UNKNOWN(rules="age"),
    ]), reason="investigator decision"),
    "prohibited": d.PROHIBITED(drug="dupilumab (D11AH05)", rule="biologics"),
    "rescue": d.RESCUE_NOT_ALLOWED(drug="cyclosporin", allowed="topical corticosteroids"),
}  # fmt: skip
#: What a reader may see in English in them: the values (codes, the typed reason, the
#: protocol's own rule texts and drug names) and the field codes.
VALUES = {"week4", "easi", "patient", "refused", "scorad_min", "age", "investigator", "decision",
          "dupilumab", "biologics", "cyclosporin", "topical", "corticosteroids"}  # fmt: skip


def test_the_store_writes_what_it_always_wrote() -> None:
    """The stored English is unchanged (reconciliation and exports compare it)."""
    assert WRITTEN["visit_early"] == (
        "visit week4 on 2026-03-20: 3 day(s) early, window 2026-03-23 to 2026-03-30"
    )
    assert WRITTEN["processing"] == (
        "processing of BD-0001: clotting_minutes: 20 min (protocol: ≥ 30 min); "
        "centrifuge_minutes: not recorded (protocol: 10 min)"
    )
    assert WRITTEN["dose"] == (
        "injection on 2026-03-02: injection 2: volume_ml 4 mL (protocol: 5 mL ± 10%)"
    )
    assert WRITTEN["eligibility"] == (
        "randomised with eligibility failed scorad_min; unknown age: investigator decision"
    )


@pytest.mark.parametrize("name", sorted(WRITTEN))
@pytest.mark.parametrize("language", ["ko", "zh-Hans"])
def test_every_generated_description_is_read_back_and_translated(name: str, language: str) -> None:
    text = WRITTEN[name]
    found = d.described(text)
    assert isinstance(found, Message), text
    assert str(found) == text  # read back into the message that wrote it, values and all
    shown = deviation_text(text, language)
    assert shown != text
    left = [w for w in english_words(shown) if w not in VALUES]
    assert left == [], (name, shown)
    assert deviation_text(text, "en") == text  # English: as stored


def test_quantities_are_written_as_the_language_writes_them() -> None:
    shown = process_text("clotting_minutes: 20 min (protocol: ≥ 30 min)", "zh-Hans")
    assert shown == "clotting_minutes：20分钟（方案：≥ 30分钟）"
    assert deviation_text(WRITTEN["dose"], "ko") == (
        "2026-03-02 주사: 주사 2: volume_ml 4mL (계획서: 5mL ± 10%)"
    )


def test_a_text_no_wording_wrote_is_shown_as_stored() -> None:
    for text in ("noticed by the monitor at the visit", "visit week4 was missed"):
        assert d.described(text) == text
        assert deviation_text(text, "ko") == text


#: One refusal per kind, as ``study.aliquots.refusal``, ``protocols.draw_to_injection_refusal``
#: and the store's ``resolve_product`` word them.
REFUSALS = {
    "another subject's product": "aliquot AL-1 belongs to subject AST-01, not to AST-02",
    "expired": "kit KIT-0002: its aliquot expired at 2026-03-09T00:00:00+00:00",
    "already used": "kit KIT-0002 was already injected",
    "disposed of": "aliquot AL-1 was disposed of",
    "thawed too often": "aliquot AL-1 was thawed 2 times (the protocol allows 1)",
    "draw-to-injection time exceeded":
        "blood draw BD-1 was drawn 300 minutes before the injection (the protocol allows 240)",
    "volume left too small": "aliquot AL-1 has 1 mL left, the injection needs 5 mL",
    "unknown or foreign label": "no aliquot, kit or blood draw labelled X in study AST",
}  # fmt: skip


def test_every_refusal_kind_has_an_example() -> None:
    assert {k for k, _ in REFUSAL_KINDS} == set(REFUSALS)
    assert {k: refusal_kind(r) for k, r in REFUSALS.items()} == {k: k for k in REFUSALS}


@pytest.mark.parametrize("kind", sorted(REFUSALS))
@pytest.mark.parametrize("language", ["ko", "zh-Hans"])
def test_a_refusal_is_shown_by_its_kind_in_the_language(kind: str, language: str) -> None:
    reason = REFUSALS[kind]
    for blinded in (False, True):
        shown = message_text(refusal_message(reason, blinded=blinded), language)
        assert english_words(shown) == [], shown
    blinded_text = message_text(refusal_message(reason, blinded=True), language)
    # a blinded reader is never told the aliquot or blood draw behind a product
    assert "AL-1" not in blinded_text
    assert "BD-1" not in blinded_text
    assert str(refusal_message(reason, blinded=True)) == blinded_refusal(reason)


#: One query per automatic check's wording, as ``study.checks`` writes it.
QUERIES: dict[str, str] = {
    "window_early": checks.WINDOW_EARLY(visit="week4", date="2026-03-20", days=3,
                                        earliest="2026-03-23", latest="2026-03-30"),
    "window_late": checks.WINDOW_LATE(visit="week4", date="2026-04-02", days=3,
                                      earliest="2026-03-23", latest="2026-03-30"),
    "missing": checks.MISSING(instrument="easi", visit="week4", date="2026-03-30"),
    "extent": checks.EXTENT(extent="40", visit="week4", low="10", high="25", tolerance="5"),
    "direction": checks.DIRECTION(first="baseline", second="week4", easi="-60", scorad="45",
                                  threshold="30"),
    "lab_limits": checks.LAB_LIMITS(analyte="eos", value="99", unit="10^9/L", low="0",
                                    high="5"),
    "before_consent": checks.BEFORE_CONSENT(onset="2026-02-01", consent="2026-02-10"),
    "no_preparation": checks.NO_PREPARATION(date="2026-03-02"),
    "prepared_later": checks.PREPARED_LATER(date="2026-03-02", prepared="2026-03-03"),
}  # fmt: skip


def test_the_checks_write_what_they_always_wrote() -> None:
    assert QUERIES["window_early"] == (
        "visit week4 on 2026-03-20 is 3 day(s) early (window 2026-03-23 to 2026-03-30): "
        "please confirm the date"
    )
    assert QUERIES["extent"] == (
        "SCORAD extent 40 % at visit week4 is outside the 10 to 25 % of body surface implied "
        "by the EASI area scores of the same visit (tolerance 5 points): please check both"
    )
    assert QUERIES["lab_limits"] == (
        "eos 99 10^9/L is outside the study's limits of plausibility (0 to 5 10^9/L): please "
        "confirm against the source"
    )


@pytest.mark.parametrize("name", sorted(QUERIES))
@pytest.mark.parametrize("language", ["ko", "zh-Hans"])
def test_every_check_query_is_read_back_and_translated(name: str, language: str) -> None:
    text = QUERIES[name]
    found = checks.query_described(text)
    assert isinstance(found, Message), text
    assert str(found) == text
    shown = query_text(text, language)
    assert [w for w in english_words(shown) if w not in {"eos", "easi", "baseline"}] == [], shown
    assert shown != text
    assert query_text(text, "en") == text
    assert query_text("please check the onset date", language) == "please check the onset date"


def test_the_report_lists_a_generated_deviation_in_its_language() -> None:
    """``autoserum analyze``/``report`` read the deviations from the database as notes: a
    description the system wrote is shown in the document's language, one typed as written."""
    from types import SimpleNamespace

    from autoserum.cli.analysis import _deviation_line

    row = SimpleNamespace(subject_id="S1-001", importance="minor", kind="visit_window",
                          occurred_on=None, corrective_action=None,
                          description=WRITTEN["visit_late"])  # fmt: skip
    note = _deviation_line(row)
    assert note == f"S1-001: minor visit_window: {WRITTEN['visit_late']}"  # English as stored
    assert "방문 week4 (2026-04-02): 3일 늦음" in message_text(note.text, "ko")
    typed = _deviation_line(SimpleNamespace(**{**vars(row), "description": "missed visit"}))
    assert message_text(typed.text, "ko").endswith(": missed visit")
