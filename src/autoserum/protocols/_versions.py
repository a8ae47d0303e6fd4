"""Protocol amendments: the versions of a study's protocol and which one governs a date.

A study runs version 1 (the protocol frozen into it at creation) from its start; each approved
amendment is a new version, effective from its date. **The version that governs a datum is the
one in effect on the datum's date** (a visit's date): visits dated on or after an amendment's
effective date follow its schedule, earlier visits keep the version they were recorded under.
An amendment may not take effect on or before a date already recorded (the store refuses it),
so nothing recorded changes version when an amendment is added. Reference: ICH E6(R3) 3.16.1
(protocol amendments approved before implementation), ICH E3 §9.8 (changes in the conduct).

An amendment may change the schedule, the instruments, windows, eligibility, checks and texts;
it may not change the arms (codes, allocation ratios) nor the blinding, on which the concealed
allocation lists were generated (that is a new study).

>>> from datetime import date
>>> from autoserum.protocols import load_protocol
>>> p = load_protocol("abt-pittler2003")
>>> v1 = ProtocolVersion(1, None, p, summary="original protocol")
>>> v2 = ProtocolVersion(2, date(2026, 5, 1), p, summary="week 9 window widened", approved_by="IRB")
>>> versions = ProtocolVersions((v1, v2))
>>> versions.number_on(date(2026, 4, 30)), versions.number_on(date(2026, 5, 1))
(1, 2)
>>> versions.current.number
2
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from autoserum.errors import Expected, ValidationError
from autoserum.protocols._schema import Protocol

__all__ = ["ProtocolVersion", "ProtocolVersions", "check_amendment"]


@dataclass(frozen=True)
class ProtocolVersion:
    """One version of a study's protocol: its number (1 = as created), the date from which it
    governs (``None`` for version 1: from the start), the protocol, what changed and who
    approved it; who recorded it in the store and when (``None`` for version 1)."""

    number: int
    effective_on: date | None
    protocol: Protocol
    summary: str
    approved_by: str | None = None
    recorded_by: str | None = None
    recorded_at: datetime | None = None

    def to_dict(self) -> dict[str, object]:
        """The version's metadata (not the protocol) as JSON-ready values."""
        return {
            "protocol_version": self.number,
            "effective_on": None if self.effective_on is None else self.effective_on.isoformat(),
            "protocol_code": self.protocol.code,
            "summary": self.summary,
            "approved_by": self.approved_by,
            "recorded_by": self.recorded_by,
            "recorded_at": None if self.recorded_at is None else self.recorded_at.isoformat(),
        }


@dataclass(frozen=True)
class ProtocolVersions:
    """A study's protocol versions in order (version 1 first, effective dates increasing)."""

    versions: tuple[ProtocolVersion, ...]

    def __post_init__(self) -> None:
        if not self.versions or self.versions[0].number != 1:
            raise ValueError("protocol versions start with version 1")

    def __iter__(self) -> Iterator[ProtocolVersion]:
        return iter(self.versions)

    def __len__(self) -> int:
        return len(self.versions)

    @property
    def current(self) -> ProtocolVersion:
        """The latest version (approved; possibly effective only from a later date)."""
        return self.versions[-1]

    def version_on(self, day: date | None) -> ProtocolVersion:
        """The version in effect on ``day`` (``None``: the current version)."""
        if day is None:
            return self.current
        chosen = self.versions[0]
        for v in self.versions[1:]:
            if v.effective_on is not None and v.effective_on <= day:
                chosen = v
        return chosen

    def on(self, day: date | None) -> Protocol:
        """The protocol in effect on ``day`` (``None``: the current version's)."""
        return self.version_on(day).protocol

    def number_on(self, day: date | None) -> int:
        """The number of the version in effect on ``day``."""
        return self.version_on(day).number

    @classmethod
    def single(cls, protocol: Protocol) -> ProtocolVersions:
        """A protocol never amended (version 1 only)."""
        return cls((ProtocolVersion(1, None, protocol, summary="original protocol"),))


def check_amendment(previous: Protocol, amended: Protocol) -> None:
    """:class:`ValidationError` unless ``amended`` keeps the arms (codes and allocation ratios)
    and the blinding of ``previous`` (the allocation lists were generated on them).

    >>> from autoserum.protocols import load_protocol
    >>> check_amendment(load_protocol("abt-pittler2003"), load_protocol("ast-nahm2023"))
    Traceback (most recent call last):
    ...
    autoserum.errors.ValidationError: arms: got 'serum:1, placebo:1'; expected the arms ...
    """
    before = ", ".join(f"{a.code}:{a.allocation_ratio}" for a in previous.arms)
    after = ", ".join(f"{a.code}:{a.allocation_ratio}" for a in amended.arms)
    if before != after:
        raise ValidationError(
            "arms",
            after,
            Expected(
                "the arms of the current version (%(before)s: code:ratio); "
                "an amendment cannot change the arms (that is a new study)",
                before=before,
            ),
        )
    if previous.blinding != amended.blinding:
        raise ValidationError(
            "blinding",
            amended.blinding,
            Expected(
                "the blinding of the current version (%(blinding)s)", blinding=previous.blinding
            ),
        )
