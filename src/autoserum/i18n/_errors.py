"""A core error in the reader's language: a :class:`~autoserum.errors.ValidationError` carries
its field, value and an :class:`~autoserum.errors.Expected` (a message id with placeholders);
the edge renders it here, through the catalogs, so the core never depends on a language.

>>> from autoserum.errors import Expected, ValidationError
>>> integer = Expected("an integer from %(low)s to %(high)s", low=0, high=10)
>>> err = ValidationError("score", 11, integer)
>>> error_text(err, "en")
'score: got 11; expected an integer from 0 to 10'
>>> error_text(err, "ko")
'score: 11 입력됨; 필요한 값: 0부터 10까지의 정수'
"""

from __future__ import annotations

import re
from decimal import Decimal

from autoserum.errors import AutoserumError, Message, ValidationError
from autoserum.i18n._catalogs import N_, translate

__all__ = [
    "deviation_text",
    "error_text",
    "expected_text",
    "message_text",
    "process_text",
    "query_text",
]

#: The frame of every validation message (``str(err)`` in English).
FRAME = N_("%(field)s: got %(value)s; expected %(expected)s")


def message_text(message: Message, language: str) -> str:
    """``message`` in ``language`` (English when the catalog has no translation); a value that
    is itself a :class:`~autoserum.errors.Message` (``what=Message("randomise")``) is translated
    too, any other value is shown as it is.

    >>> from autoserum.errors import Message
    >>> message_text(Message("cannot %(what)s", what=Message("randomise")), "en")
    'cannot randomise'
    """
    params = {  # a value's English is its own text (which may say more than its wording)
        name: (str(value) if language == "en" else message_text(value, language))
        if isinstance(value, Message)
        else value
        for name, value in message.params.items()
    }
    return translate(language, message.message, **params)


def expected_text(err: ValidationError, language: str) -> str:
    """What ``err`` expected, in ``language`` (English when the catalog has no translation)."""
    return message_text(err.expectation, language)


def error_text(err: AutoserumError, language: str, *, field: str | None = None) -> str:
    """``err``'s message in ``language``: a validation error names the field (``field``: a
    label to show instead of the code), the value and what was expected; any other error its
    :class:`~autoserum.errors.Message` (``err.text``), or its English text when it was raised
    with a plain one.

    >>> from autoserum.errors import Message, NotFoundError
    >>> error_text(NotFoundError(Message("no study named %(name)s", name="'AS-1'")), "zh-Hans")
    "没有名为'AS-1'的研究"
    """
    if not isinstance(err, ValidationError):
        message = err.text
        if message is None:
            return str(err)
        return message_text(message, language)
    text = translate(
        language,
        FRAME,
        field=field or err.field,
        value=repr(err.value),
        expected=expected_text(err, language),
    )
    return f"{err.location}: {text}" if err.location else text


#: A quantity inside a generated text's value (``10 min``, ``5 mL``, ``≥ 30 min``): written as
#: the language writes it (a g-force's ``g`` is not a gram and stays as written).
_QUANTITY = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?) (mL|min|minutes|h|hours|days|°C)(?!\w)")


def _values(message: Message, language: str) -> str:
    from autoserum.i18n._format import format_quantity

    def shown(value: object) -> object:
        if isinstance(value, Message):
            return _values(value, language)
        if isinstance(value, str):
            return _QUANTITY.sub(lambda m: format_quantity(Decimal(m[1]), m[2], language), value)
        return value

    params = {name: shown(value) for name, value in message.params.items()}
    return translate(language, message.message, **params)


def deviation_text(description: str | None, language: str) -> str:
    """A stored deviation description in ``language``: read back into the message its
    wording wrote (:func:`autoserum.study.deviations.described`), its quantities as the
    language writes them; a description no wording wrote (typed by staff) as stored.

    >>> deviation_text("visit week4 on 2026-03-30: 2 day(s) late, window 2026-03-21 to "
    ...                "2026-03-28", "zh-Hans")
    '访视 week4（2026-03-30）：延迟 2 天，窗口 2026-03-21 至 2026-03-28'
    >>> deviation_text("processing of BD-1: clotting_minutes: 10 min (protocol: ≥ 30 min)", "ko")
    '채혈 BD-1 처리: clotting_minutes: 10분 (계획서: ≥ 30분)'
    >>> deviation_text("missed by the site", "ko")
    'missed by the site'
    """
    from autoserum.study.deviations import described

    if not description:
        return ""
    found = described(description)
    if isinstance(found, str) or language == "en":
        return description
    return _values(found, language)


def process_text(deviations: str | None, language: str) -> str:
    """A processing's stored deviations (``clotting_minutes: 20 min (protocol: ≥ 30 min)``,
    joined by ``; ``) in ``language`` (see :func:`deviation_text`)."""
    from autoserum.study.deviations import PARAMETER_WORDINGS, read_parts

    if not deviations:
        return ""
    found = read_parts(deviations, PARAMETER_WORDINGS)
    if isinstance(found, str) or language == "en":
        return deviations
    return _values(found, language)


def query_text(text: str | None, language: str) -> str:
    """A query's stored text in ``language``: an automatic check's read back into its message
    (:func:`autoserum.study.checks.query_described`); a person's as written.

    >>> query_text("dlqi is planned at visit baseline (2026-03-02) but is neither recorded "
    ...            "nor recorded as not done", "ko")
    '방문 baseline (2026-03-02)에 예정된 dlqi: 기록도 미실시 기록도 없음'
    """
    from autoserum.study.checks import query_described

    if not text:
        return ""
    found = query_described(text)
    if isinstance(found, str) or language == "en":
        return text
    return _values(found, language)
