"""The one exception hierarchy of autoserum.

Every error the package raises on purpose derives from :class:`AutoserumError`. Each is mapped
once, at the edge, to a CLI exit code (``cli``) or an HTTP status (``web``)::

    AutoserumError                      CLI exit 1 / HTTP 400
    ├── ValidationError                 CLI exit 2 / HTTP 422   bad input: field, value, expected
    │   └── ProductRefusedError         CLI exit 2 / HTTP 422   a product code refused (audited)
    ├── StateError                      CLI exit 1 / HTTP 409   illegal transition or operation
    ├── ConflictError                   CLI exit 1 / HTTP 409   stale version (optimistic lock)
    ├── NotFoundError                   CLI exit 1 / HTTP 404
    ├── PermissionDeniedError           CLI exit 1 / HTTP 403
    ├── BusyError                       CLI exit 1 / HTTP 429   over a work limit: retry later
    ├── ConfigurationError              CLI exit 1 / refuses to start
    └── StatisticsError                 CLI exit 1 / HTTP 422   a model that cannot be fitted

    AutoserumWarning (UserWarning)
    └── StatisticalWarning              caveats: small samples, ties, non-convergence

Validation errors carry the offending ``field``, the ``value`` received and what was
``expected``; their message names all three in one line. What was expected is an
:class:`Expected`: a message in English with ``%(name)s`` placeholders and their values, which
the edge (the web pages, the API, the CLI) renders in the reader's language through the catalogs
(``autoserum.i18n.error_text``) while the core stays free of any language. Any other error may
be raised with a :class:`Message` the same way (``StateError(Message("lock %(id)s is lifted
already", id=7))``): ``str(err)`` is the English text, ``err.text`` the message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "AutoserumError",
    "AutoserumWarning",
    "BusyError",
    "ConfigurationError",
    "ConflictError",
    "Expected",
    "Message",
    "NotFoundError",
    "Note",
    "PermissionDeniedError",
    "ProductRefusedError",
    "StateError",
    "StatisticalWarning",
    "StatisticsError",
    "ValidationError",
]


class Message:
    """A translatable text: ``message`` is the English text with ``%(name)s`` placeholders (a
    catalog message id, extracted where it is written: ``Message`` and ``Expected`` are gettext
    keywords), ``params`` their values (numbers, codes, names: never translated). ``str()`` is
    the English text; ``autoserum.i18n.error_text`` renders it in a language.

    >>> text = Message("user %(name)s exists already", name=repr("ada"))
    >>> str(text), text.message
    ("user 'ada' exists already", 'user %(name)s exists already')
    """

    __slots__ = ("message", "params")

    def __init__(self, message: str, /, **params: Any) -> None:
        self.message = message
        self.params: Mapping[str, Any] = params

    def __str__(self) -> str:
        return self.message % self.params if self.params else self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, **{dict(self.params)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and (self.message, dict(self.params)) == (
            other.message,
            dict(other.params),
        )

    def __hash__(self) -> int:
        return hash(self.message)


class Note(str):
    """A note an analysis adds under its results (a comparison that could not be made, a
    model's caveat): a ``str`` whose value is the English text, as exports and JSON carry it,
    and which keeps its :class:`Message` (``note.text``) for a document that shows it in its
    language (``autoserum.i18n.message_text``).

    >>> note = Note(Message("ANCOVA (week %(week)s): no comparison", week="8"))
    >>> note == "ANCOVA (week 8): no comparison", note.text.message
    (True, 'ANCOVA (week %(week)s): no comparison')
    """

    text: Message

    def __new__(cls, text: Message) -> Note:
        note = super().__new__(cls, str(text))
        note.text = text
        return note


class Expected(Message):
    """What a valid value looks like (the ``expected`` of a :class:`ValidationError`), as a
    translatable :class:`Message`.

    >>> expected = Expected("a number from %(low)s to %(high)s", low=0, high=10)
    >>> str(expected), expected.message
    ('a number from 0 to 10', 'a number from %(low)s to %(high)s')
    """

    __slots__ = ()


class AutoserumError(Exception):
    """Base of every error autoserum raises on purpose. Raised with a :class:`Message` as its
    first argument, ``err.text`` is that message (rendered in the reader's language at the edge)
    and ``str(err)`` its English text; raised with a plain text, ``err.text`` is ``None``.

    >>> err = StateError(Message("lock %(id)s is lifted already", id=7))
    >>> str(err), err.text.message
    ('lock 7 is lifted already', 'lock %(id)s is lifted already')
    >>> StateError("plain").text is None
    True
    """

    exit_code: int = 1
    http_status: int = 400

    def __init__(self, *args: Any) -> None:
        self.text: Message | None = None
        if args and isinstance(args[0], Message):
            self.text = args[0]
            args = (str(args[0]), *args[1:])
        super().__init__(*args)


class ValidationError(AutoserumError):
    """Input that does not meet the specification.

    ``expected`` is the text (``str``) or an :class:`Expected`; ``err.expected`` is always
    the English text, ``err.expectation`` the :class:`Expected` (a plain text becomes one
    without placeholders).

    >>> err = ValidationError("head_neck.erythema", 0.5, "one of 0, 1, 1.5, 2, 2.5, 3")
    >>> str(err)
    'head_neck.erythema: got 0.5; expected one of 0, 1, 1.5, 2, 2.5, 3'
    >>> between = Expected("a number from %(low)s to %(high)s", low=0, high=130)
    >>> err = ValidationError("age", 131, between)
    >>> err.expected, err.expectation.message
    ('a number from 0 to 130', 'a number from %(low)s to %(high)s')
    """

    exit_code = 2
    http_status = 422

    def __init__(
        self,
        field: str,
        value: Any,
        expected: str | Message,
        *,
        location: str | None = None,
    ) -> None:
        self.field = field
        self.value = value
        self.expectation = expected if isinstance(expected, Message) else Expected(expected)
        self.expected = str(expected)
        self.location = location
        where = f"{location}: " if location else ""
        super().__init__(f"{where}{field}: got {value!r}; expected {expected}")


class ProductRefusedError(ValidationError):
    """A product code (aliquot, kit or blood draw) refused for an injection: another subject's,
    expired, thawed too often, used or disposed. ``reason`` names the mismatch; the store has
    audited the refusal (with no data written) before raising it.

    >>> err = ProductRefusedError("AS1:X:B:AL-1:00", "aliquot AL-1 belongs to subject B, not to A")
    >>> err.reason
    'aliquot AL-1 belongs to subject B, not to A'
    """

    def __init__(self, code: str, reason: str, *, shown: Message | None = None) -> None:
        self.reason = reason
        super().__init__(
            "product_code",
            code,
            Expected(
                "a product that may be injected (%(reason)s)",
                reason=reason if shown is None else _Worded(reason, shown),
            ),
        )


class _Worded(Message):
    """A value written in English as ``text`` and in another language as ``shown`` (a stored
    English detail with a translatable wording of its kind: a product's refusal reason)."""

    __slots__ = ("text",)

    def __init__(self, text: str, shown: Message) -> None:
        super().__init__(shown.message, **shown.params)
        self.text = text

    def __str__(self) -> str:
        return self.text


class StateError(AutoserumError):
    """An operation that the current state does not allow (e.g. an illegal status transition)."""

    http_status = 409


class ConflictError(AutoserumError):
    """A write based on a stale version of a record (optimistic concurrency)."""

    http_status = 409


class NotFoundError(AutoserumError):
    """A named thing (study, subject, instrument, protocol) that does not exist."""

    http_status = 404


class PermissionDeniedError(AutoserumError):
    """The acting user's role or site does not allow the operation."""

    http_status = 403


class BusyError(AutoserumError):
    """A bounded resource (e.g. password hashing) is at its limit; ``retry_after`` seconds is
    a fair time to wait (HTTP 429 with ``Retry-After``).

    >>> busy = BusyError(Message("password checks are at their limit"), retry_after=2)
    >>> busy.retry_after, str(busy)
    (2, 'password checks are at their limit; retry in 2 s')
    """

    http_status = 429

    def __init__(self, message: str | Message, *, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(
            Message("%(message)s; retry in %(seconds)s s", message=message, seconds=retry_after)
        )


class ConfigurationError(AutoserumError):
    """Settings that cannot be used (e.g. a default secret in production)."""


class StatisticsError(AutoserumError):
    """A statistical model or test that cannot be computed on the data given."""

    http_status = 422


class AutoserumWarning(UserWarning):
    """Base of autoserum's warnings."""


class StatisticalWarning(AutoserumWarning):
    """A statistical caveat: small samples, ties, non-convergence, an approximation used."""
