"""API: data queries and automatic checks. ``/api/v1/studies/{study}/queries`` (list, open),
``.../queries/summary`` (counts and ages per site), ``.../queries/{id}`` (one with its thread),
``.../queries/{id}/answer|close|reopen|cancel`` and ``.../checks/run``.

No arm appears in a query: the automatic checks never name one, and the queried record's
values are not part of the query.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from autoserum.web.api._common import StudyPath
from autoserum.web.deps import ApiUser, StoreDep
from autoserum.web.schemas import QueryAnswer, QueryCreate, QueryStep
from autoserum.web.views import study_for

__all__ = ["router"]

router = APIRouter(prefix="/studies/{study}", tags=["queries"])

QueryId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the query's id")]
Status = Annotated[str | None, Query(pattern=r"^(open|answered|closed|cancelled)$")]
Site = Annotated[str | None, Query(max_length=50, pattern=r"^[^\x00]*$")]
Subject = Annotated[str | None, Query(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$")]


@router.get("/queries")
def list_queries(
    study: StudyPath,
    user: ApiUser,
    store: StoreDep,
    status: Status = None,
    site: Site = None,
    subject_id: Subject = None,
) -> list[dict[str, Any]]:
    """The study's queries at the caller's sites with their threads and ages (optionally of
    one status, site or subject)."""
    user.require("read_subject")
    study_for(store, user, study)
    found = store.queries.list(
        study, actor=user.actor, status=status, site=site, subject_id=subject_id
    )
    return [q.to_dict() for q in found]


@router.get("/queries/summary")
def query_summary(study: StudyPath, user: ApiUser, store: StoreDep) -> list[dict[str, Any]]:
    """Per site: queries by status, mean and largest age (days) of the open ones."""
    user.require("read_subject")
    study_for(store, user, study)
    return store.queries.summary(study, actor=user.actor)


@router.post("/queries", status_code=201)
def open_query(
    study: StudyPath, body: QueryCreate, user: ApiUser, store: StoreDep
) -> dict[str, Any]:
    """Open a query on a record or one field of it (monitor, admin)."""
    user.require("raise_query")
    study_for(store, user, study)
    query = store.queries.open(
        study, body.entity, body.record_id, body.text, actor=user.actor, field=body.field
    )
    return query.to_dict()


@router.get("/queries/{query_id}")
def get_query(
    study: StudyPath, query_id: QueryId, user: ApiUser, store: StoreDep
) -> dict[str, Any]:
    """One query with its thread."""
    user.require("read_subject")
    study_for(store, user, study)
    return store.queries.get(study, query_id, actor=user.actor).to_dict()


@router.post("/queries/{query_id}/answer")
def answer_query(
    study: StudyPath, query_id: QueryId, body: QueryAnswer, user: ApiUser, store: StoreDep
) -> dict[str, Any]:
    """Answer a query (site staff), with the correction of the queried record if ``changes``
    are given (and the ``record_version`` read): made in the same transaction, linked."""
    user.require("answer_query")
    study_for(store, user, study)
    query = store.queries.answer(
        study, query_id, body.text, actor=user.actor, changes=body.changes,
        record_version=body.record_version,
    )  # fmt: skip
    return query.to_dict()


def _step(step: str, study: str, query_id: int, body: QueryStep, user: Any, store: Any) -> Any:
    user.require("resolve_query")
    study_for(store, user, study)
    return store.queries.step(study, query_id, step, body.text, actor=user.actor).to_dict()


@router.post("/queries/{query_id}/close")
def close_query(
    study: StudyPath, query_id: QueryId, body: QueryStep, user: ApiUser, store: StoreDep
) -> dict[str, Any]:
    """Close a query (monitor)."""
    result: dict[str, Any] = _step("close", study, query_id, body, user, store)
    return result


@router.post("/queries/{query_id}/reopen")
def reopen_query(
    study: StudyPath, query_id: QueryId, body: QueryStep, user: ApiUser, store: StoreDep
) -> dict[str, Any]:
    """Re-open an answered or closed query (monitor)."""
    result: dict[str, Any] = _step("reopen", study, query_id, body, user, store)
    return result


@router.post("/queries/{query_id}/cancel")
def cancel_query(
    study: StudyPath, query_id: QueryId, body: QueryStep, user: ApiUser, store: StoreDep
) -> dict[str, Any]:
    """Cancel a query raised in error (monitor)."""
    result: dict[str, Any] = _step("cancel", study, query_id, body, user, store)
    return result


@router.post("/checks/run")
def run_checks(study: StudyPath, user: ApiUser, store: StoreDep) -> list[dict[str, Any]]:
    """Run the study's automatic checks at the caller's sites; the new findings (each raised
    as a query)."""
    user.require("run_checks")
    study_for(store, user, study)
    return store.checks.run(study, actor=user.actor)
