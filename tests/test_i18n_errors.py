"""Core validation errors in the reader's language (issue 14, item 5): the core raises a
:class:`~autoserum.errors.ValidationError` whose ``expectation`` is a message id with its values;
the edge renders it through the catalogs (``autoserum.i18n.error_text``), while ``str(err)``
(the CLI's text) stays English. Each case is one of the common errors: an instrument item out of
range, a required value missing, a date in the future, a value outside a vocabulary, a number
out of range."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from autoserum.errors import ValidationError
from autoserum.i18n import error_text
from autoserum.instruments import score
from autoserum.study.entities import REGISTRY
from autoserum.study.rules import check_not_future
from autoserum.study.vocab import check_choice


def _raised(call: Callable[[], object]) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value


CASES = {
    "instrument item out of range": (
        lambda: score("scorad", {"extent": 150}),
        "extent: got 150; expected a number from 0 to 100 in steps of 0.1",
        "extent: 150 입력됨; 필요한 값: 0부터 100까지 0.1 간격의 숫자",
        "extent：收到 150；应为0至100之间、以0.1为步长的数值",
    ),
    "required value missing": (
        lambda: REGISTRY["adverse_event"].field("term").convert(None),
        "term: got None; expected a non-empty text of at most 500 characters",
        "term: None 입력됨; 필요한 값: 500자 이하의 비어 있지 않은 텍스트",
        "term：收到 None；应为不超过500个字符的非空文本",
    ),
    "date in the future": (
        lambda: check_not_future("visit_date", dt.date(2026, 3, 9), today=dt.date(2026, 3, 2)),
        "visit_date: got '2026-03-09'; expected a date on or before today (2026-03-02)",
        "visit_date: '2026-03-09' 입력됨; 필요한 값: 오늘(2026-03-02) 또는 그 이전의 날짜",
        "visit_date：收到 '2026-03-09'；应为今天（2026-03-02）或之前的日期",
    ),
    "value not in the vocabulary": (
        lambda: check_choice("severity", "awful", ("mild", "moderate", "severe")),
        "severity: got 'awful'; expected one of mild, moderate, severe",
        "severity: 'awful' 입력됨; 필요한 값: 다음 중 하나: mild, moderate, severe",
        "severity：收到 'awful'；应为以下之一：mild, moderate, severe",
    ),
    "number out of range": (
        lambda: REGISTRY["blood_draw"].field("volume_ml").convert("1500"),
        "volume_ml: got '1500'; expected a number from 0 to 1000 mL",
        "volume_ml: '1500' 입력됨; 필요한 값: 0부터 1000 mL까지의 숫자",
        "volume_ml：收到 '1500'；应为0至1000 mL之间的数值",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_core_error_in_english_korean_and_chinese(case: str) -> None:
    call, english, korean, chinese = CASES[case]
    err = _raised(call)
    assert str(err) == english  # the CLI's text: unchanged
    assert error_text(err, "en") == english
    assert error_text(err, "ko") == korean
    assert error_text(err, "zh-Hans") == chinese


def test_an_untranslated_expectation_falls_back_to_english() -> None:
    err = ValidationError("code", "x", "a code nobody translated")
    assert error_text(err, "ko") == "code: 'x' 입력됨; 필요한 값: a code nobody translated"
    located = ValidationError("q1", 5, "one", location="row 3")
    assert error_text(located, "en") == str(located) == "row 3: q1: got 5; expected one"
