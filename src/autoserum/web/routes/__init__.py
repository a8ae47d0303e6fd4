"""The server-rendered pages, one router per resource."""

from fastapi import APIRouter

from autoserum.web.routes import (
    account,
    admin,
    assessments,
    audit,
    auth,
    corrections,
    exports,
    locks,
    patient,
    product,
    records,
    review,
    safety,
    security,
    self_report,
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
    review,
    locks,
    product,
    self_report,
    patient,
    admin,
    security,
    account,
):
    pages_router.include_router(_module.router)
