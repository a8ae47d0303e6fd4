"""A study record's place in the review: status, identifiers and screening (PRISMA 2020).

Every record of ``studies.yaml`` carries:

- ``status``: ``included`` (in the review's syntheses), ``excluded`` (with the reason),
  ``awaiting_classification`` (cannot be classified from what could be read) or ``ongoing``
  (registered, ongoing or completed but unpublished);
- ``status_reason``: why (for ``excluded`` its first clause, before ``:`` or ``(``, is the
  reason category counted in the PRISMA flow);
- ``identifiers``: PMID, PMCID, DOI and trial-registry IDs, ``NR`` when none could be verified;
- ``screening``: the search source of each report (``via``), the stage the record reached
  (``title_abstract`` = excluded on title/abstract, ``not_retrieved``, ``assessed``) and what
  was read (``abstract``, ``full_text``, ``registry_record``, ...).

>>> from autoserum.evidence import load_registry
>>> st = load_registry().studies["Nahm2020"]
>>> st.status, st.identifiers.registry, st.screening.reports
('included', ('NCT02835170',), 2)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from autoserum.errors import Expected, ValidationError

__all__ = [
    "READ",
    "STAGES",
    "STUDY_STATUSES",
    "Identifiers",
    "Screening",
    "parse_identifiers",
    "parse_screening",
    "reason_category",
]

STUDY_STATUSES = ("included", "excluded", "awaiting_classification", "ongoing")
STAGES = ("title_abstract", "not_retrieved", "assessed")
READ = (
    "full_text",
    "abstract",
    "conference_abstract",
    "registry_record",
    "secondary_review",
    "title_only",
    "none",
)
_PATTERNS = {
    "pmid": re.compile(r"^\d{6,9}$"),
    "pmcid": re.compile(r"^PMC\d{5,9}$"),
    "doi": re.compile(r"^10\.\d{4,9}/\S+$"),
}
_REGISTRY = re.compile(r"^(NCT\d{8}|KCT\d{7}|CTRI/\d{4}/\d{2}/\d{6}|IRCT\d+N\d+)$")


@dataclass(frozen=True)
class Identifiers:
    """PMID, PMCID, DOI (``"NR"`` when not verified) and registry IDs of a record."""

    pmid: str
    pmcid: str
    doi: str
    registry: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "pmid": self.pmid,
            "pmcid": self.pmcid,
            "doi": self.doi,
            "registry": list(self.registry),
        }


@dataclass(frozen=True)
class Screening:
    """Where a record's reports were found and how far it went in screening."""

    via: tuple[str, ...]
    stage: str
    read: str
    reports: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "via": list(self.via),
            "stage": self.stage,
            "read": self.read,
            "reports": self.reports,
        }


def parse_identifiers(raw: Mapping[str, Any] | None, where: str) -> Identifiers:
    """Validate the identifiers of a record (formats of PMID, PMCID, DOI, registry IDs)."""
    raw = raw or {}
    values: dict[str, str] = {}
    for key, pattern in _PATTERNS.items():
        value = str(raw.get(key) or "NR")
        if value != "NR" and not pattern.match(value):
            raise ValidationError(
                f"identifiers.{key}", value, Expected("a %(key)s or NR", key=key), location=where
            )
        values[key] = value
    registry = tuple(str(r) for r in raw.get("registry") or ())
    for r in registry:
        if not _REGISTRY.match(r):
            raise ValidationError(
                "identifiers.registry", r, Expected("an NCT, KCT, CTRI or IRCT ID"), location=where
            )
    return Identifiers(values["pmid"], values["pmcid"], values["doi"], registry)


def parse_screening(raw: Mapping[str, Any] | None, status: str, where: str) -> Screening:
    """Validate a record's screening entry against its status."""
    if not raw:
        raise ValidationError("screening", None, Expected("via, stage and read"), location=where)
    via_raw = raw.get("via")
    via = tuple(str(v) for v in via_raw) if isinstance(via_raw, list) else (str(via_raw),)
    stage = str(raw.get("stage"))
    if stage not in STAGES:
        raise ValidationError(
            "screening.stage",
            stage,
            Expected("one of %(values)s", values=", ".join(STAGES)),
            location=where,
        )
    read = str(raw.get("read"))
    if read not in READ:
        raise ValidationError(
            "screening.read",
            read,
            Expected("one of %(values)s", values=", ".join(READ)),
            location=where,
        )
    reports = int(raw.get("reports", len(via)))
    if reports < 1:
        raise ValidationError("screening.reports", reports, Expected("at least 1"), location=where)
    if status == "included" and stage != "assessed":
        raise ValidationError(
            "screening.stage", stage, Expected("assessed for an included study"), location=where
        )
    if stage == "title_abstract" and status != "excluded":
        raise ValidationError(
            "screening.stage",
            stage,
            Expected("only excluded records stop at title/abstract"),
            location=where,
        )
    return Screening(via, stage, read, reports)


def reason_category(reason: str) -> str:
    """The reason category of an exclusion: its first clause.

    >>> reason_category("no control group (single-arm)")
    'no control group'
    """
    return re.split(r"[:(;]", reason, maxsplit=1)[0].strip()
