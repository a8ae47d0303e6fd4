"""The server-rendered pages, one router per resource."""

from fastapi import APIRouter

from autoserum.web.routes import (
    assessments,
    audit,
    auth,
    exports,
    records,
    studies,
    subjects,
)

__all__ = ["pages_router"]

pages_router = APIRouter()
for _module in (auth, studies, subjects, records, assessments, audit, exports):
    pages_router.include_router(_module.router)
