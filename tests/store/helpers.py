"""Shared set-up of the store tests: a double-blind study with one site and the staff."""

from __future__ import annotations

from datetime import date

from autoserum.store import Actor, Store

ADMIN = Actor("ada", "admin")
INVESTIGATOR = Actor("ivan", "investigator", frozenset({"s01"}))
COORDINATOR = Actor("cora", "coordinator", frozenset({"s01"}))
MONITOR = Actor("mona", "monitor")
STATISTICIAN = Actor("stan", "statistician")
UNBLINDED_STATISTICIAN = Actor("ursula", "statistician", unblinded=True)
BLINDED = (INVESTIGATOR, COORDINATOR, MONITOR, STATISTICIAN)

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
