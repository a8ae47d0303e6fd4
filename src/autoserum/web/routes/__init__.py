"""The server-rendered pages, one router per resource."""

from fastapi import APIRouter

from autoserum.web.routes import (
    assessments,
    audit,
    auth,
    corrections,
    exports,
    records,
    safety,
    studies,
    subjects,
    unblinding,
)

__all__ = ["pages_router"]

pages_router = APIRouter()
for _module in (
    auth,
    studies,
    subjects,
    records,
    safety,
    corrections,
    assessments,
    audit,
    exports,
    unblinding,
):
    pages_router.include_router(_module.router)
