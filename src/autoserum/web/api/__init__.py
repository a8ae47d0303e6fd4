"""The JSON API under ``/api/v1``, one router per resource, authenticated by API tokens."""

from fastapi import APIRouter

from autoserum.web.api import (
    assessments,
    audit,
    consent,
    exports,
    instruments,
    locks,
    product,
    queries,
    records,
    review,
    studies,
    subjects,
)

__all__ = ["api_router"]

api_router = APIRouter(prefix="/api/v1")
for _module in (
    instruments,
    studies,
    subjects,
    assessments,
    records,
    product,
    consent,
    queries,
    review,
    locks,
    audit,
    exports,
):
    api_router.include_router(_module.router)
