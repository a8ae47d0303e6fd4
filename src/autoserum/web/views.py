"""Helpers shared by the page and API routers: the studies a user may see, arm visibility.

Every user sees only the studies that have one of their sites; a study outside them is
reported as not found (its existence is not revealed).
"""

from __future__ import annotations

import time
import weakref

from autoserum.errors import Message, NotFoundError
from autoserum.protocols import Protocol
from autoserum.store import Store
from autoserum.study.blinding import can_see_arm
from autoserum.study.model import Study
from autoserum.web.deps import CurrentUser

__all__ = [
    "STUDY_CACHE_SECONDS",
    "StudyView",
    "shows_arm",
    "study_for",
    "visible_sites",
    "visible_studies",
]


class StudyView:
    """A study with the sites the user may see and its protocol."""

    def __init__(self, study: Study, sites: list[str], protocol: Protocol) -> None:
        self.study = study
        self.name = study.name
        self.protocol_code = study.protocol_code
        self.sites = sites
        self.protocol = protocol
        self.title = protocol.title
        self.blinding = protocol.blinding


def visible_sites(store: Store, user: CurrentUser, study: str) -> list[str]:
    """The codes of the sites of ``study`` the user belongs to."""
    return [s.code for s in store.studies.sites(study) if user.sees_site(study, s.code)]


def visible_studies(store: Store, user: CurrentUser) -> list[StudyView]:
    """The studies with at least one of the user's sites (admins: every study)."""
    out = []
    for study in store.studies.all():
        sites = visible_sites(store, user, study.name)
        if sites or user.sites is None:
            out.append(StudyView(study, sites, store.studies.protocol(study.name)))
    return out


#: How long a study and its site list are remembered (seconds): a new site becomes visible
#: at most this late. Studies and sites change rarely; every request looks them up.
STUDY_CACHE_SECONDS = 5.0
_Entry = tuple[float, Study, tuple[str, ...], Protocol]
_STUDIES: weakref.WeakKeyDictionary[Store, dict[str, _Entry]] = weakref.WeakKeyDictionary()


def _study_and_sites(store: Store, name: str) -> tuple[Study, tuple[str, ...], Protocol]:
    entries = _STUDIES.setdefault(store, {})
    now = time.monotonic()
    cached = entries.get(name)
    if cached is not None and now - cached[0] < STUDY_CACHE_SECONDS:
        return cached[1], cached[2], cached[3]
    study = store.studies.get(name)
    sites = tuple(s.code for s in store.studies.sites(name))
    protocol = store.studies.protocol(name)
    if len(entries) > 1000:
        entries.clear()
    entries[name] = (now, study, sites, protocol)
    return study, sites, protocol


def study_for(store: Store, user: CurrentUser, name: str) -> StudyView:
    """The study ``name`` if the user may see it (:class:`NotFoundError` otherwise), with the
    protocol the store froze into it at creation (never a library look-up by code)."""
    hidden = NotFoundError(Message("no study named %(name)s at your sites", name=repr(name)))
    try:
        study, all_sites, protocol = _study_and_sites(store, name)
    except NotFoundError:
        raise hidden from None  # the same answer as a study outside the user's sites
    sites = [code for code in all_sites if user.sees_site(name, code)]
    if not sites and user.sites is not None:
        raise hidden
    return StudyView(study, sites, protocol)


def shows_arm(user: CurrentUser, study: Study) -> bool:
    """Whether arms may be shown to ``user`` in ``study`` (the store masks them otherwise)."""
    return can_see_arm(user.role, unblinded=user.unblinded, open_label=study.open_label)
