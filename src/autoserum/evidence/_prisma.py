"""The review's search record and its PRISMA 2020 flow, computed from the records' screening.

``search.yaml`` holds the sources searched (with dates and queries, ``NR`` where the original
search did not record them) and the duplicates removed before screening. Each record of
``studies.yaml`` names the source of each of its reports (``screening.via``), the stage it
reached and its status; :func:`prisma_flow` counts the boxes of the PRISMA 2020 flow diagram
(Page MJ et al. BMJ 2021;372:n71) from them, and :meth:`PrismaFlow.check` verifies that the boxes
add up.

>>> flow = prisma_flow()
>>> flow.check()
>>> flow.screened == flow.identified_total - flow.duplicates
True
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from autoserum.errors import Expected, Message, StatisticsError, ValidationError
from autoserum.evidence._records import reason_category
from autoserum.evidence._registry import Registry, load_registry

__all__ = [
    "SOURCE_KINDS",
    "Duplicate",
    "PrismaFlow",
    "SearchRecord",
    "SearchSource",
    "load_search",
    "parse_search",
    "prisma_flow",
]

#: database and register: the left column of PRISMA 2020; the rest: "other methods".
SOURCE_KINDS = ("database", "register", "website", "citation", "other")


@dataclass(frozen=True)
class SearchSource:
    """One source searched, with its date and query (``NR`` when not recorded)."""

    id: str
    name: str
    kind: str
    searched: str
    query: str


@dataclass(frozen=True)
class Duplicate:
    """A record found again in another source and removed before screening."""

    via: str
    duplicate_of: str
    label: str


@dataclass(frozen=True)
class SearchRecord:
    """The search: sources, duplicates, and when the record was compiled and updated."""

    review: str
    compiled: str
    updated: str
    sources: tuple[SearchSource, ...]
    duplicates: tuple[Duplicate, ...]

    def source(self, source_id: str) -> SearchSource:
        """The source ``source_id``."""
        for s in self.sources:
            if s.id == source_id:
                return s
        raise ValidationError("via", source_id, Expected("a source id of search.yaml"))


def parse_search(text: str, reg: Registry) -> SearchRecord:
    """Parse ``search.yaml`` and check every reference against the registry."""
    doc = yaml.safe_load(text)
    sources = []
    for raw in doc["sources"]:
        where = f"search.yaml:{raw.get('id')}"
        if raw.get("kind") not in SOURCE_KINDS:
            raise ValidationError(
                "kind",
                raw.get("kind"),
                Expected("one of %(values)s", values=", ".join(SOURCE_KINDS)),
                location=where,
            )
        sources.append(
            SearchSource(
                str(raw["id"]),
                str(raw["name"]),
                str(raw["kind"]),
                str(raw["searched"]),
                str(raw["query"]),
            )
        )
    ids = {s.id for s in sources}
    dups = tuple(
        Duplicate(str(d["via"]), str(d["duplicate_of"]), str(d["label"]))
        for d in doc.get("duplicates") or ()
    )
    for d in dups:
        if d.via not in ids:
            raise ValidationError(
                "via", d.via, Expected("a source id"), location="search.yaml:duplicates"
            )
        if d.duplicate_of not in reg.studies:
            raise ValidationError(
                "duplicate_of",
                d.duplicate_of,
                Expected("a study id"),
                location="search.yaml:duplicates",
            )
    for st in reg.studies.values():
        for v in st.screening.via:
            if v not in ids:
                raise ValidationError(
                    "screening.via",
                    v,
                    Expected("a source id of search.yaml"),
                    location=f"studies.yaml:{st.id}",
                )
    return SearchRecord(
        str(doc["review"]), str(doc["compiled"]), str(doc["updated"]), tuple(sources), dups
    )


@cache
def load_search() -> SearchRecord:
    """The search record shipped with the package (validated against the registry)."""
    text = (resources.files("autoserum.evidence") / "data" / "search.yaml").read_text(
        encoding="utf-8"
    )
    return parse_search(text, load_registry())


@dataclass(frozen=True)
class PrismaFlow:
    """The boxes of the PRISMA 2020 flow diagram (counts of records, reports and studies)."""

    identified: dict[str, int]  # by source kind
    identified_by_source: dict[str, int]
    duplicates: int
    screened: int
    excluded_title_abstract: int
    sought: int
    not_retrieved: int
    assessed: int
    excluded_by_reason: dict[str, int]
    awaiting_classification: int
    ongoing: int
    studies_included: int
    reports_included: int
    included_rcts: int
    studies_awaiting: int
    studies_ongoing: int

    @property
    def identified_total(self) -> int:
        """Records identified from every source (before duplicates are removed)."""
        return sum(self.identified.values())

    @property
    def excluded_assessed(self) -> int:
        """Reports excluded after assessment, all reasons."""
        return sum(self.excluded_by_reason.values())

    def check(self) -> None:
        """Raise :class:`StatisticsError` unless every box adds up."""
        rules = {
            "identified - duplicates = screened": self.identified_total - self.duplicates
            == self.screened,
            "screened - excluded = sought": self.screened - self.excluded_title_abstract
            == self.sought,
            "sought - not retrieved = assessed": self.sought - self.not_retrieved == self.assessed,
            "assessed = excluded + awaiting + ongoing + included reports": self.assessed
            == self.excluded_assessed
            + self.awaiting_classification
            + self.ongoing
            + self.reports_included,
            "by source = by kind": sum(self.identified_by_source.values()) == self.identified_total,
        }
        broken = [rule for rule, ok in rules.items() if not ok]
        if broken:
            raise StatisticsError(
                Message("PRISMA flow does not add up: %(problems)s", problems="; ".join(broken))
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "identified": dict(self.identified),
            "identified_total": self.identified_total,
            "identified_by_source": dict(self.identified_by_source),
            "duplicates_removed": self.duplicates,
            "records_screened": self.screened,
            "records_excluded": self.excluded_title_abstract,
            "reports_sought": self.sought,
            "reports_not_retrieved": self.not_retrieved,
            "reports_assessed": self.assessed,
            "reports_excluded": dict(self.excluded_by_reason),
            "reports_awaiting_classification": self.awaiting_classification,
            "reports_ongoing": self.ongoing,
            "studies_included": self.studies_included,
            "reports_of_included_studies": self.reports_included,
            "included_rcts": self.included_rcts,
            "studies_awaiting_classification": self.studies_awaiting,
            "studies_ongoing": self.studies_ongoing,
        }


def prisma_flow(reg: Registry | None = None, search: SearchRecord | None = None) -> PrismaFlow:
    """Count the PRISMA 2020 boxes from the registry's records and the search record."""
    reg = reg if reg is not None else load_registry()
    search = search if search is not None else load_search()
    kind_of = {s.id: s.kind for s in search.sources}
    by_source: Counter[str] = Counter({s.id: 0 for s in search.sources})
    for st in reg.studies.values():
        sc = st.screening
        # a record counted as several reports (e.g. 14 RCTs itemised in a review) keeps one via
        vias = sc.via if sc.reports == len(sc.via) else sc.via[:1] * sc.reports
        by_source.update(vias)
    by_source.update(d.via for d in search.duplicates)
    by_kind: Counter[str] = Counter(dict.fromkeys(SOURCE_KINDS, 0))
    for source_id, n in by_source.items():
        by_kind[kind_of[source_id]] += n
    studies = list(reg.studies.values())

    def reports(stage: str | None = None, status: str | None = None) -> int:
        return sum(
            s.screening.reports
            for s in studies
            if (stage is None or s.screening.stage == stage)
            and (status is None or s.status == status)
        )

    screened = reports()
    excl_ta = reports("title_abstract")
    not_retrieved = reports("not_retrieved")
    reasons: Counter[str] = Counter()
    for s in studies:
        if s.screening.stage == "assessed" and s.status == "excluded":
            reasons[reason_category(s.status_reason)] += s.screening.reports
    included = [s for s in studies if s.status == "included"]
    return PrismaFlow(
        identified=dict(by_kind),
        identified_by_source=dict(by_source),
        duplicates=len(search.duplicates),
        screened=screened,
        excluded_title_abstract=excl_ta,
        sought=screened - excl_ta,
        not_retrieved=not_retrieved,
        assessed=reports("assessed"),
        excluded_by_reason=dict(reasons.most_common()),
        awaiting_classification=reports("assessed", "awaiting_classification"),
        ongoing=reports("assessed", "ongoing"),
        studies_included=len(included),
        reports_included=sum(s.screening.reports for s in included),
        included_rcts=sum(s.design.startswith("rct") for s in included),
        studies_awaiting=sum(s.status == "awaiting_classification" for s in studies),
        studies_ongoing=sum(s.status == "ongoing" for s in studies),
    )
