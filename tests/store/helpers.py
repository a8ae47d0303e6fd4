"""Shared set-up of the store tests: a double-blind study with one site and the staff."""

from __future__ import annotations

from datetime import date

from autoserum.permissions import allowed
from autoserum.store import Actor, Store


class SiteInEveryStudy(frozenset[tuple[str, str]]):
    """The site memberships of staff who belong to site ``code`` of every study the store tests
    create (each test makes studies of its own names): ``(study, code) in`` is true for any
    study. Only a test fixture: real memberships are (study, site) pairs read from the store."""

    code: str

    def __new__(cls, code: str) -> SiteInEveryStudy:
        made = super().__new__(cls)
        made.code = code
        return made

    def __contains__(self, key: object) -> bool:
        return isinstance(key, tuple) and len(key) == 2 and key[1] == self.code


ADMIN = Actor("ada", "admin")
INVESTIGATOR = Actor("ivan", "investigator", SiteInEveryStudy("s01"))
COORDINATOR = Actor("cora", "coordinator", SiteInEveryStudy("s01"))
MONITOR = Actor("mona", "monitor")
STATISTICIAN = Actor("stan", "statistician")
UNBLINDED_STATISTICIAN = Actor("ursula", "statistician", unblinded=True)
#: The unblinded preparer of the product (draws, processing, aliquots, kits) at site s01.
PREPARER = Actor("pia", "preparer", SiteInEveryStudy("s01"))
BLINDED = (INVESTIGATOR, COORDINATOR, MONITOR, STATISTICIAN)
#: The blinded roles the permission table lets read subjects and the audit trail.
READERS = tuple(a for a in BLINDED if allowed(a.role, "read_subject"))

ELIGIBLE = {"atopic_dermatitis": True, "age": 30, "scorad": 40, "sex": "F"}
#: The screening date of the test subjects (before every visit the tests record) and the
#: store's fixed "today" (tests never read the wall clock).
SCREENED_ON = "2026-02-16"
TODAY = date(2026, 6, 30)


def double_blind_study(store: Store, name: str = "AST", *, seed: int = 20260301) -> str:
    """``ast-nahm2023`` (serum vs placebo, double-blind) with site ``s01``."""
    store.studies.create(name, "ast-nahm2023", actor=ADMIN, seed=seed, allocation_n=16)
    store.studies.add_site(name, "s01", "Seoul", actor=ADMIN)
    return name


def enrolled(store: Store, study: str, subject_id: str, site: str = "s01") -> str:
    """Screen and randomise a subject; returns the arm (seen by the admin)."""
    store.subjects.screen(
        study,
        site,
        subject_id,
        ELIGIBLE,
        screened_on=SCREENED_ON,
        actor=COORDINATOR if site == "s01" else ADMIN,
    )
    return store.subjects.randomise(study, subject_id, actor=ADMIN)
