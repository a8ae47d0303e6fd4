"""The chain of identity of an autologous product (pure core): the code printed on an aliquot's
label and the checks an injection makes before it accepts an aliquot.

**Label code**: ``AS1:<study>:<subject>:<aliquot>:<check>``. The check value is two digits of
ISO/IEC 7064 MOD 97-10 over the rest (:func:`check_value`), so any single mistyped character
and any swap of two neighbours in a typed code is caught; a scanned code (QR) carries the same
text. Study and subject identifiers are those of ``autoserum.study.rules`` (letters, digits,
``.``, ``_``, ``-``), so the ``:`` separator cannot occur inside them.

**Injection checks** (:func:`refusal`): the aliquot must belong to the subject being injected,
not be used, disposed or expired, and not have been thawed more often than the protocol allows.
Each refusal names what does not match; the store audits it.

**A kit's use-by** (:func:`kit_use_by`): every blinded kit, whatever the arm, is usable until
one time decided when the unblinded preparer fills it: the filling time plus the study's kit
shelf life (:func:`kit_shelf_life`, one window for every arm), capped by its source's own
expiry for an active arm's kit. An injection after it is refused as ``kit <kit> expired at
<use-by>``, so a blinded injector told ``kit KIT-0002 has expired`` learns nothing of the arm.

**When the product is judged** (:func:`administered_at`): at the time the injection was given,
not at the time it is recorded, so a back-dated record (yesterday's paper record transcribed)
is judged as the product was then: its recorded ``given_at``, else now for an injection given
today, else the last instant of the earlier day given (an aliquot that expired during that day
is refused: without a time it cannot be shown to have been given before). Never in the future.

>>> code = label_code("AST", "AST-01", "AL-0003")
>>> code
'AS1:AST:AST-01:AL-0003:74'
>>> parse_label_code(code)
('AST', 'AST-01', 'AL-0003')
>>> parse_label_code("AS1:AST:AST-07:AL-0003:74")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
autoserum.errors.ValidationError: aliquot_code: ...check value matches (mistyped?)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from autoserum.errors import Expected, Message, ValidationError
from autoserum.i18n import N_
from autoserum.protocols import DEFAULT_KIT_SHELF_LIFE_HOURS, Protocol, fact_number

__all__ = [
    "KIT_SHELF_LIFE",
    "PREFIX",
    "REFUSAL_KINDS",
    "AliquotState",
    "administered_at",
    "blinded_refusal",
    "check_value",
    "injector_refusal",
    "kit_expiry_refusal",
    "kit_shelf_life",
    "kit_source_refusal",
    "kit_use_by",
    "label_code",
    "parse_label_code",
    "refusal",
    "refusal_kind",
    "refusal_message",
]

#: The first field of every label code (format version 1).
PREFIX = "AS1"
_PART = r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}"
_CODE = re.compile(rf"^{PREFIX}:({_PART}):({_PART}):({_PART}):([0-9]{{2}})$")
_RULE = Expected(
    "a label code %(prefix)s:<study>:<subject>:<aliquot>:<two check digits>", prefix=PREFIX
)


def check_value(text: str) -> str:
    """ISO/IEC 7064 MOD 97-10 check digits of ``text``, each character written as two digits
    (digits 00-09, letters 10-35 ignoring case, ``. - _ :`` 36-39). With every character two
    digits wide, a single substituted character changes the number by ``d · 100^k`` with
    ``0 < |d| < 97`` and a swap of neighbours by ``(a - b) · 99 · 100^k``: 97 is prime and
    divides neither, so both are always caught.

    >>> check_value("AST:AST-01:AL-0003")
    '74'
    """
    digits = "".join(f"{int(c, 36) if c.isalnum() else 36 + '.-_:'.index(c):02d}" for c in text)
    return f"{98 - (int(digits + '00') % 97):02d}"


def label_code(study: str, subject_id: str, aliquot_id: str) -> str:
    """The code printed on the aliquot's label (and encoded in its QR code)."""
    for name, value in (("study", study), ("subject_id", subject_id), ("aliquot_id", aliquot_id)):
        if re.fullmatch(_PART, value) is None:
            raise ValidationError(
                name, value, Expected("letters, digits, '.', '_' or '-' (no ':')")
            )
    body = f"{study}:{subject_id}:{aliquot_id}"
    return f"{PREFIX}:{body}:{check_value(body)}"


def parse_label_code(code: object) -> tuple[str, str, str]:
    """(study, subject, aliquot) of a scanned or typed label code, its check value verified."""
    text = code.strip() if isinstance(code, str) else ""
    match = _CODE.match(text)
    if match is None:
        raise ValidationError("aliquot_code", code, _RULE)
    study, subject, aliquot, check = match.groups()
    if check_value(f"{study}:{subject}:{aliquot}") != check:
        raise ValidationError(
            "aliquot_code", code, Expected("a label code whose check value matches (mistyped?)")
        )
    return study, subject, aliquot


#: The widest offsets of civil time zones from UTC (UTC-12 to UTC+14): a recorded time of
#: administration lies on the date given in one of them.
_ZONES = (timedelta(hours=-12), timedelta(hours=14))


def administered_at(
    given_on: date, given_at: datetime | None, *, now: datetime, today: date
) -> datetime:
    """The time an injection's product is judged at: ``given_at`` (refused after ``now`` or
    off the date ``given_on`` in every time zone), else ``now`` for an injection given
    ``today``, else the last instant of the day ``given_on`` (UTC), but never after ``now``.

    >>> now = datetime(2026, 3, 5, 9, tzinfo=UTC)
    >>> administered_at(date(2026, 3, 2), None, now=now, today=now.date()).isoformat()
    '2026-03-02T23:59:59.999999+00:00'
    >>> at = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # 09:30 in Seoul
    >>> administered_at(date(2026, 3, 2), at, now=now, today=now.date()) == at
    True
    >>> administered_at(date(2026, 3, 5), now + timedelta(hours=1), now=now, today=now.date())
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    autoserum.errors.ValidationError: given_at: ... expected a time not after now (...)
    """
    if given_at is not None:
        if given_at > now:
            raise ValidationError(
                "given_at",
                given_at.isoformat(),
                Expected("a time not after now (%(now)s)", now=now.isoformat()),
            )
        day = datetime.combine(given_on, time(0), tzinfo=UTC)
        if not day - _ZONES[1] <= given_at < day + timedelta(days=1) - _ZONES[0]:
            raise ValidationError(
                "given_at",
                given_at.isoformat(),
                Expected("a time on %(given_on)s, the date given", given_on=given_on.isoformat()),
            )
        return given_at
    if given_on >= today:
        return now
    return min(now, datetime.combine(given_on, time.max, tzinfo=UTC))


@dataclass(frozen=True)
class AliquotState:
    """What the store knows of one aliquot when an injection asks for it."""

    aliquot_id: str
    subject_id: str
    expires_at: datetime
    used: bool = False
    disposed: bool = False
    thaws: int = 0
    max_thaws: int | None = None
    made_at: datetime | None = None


def refusal(aliquot: AliquotState, *, subject_id: str, at: datetime) -> str | None:
    """Why ``aliquot`` may not be injected into ``subject_id`` at ``at`` (the time it is given,
    :func:`administered_at`; ``used``, ``disposed`` and ``thaws`` as they were then);
    ``None`` if it may.

    >>> from datetime import UTC, datetime
    >>> a = AliquotState("AL-1", "AST-01", datetime(2026, 3, 9, tzinfo=UTC))
    >>> refusal(a, subject_id="AST-02", at=datetime(2026, 3, 2, tzinfo=UTC))
    'aliquot AL-1 belongs to subject AST-01, not to AST-02'
    """
    if aliquot.subject_id != subject_id:
        return (
            f"aliquot {aliquot.aliquot_id} belongs to subject {aliquot.subject_id}, "
            f"not to {subject_id}"
        )
    if aliquot.made_at is not None and at < aliquot.made_at:
        return (
            f"aliquot {aliquot.aliquot_id} was made at {aliquot.made_at.isoformat()}, "
            "after the injection"
        )
    if aliquot.disposed:
        return f"aliquot {aliquot.aliquot_id} was disposed of"
    if aliquot.used:
        return f"aliquot {aliquot.aliquot_id} was already injected"
    if at >= aliquot.expires_at:
        return f"aliquot {aliquot.aliquot_id} expired at {aliquot.expires_at.isoformat()}"
    if aliquot.max_thaws is not None and aliquot.thaws > aliquot.max_thaws:
        return (
            f"aliquot {aliquot.aliquot_id} was thawed {aliquot.thaws} times "
            f"(the protocol allows {aliquot.max_thaws})"
        )
    return None


#: The longest a filled kit keeps when the protocol declares none (the protocol's
#: ``kit_shelf_life``, an autoserum default of 24 h: a syringe filled on the day it is given).
KIT_SHELF_LIFE = timedelta(hours=DEFAULT_KIT_SHELF_LIFE_HOURS)


def kit_shelf_life(protocol: Protocol) -> timedelta:
    """The one shelf life of every blinded kit of ``protocol``, whatever the arm: the
    shortest of the protocol's ``kit_shelf_life`` (:data:`KIT_SHELF_LIFE` unless it states
    one) and what any arm declares its product keeps
    (``storage_max_days``; ``max_minutes_draw_to_injection`` for whole blood). Applied to
    the saline arm's kits as to the active arm's, so that a kit's use-by never tells the arm.

    >>> from autoserum.protocols import load_protocol
    >>> kit_shelf_life(load_protocol("ast-nahm2023"))
    datetime.timedelta(days=1)
    >>> kit_shelf_life(load_protocol("abt-pittler2003"))
    datetime.timedelta(seconds=300)
    """
    limits = [timedelta(hours=float(protocol.kit_shelf_life.value or 0))]
    for arm in protocol.arms:
        if arm.process is None:
            continue
        limits += _windows(
            (fact_number(arm.process.storage_max_days), timedelta(days=1)),
            (fact_number(arm.process.max_minutes_draw_to_injection), timedelta(minutes=1)),
        )
    return min(limits)


def _windows(*declared: tuple[Decimal | None, timedelta]) -> Iterable[timedelta]:
    return (unit * float(value) for value, unit in declared if value is not None and value > 0)


def kit_use_by(
    protocol: Protocol, prepared_at: datetime, *, source_expires_at: datetime | None = None
) -> datetime:
    """The time until which a kit filled at ``prepared_at`` may be given: ``prepared_at`` plus
    the study's :func:`kit_shelf_life`, capped by ``source_expires_at`` (an active arm's kit:
    its aliquot's expiry, or its blood draw's time plus the draw-to-injection limit). The one
    rule for every kit: the store checks it at injection, the labels print it and the
    simulator plans by it.

    >>> from autoserum.protocols import load_protocol
    >>> at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    >>> kit_use_by(load_protocol("ast-nahm2023"), at).isoformat()
    '2026-03-03T09:00:00+00:00'
    >>> drawn = at - timedelta(minutes=1)
    >>> pittler = load_protocol("abt-pittler2003")
    >>> kit_use_by(pittler, at, source_expires_at=drawn + timedelta(minutes=5)).isoformat()
    '2026-03-02T09:04:00+00:00'
    """
    until = prepared_at + kit_shelf_life(protocol)
    return until if source_expires_at is None else min(until, source_expires_at)


def kit_expiry_refusal(kit: str, use_by: datetime, *, at: datetime) -> str | None:
    """Why kit ``kit`` may not be given at ``at``: its use-by (:func:`kit_use_by`) passed;
    ``None`` if it may. The same words for every kit, whatever the arm.

    >>> use_by = datetime(2026, 3, 3, 9, tzinfo=UTC)
    >>> kit_expiry_refusal("KIT-0002", use_by, at=use_by + timedelta(seconds=1))
    'kit KIT-0002 expired at 2026-03-03T09:00:00+00:00'
    >>> kit_expiry_refusal("KIT-0002", use_by, at=use_by) is None
    True
    """
    if at > use_by:
        return f"kit {kit} expired at {use_by.isoformat()}"
    return None


def kit_source_refusal(kit: str, why: str) -> str:
    """A blinded kit refused for its source (the aliquot or blood draw it was filled from):
    ``kit <kit>: <why>``, the one form of such a refusal (:func:`blinded_refusal` words it
    without its source for blinded readers).

    >>> kit_source_refusal("KIT-0002", "its aliquot was disposed of")
    'kit KIT-0002: its aliquot was disposed of'
    """
    return f"kit {kit}: {why}"


_KIT = re.compile(r"^kit ([^\s:]+)[: ]")
#: The product an unblinded reader is told a refusal of (an aliquot's or a draw's code).
_PRODUCT = re.compile(r"^(aliquot|blood draw) ([^\s:]+)[: ]")
_PRODUCT_WORDS = {"aliquot": N_("aliquot %(code)s"), "blood draw": N_("blood draw %(code)s")}

#: A refusal's kind (:func:`refusal_kind`) in source-neutral words (:func:`refusal_message`):
#: what neither names the kit's source nor tells serum from saline.
_NEUTRAL: dict[str, str] = {
    "another subject's product": N_("%(what)s belongs to another subject"),
    "expired": N_("%(what)s has expired"),
    "already used": N_("%(what)s was already injected"),
    "disposed of": N_("%(what)s was disposed of"),
    "thawed too often": N_("%(what)s is over its freeze-thaw limit"),
    # whole blood past its draw-to-injection time: the kit is past its use-by time
    "draw-to-injection time exceeded": N_("%(what)s has expired"),
    "volume left too small": N_("%(what)s has too little volume left"),
}
_AFTER = N_("%(what)s was prepared after the injection")
_OTHER = N_("%(what)s may not be given")
_UNKNOWN = N_("the label names no product of this study")


def refusal_message(reason: str, *, blinded: bool) -> Message:
    """An audited refusal's ``reason`` as a reader is shown it, translatable: its kind
    (:func:`refusal_kind`) in source-neutral words, naming the kit when the code was a kit's
    (a kit refused for its source, :func:`kit_source_refusal`, would otherwise tell an active
    arm's kit); an aliquot or a blood draw by its code to an unblinded reader, as ``the
    product`` to a ``blinded`` one (only an active arm has one). The one owner of the words
    of a refusal shown (the audit trail, the injection form): the stored reason stays as it
    is (English, the audit trail's data); ``str()`` of the message is the English text.

    >>> str(refusal_message("aliquot AL-1 was thawed 2 times (the protocol allows 1)",
    ...                     blinded=False))
    'aliquot AL-1 is over its freeze-thaw limit'
    """
    kind = refusal_kind(reason)
    if kind == "unknown or foreign label":
        return Message(_UNKNOWN)
    kit, product = _KIT.match(reason), _PRODUCT.match(reason)
    if kit is not None:
        what = Message(N_("kit %(code)s"), code=kit.group(1))
    elif product is not None and not blinded:
        what = Message(_PRODUCT_WORDS[product.group(1)], code=product.group(2))
    else:
        what = Message(N_("the product"))
    if kind in _NEUTRAL:
        return Message(_NEUTRAL[kind], what=what)
    if "after the injection" in reason:
        return Message(_AFTER, what=what)
    return Message(_OTHER, what=what)


def blinded_refusal(reason: str) -> str:
    """An audited refusal's ``reason`` as a blinded reader reads it (the audit trail) and a
    blinded injector is told it (:func:`refusal_message`, in English).

    >>> blinded_refusal("kit KIT-0002: its aliquot expired at 2026-03-09T00:00:00+00:00")
    'kit KIT-0002 has expired'
    >>> blinded_refusal("kit KIT-0002: its aliquot was disposed of")
    'kit KIT-0002 was disposed of'
    >>> blinded_refusal("kit KIT-0002 belongs to subject AST-01, not to AST-02")
    'kit KIT-0002 belongs to another subject'
    >>> blinded_refusal("aliquot AL-1 was thawed 2 times (the protocol allows 1)")
    'the product is over its freeze-thaw limit'
    >>> blinded_refusal("kit KIT-0002 was prepared at 2026-03-09T10:00:00+00:00, after the "
    ...                 "injection")
    'kit KIT-0002 was prepared after the injection'
    """
    return str(refusal_message(reason, blinded=True))


def injector_refusal(reason: str) -> str:
    """The refusal a blinded injector is told: a kit's in source-neutral words
    (:func:`blinded_refusal`); that of an aliquot's or a blood draw's code as it is (the
    injector holds the labelled product: its reason tells nothing its label does not). The
    audit trail keeps ``reason`` as it is for unblinded readers.

    >>> injector_refusal("kit KIT-0002: its aliquot was disposed of")
    'kit KIT-0002 was disposed of'
    >>> injector_refusal("aliquot AL-1 was disposed of")
    'aliquot AL-1 was disposed of'
    """
    return blinded_refusal(reason) if _KIT.match(reason) else reason


#: The kinds of refused injection, in the order the report lists them, each with the words
#: its refusal message (:func:`refusal`, ``draw_to_injection_refusal``, the store's
#: ``resolve_product``) carries.
REFUSAL_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("another subject's product", ("belongs to subject",)),
    ("expired", (" expired at",)),
    ("already used", ("already injected",)),
    ("disposed of", ("disposed of",)),
    ("thawed too often", ("was thawed",)),
    # "minutes ago": the wording of refusals audited before the time given was recorded
    ("draw-to-injection time exceeded", ("minutes before the injection", "minutes ago")),
    ("volume left too small", ("mL left",)),
    ("unknown or foreign label", ("no aliquot, kit or blood draw labelled", "is of study")),
)


def refusal_kind(reason: str) -> str:
    """The kind of a refused injection from its audited reason (``other`` if none matches).

    >>> refusal_kind("aliquot AL-1 belongs to subject AST-01, not to AST-02")
    "another subject's product"
    >>> refusal_kind("kit KIT-0001: its aliquot expired at 2026-03-09T00:00:00+00:00")
    'expired'
    """
    for kind, words in REFUSAL_KINDS:
        if any(w in reason for w in words):
            return kind
    return "other"
