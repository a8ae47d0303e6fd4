"""Electronic signatures (21 CFR 11.50, 11.70, 11.100, 11.200): an investigator signs a visit,
a subject's casebook or the whole study, re-entering the password, with a **meaning**
(authorship, review, approval). The signature's manifestation shows the printed name, the date
and time in UTC and in the signer's local time, and the meaning (11.50). It is bound to the
SHA-256 of the signed content, which names the study, the level and the record signed (11.70:
it cannot be copied to another record); a later change of the content invalidates it, visibly.

>>> digest = content_digest({"study": "S", "level": "visit", "records": []})
>>> len(digest), digest == content_digest({"records": [], "level": "visit", "study": "S"})
(64, True)
>>> from datetime import UTC, datetime
>>> local_time(datetime(2026, 6, 1, 12, 0, tzinfo=UTC), "Europe/Berlin").isoformat()
'2026-06-01T14:00:00+02:00'
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from autoserum.errors import Expected, ValidationError

__all__ = [
    "MEANINGS",
    "SIGNATURE_LEVELS",
    "Signature",
    "check_level",
    "check_meaning",
    "content_digest",
    "local_time",
]

MEANINGS: Final[tuple[str, ...]] = ("authorship", "review", "approval")
"""What a signature means (21 CFR 11.50(a)(3))."""

SIGNATURE_LEVELS: Final[tuple[str, ...]] = ("visit", "casebook", "study")
"""What may be signed: one visit of a subject, a subject's casebook, the whole study."""


def check_meaning(meaning: Any) -> str:
    """One of :data:`MEANINGS`."""
    if meaning not in MEANINGS:
        raise ValidationError(
            "meaning", meaning, Expected("one of %(values)s", values=", ".join(MEANINGS))
        )
    return str(meaning)


def check_level(level: Any) -> str:
    """One of :data:`SIGNATURE_LEVELS`."""
    if level not in SIGNATURE_LEVELS:
        raise ValidationError(
            "level", level, Expected("one of %(values)s", values=", ".join(SIGNATURE_LEVELS))
        )
    return str(level)


def content_digest(document: Mapping[str, Any]) -> str:
    """SHA-256 of ``document`` as canonical JSON (sorted keys, no spaces, UTF-8)."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def local_time(at: datetime, timezone: str) -> datetime:
    """``at`` (UTC) in the IANA time zone ``timezone`` (``Europe/Berlin``, ``UTC``)."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            "timezone", timezone, Expected("an IANA time zone such as Europe/Berlin")
        ) from None
    return at.astimezone(zone)


@dataclass(frozen=True)
class Signature:
    """A signature and its manifestation; ``valid`` is false once the signed content changed
    (``invalidated_at``: when the store noticed the change, ``invalid_reason``: why)."""

    id: int
    level: str
    subject_id: str | None
    visit_code: str | None
    meaning: str
    signer: str
    printed_name: str
    role: str
    signed_at: datetime
    local_signed_at: datetime
    timezone: str
    content_sha256: str
    valid: bool
    invalidated_at: datetime | None = None
    invalid_reason: str | None = None

    @property
    def manifestation(self) -> str:
        """The line shown on the signed record (11.50): name, times, meaning.

        >>> from datetime import UTC, datetime
        >>> at = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
        >>> Signature(1, "casebook", "S-1", None, "approval", "ivy", "Ivy Park", "investigator",
        ...           at, local_time(at, "Asia/Seoul"), "Asia/Seoul", "0" * 64, True).manifestation
        'Ivy Park (ivy), approval, 2026-06-01 12:00:00 UTC (2026-06-01 21:00:00 Asia/Seoul)'
        """
        utc = self.signed_at.strftime("%Y-%m-%d %H:%M:%S")
        local = self.local_signed_at.strftime("%Y-%m-%d %H:%M:%S")
        return (
            f"{self.printed_name} ({self.signer}), {self.meaning}, {utc} UTC "
            f"({local} {self.timezone})"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with the manifestation."""
        return {
            "id": self.id,
            "level": self.level,
            "subject_id": self.subject_id,
            "visit_code": self.visit_code,
            "meaning": self.meaning,
            "signer": self.signer,
            "printed_name": self.printed_name,
            "role": self.role,
            "signed_at": self.signed_at.isoformat(),
            "local_signed_at": self.local_signed_at.isoformat(),
            "timezone": self.timezone,
            "content_sha256": self.content_sha256,
            "valid": self.valid,
            "invalidated_at": None
            if self.invalidated_at is None
            else self.invalidated_at.isoformat(),
            "invalid_reason": self.invalid_reason,
            "manifestation": self.manifestation,
        }
