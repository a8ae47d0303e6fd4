"""API: ``/api/v1/studies``."""

from __future__ import annotations

from fastapi import APIRouter

from autoserum.web.deps import ApiUser, StoreDep
from autoserum.web.schemas import StudyPublic
from autoserum.web.views import StudyView, study_for, visible_studies

__all__ = ["router"]

router = APIRouter(prefix="/studies", tags=["studies"])


def _public(view: StudyView) -> StudyPublic:
    return StudyPublic(
        name=view.name,
        protocol_code=view.protocol_code,
        title=view.title,
        blinding=view.blinding,
        open_label=view.study.open_label,
        sites=view.sites,
        stratify_by={name: list(levels) for name, levels in view.study.stratify_by},
    )


@router.get("", response_model=list[StudyPublic])
def list_studies(user: ApiUser, store: StoreDep) -> list[StudyPublic]:
    """The studies at the caller's sites."""
    user.require("read_study")
    return [_public(v) for v in visible_studies(store, user)]


@router.get("/{study}", response_model=StudyPublic)
def read_study(study: str, user: ApiUser, store: StoreDep) -> StudyPublic:
    """One study (404 when it does not exist or has none of the caller's sites)."""
    user.require("read_study")
    return _public(study_for(store, user, study))
