"""Studies and their sites: creation (with the protocol frozen into the study), look-ups, the
study's own protocol and its amendments (versions effective from a date)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from autoserum.errors import Expected, Message, StateError, ValidationError
from autoserum.protocols import (
    Protocol,
    ProtocolVersion,
    ProtocolVersions,
    check_amendment,
    resolve_protocol,
)
from autoserum.store._allocation import check_stratify_by, generate_list
from autoserum.store._base import STAGING_PREFIX, Actor, Service
from autoserum.store._locks import require_unlocked
from autoserum.store._types import utcnow
from autoserum.store.models import ProtocolVersionRow, SiteRow, StudyRow, VisitRow
from autoserum.study.coerce import as_date
from autoserum.study.locks import Target
from autoserum.study.model import Arm, Site, Study
from autoserum.study.randomisation import stratum_key
from autoserum.study.rules import NOTE_MAX, bounded_text

__all__ = ["DEFAULT_ALLOCATION_N", "StudyService", "new_study", "study_view"]

DEFAULT_ALLOCATION_N = 200
"""Allocation-list entries generated per stratum (site) unless the study says otherwise."""


def study_view(row: StudyRow, protocol: Protocol) -> Study:
    """The domain view of a study row."""
    return Study(
        name=row.name,
        protocol_code=row.protocol_code,
        open_label=row.open_label,
        has_run_in=row.has_run_in,
        arms=tuple(Arm(a.code, a.label, a.product, a.is_control) for a in protocol.arms),
        stratify_by=tuple((k, tuple(v)) for k, v in sorted((row.stratify_by or {}).items())),
        start_date=row.start_date,
    )


def new_study(
    s: Session,
    name: str,
    protocol: Protocol,
    seed: int,
    allocation_n: int,
    factors: Mapping[str, list[str]] | None = None,
    *,
    start_date: date | None = None,
) -> StudyRow:
    """Insert a study row with ``protocol`` frozen into it (the copy every later reader uses)."""
    if s.scalar(select(StudyRow.id).where(StudyRow.name == name)) is not None:
        raise StateError(Message("a study named %(name)s exists already", name=repr(name)))
    row = StudyRow(
        name=name,
        protocol_code=protocol.code,
        protocol=protocol.model_dump(mode="json"),
        open_label=protocol.blinding == "open_label",
        has_run_in=any(p.code == "run_in" for p in protocol.phases),
        seed=seed,
        allocation_n=allocation_n,
        stratify_by=dict(factors) if factors else None,
        start_date=start_date,
        created_at=utcnow(),
        version=1,
    )
    s.add(row)
    s.flush()
    return row


class StudyService(Service):
    """``store.studies``: studies, their frozen protocols and their sites."""

    def create(
        self,
        name: str,
        protocol: str | Protocol,
        *,
        actor: Actor,
        seed: int | None = None,
        allocation_n: int = DEFAULT_ALLOCATION_N,
        stratify_by: Mapping[str, Sequence[str]] | None = None,
        start_date: date | str | None = None,
    ) -> Study:
        """Create a study running a library protocol (code), a protocol file (path) or object;
        the protocol is frozen into the study (later library changes do not touch it).

        ``seed`` seeds the concealed allocation lists (random when omitted; recorded).
        ``stratify_by`` declares stratification factors besides the site, each with its levels
        (``{"baseline_severity": ("moderate", "severe")}``): every randomisation then names the
        subject's level of each, and each site × levels stratum has its own concealed list.
        ``start_date``: the study start; no date of a subject's record (screening, visits,
        injections, adverse events) may be before it.
        Example: ``store.studies.create("AST-1", "ast-nahm2023", actor=admin)``.
        """
        self._require(actor, "manage_study")
        self._nonempty("name", name)
        if name.startswith(STAGING_PREFIX):
            raise ValidationError(
                "name",
                name,
                Expected(
                    "a name not starting with %(staging_prefix)s",
                    staging_prefix=repr(STAGING_PREFIX),
                ),
            )
        plan = protocol if isinstance(protocol, Protocol) else resolve_protocol(protocol)
        if seed is None:
            seed = secrets.randbelow(2**62)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0 or seed >= 2**63:
            raise ValidationError("seed", seed, Expected("an integer in [0, 2^63)"))
        if isinstance(allocation_n, bool) or not isinstance(allocation_n, int) or allocation_n < 1:
            raise ValidationError("allocation_n", allocation_n, Expected("an integer ≥ 1"))
        factors = check_stratify_by(stratify_by)
        started = None if start_date is None else as_date("start_date", start_date)
        with self._write(actor) as s:
            row = new_study(s, name, plan, seed, allocation_n, factors, start_date=started)
            return study_view(row, plan)

    def all(self) -> list[Study]:
        """Every study, by name."""
        with self._read() as s:
            rows = s.scalars(
                select(StudyRow)
                .where(~StudyRow.name.startswith(STAGING_PREFIX, autoescape=True))
                .order_by(StudyRow.name)
            ).all()
            return [study_view(r, self._protocol(r)) for r in rows]

    def get(self, name: str) -> Study:
        """The study named ``name`` (:class:`NotFoundError` otherwise)."""
        with self._read() as s:
            row = self._study(s, name)
            return study_view(row, self._protocol(row))

    def protocol(self, name: str, *, on: date | str | None = None) -> Protocol:
        """The protocol of the study ``name`` as frozen into it (at its creation, then by its
        amendments): what the web app, the analysis and the report of a stored study use (never
        a library look-up by code). ``on``: the version in effect on that date; by default
        the latest version."""
        day = None if on is None else as_date("on", on)
        with self._read() as s:
            return self._protocol(self._study(s, name), on=day)

    def versions(self, name: str) -> ProtocolVersions:
        """The versions of the study's protocol (1 = as created, then each amendment)."""
        with self._read() as s:
            return self._versions(self._study(s, name))

    def amend(
        self,
        name: str,
        protocol: str | Protocol,
        *,
        actor: Actor,
        effective_on: date | str,
        summary: str,
        approved_by: str,
    ) -> ProtocolVersion:
        """Record an approved amendment: the next version of the study's protocol, governing
        every visit dated on or after ``effective_on``; earlier data keep their version.

        Refused (:class:`ValidationError`) when the amended protocol changes the arms or the
        blinding, or when ``effective_on`` is not after the current version's effective date
        (or the study start) and after every visit recorded (nothing recorded changes version).
        Audited (the amendment's row and the study's ``protocol_version``).
        Example: ``store.studies.amend("AST-1", "v2.toml", actor=admin,
        effective_on="2026-06-01", summary="week 12 visit added", approved_by="IRB Seoul")``.
        """
        self._require(actor, "manage_study", study=name)
        plan = protocol if isinstance(protocol, Protocol) else resolve_protocol(protocol)
        effective = as_date("effective_on", effective_on)
        what = bounded_text("summary", summary, limit=NOTE_MAX) or ""
        approver = bounded_text("approved_by", approved_by, limit=200) or ""
        with self._write(actor, f"protocol amendment: {what}") as s:
            st = self._study(s, name)
            require_unlocked(s, st, Target(), what=Message("amend the protocol"))
            current = self._versions(st).current
            check_amendment(current.protocol, plan)
            floor = current.effective_on or st.start_date
            if floor is not None and effective <= floor:
                since = f"version {current.number}" if current.effective_on else "the study start"
                raise ValidationError(
                    "effective_on",
                    effective.isoformat(),
                    Expected("a date after %(floor)s (%(since)s)", floor=floor, since=since),
                )
            last = s.scalar(select(func.max(VisitRow.visit_date)).where(VisitRow.study_id == st.id))
            if last is not None and effective <= last:
                raise ValidationError(
                    "effective_on",
                    effective.isoformat(),
                    Expected(
                        "a date after the latest visit recorded (%(last)s): data "
                        "recorded keep the version they were recorded under",
                        last=last,
                    ),
                )
            number = current.number + 1
            s.add(
                ProtocolVersionRow(
                    study_id=st.id,
                    number=number,
                    effective_on=effective,
                    summary=what,
                    approved_by=approver,
                    protocol=plan.model_dump(mode="json"),
                    recorded_by=actor.username,
                    recorded_at=utcnow(),
                    version=1,
                )
            )
            st.protocol_version = number
            s.flush()
            return self._versions(st).current

    def add_site(self, study: str, code: str, name: str, *, actor: Actor) -> Site:
        """Add a site; its concealed allocation list (stratum ``site=<code>``) is generated now."""
        self._require(actor, "manage_study", study=study)
        self._nonempty("site", code)
        with self._write(actor) as s:
            st = self._study(s, study)
            require_unlocked(s, st, Target(), what=Message("add a site"))
            exists = s.scalar(
                select(SiteRow.id).where(SiteRow.study_id == st.id, SiteRow.code == code)
            )
            if exists is not None:
                raise StateError(
                    Message(
                        "site %(code)s exists already in study %(study)s",
                        code=repr(code),
                        study=repr(study),
                    )
                )
            s.add(SiteRow(study_id=st.id, code=code, name=name, version=1))
            if not st.stratify_by:  # factored strata get their lists at first use
                generate_list(s, st, self._protocol(st), stratum_key(code))
            return Site(code=code, name=name)

    def sites(self, study: str) -> list[Site]:
        """The sites of a study, by code."""
        with self._read() as s:
            st = self._study(s, study)
            rows = s.scalars(
                select(SiteRow).where(SiteRow.study_id == st.id).order_by(SiteRow.code)
            ).all()
            return [Site(code=r.code, name=r.name) for r in rows]
