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

from autoserum.errors import AutoserumError, Message, ValidationError
from autoserum.i18n._catalogs import N_, translate

__all__ = ["error_text", "expected_text", "message_text"]

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
    params = {
        name: message_text(value, language) if isinstance(value, Message) else value
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
