"""Pages of data review: the query dashboard (``/studies/{study}/queries``: counts and ages
per site, every query at the user's sites), SDV progress (``/studies/{study}/sdv``), a
subject's review page (``.../subjects/{subject_id}/review``: its queries with their threads,
its records with their verification, its signatures and the signing form) and the forms that
open, answer (with the correction of the queried field), close, re-open and cancel a query,
verify a record and sign. The query thread of a record is also shown on the record's page
(``routes/corrections.py``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from autoserum.errors import Expected, ValidationError
from autoserum.i18n import N_
from autoserum.store import Store
from autoserum.study.signatures import MEANINGS
from autoserum.web.deps import CsrfForm, CurrentUser, PageUser, StoreDep
from autoserum.web.formflow import submit
from autoserum.web.templating import render, translate
from autoserum.web.views import study_for

__all__ = ["router", "subject_review"]

router = APIRouter(tags=["pages"], include_in_schema=False)

_STEPS = {"answer": "answer_query", "close": "resolve_query", "reopen": "resolve_query",
          "cancel": "resolve_query"}  # fmt: skip
_LABELS = {
    "text": N_("Message"),
    "corrected_value": N_("Corrected value"),
    "password": N_("Password"),
    "meaning": N_("Meaning"),
    "timezone": N_("Time zone"),
}


def _back(study: str, form: Mapping[str, Any], default: str) -> str:
    """Where to go after a form: the page it was posted from, if it is a page of the study."""
    back = str(form.get("back") or "")
    ok = back.startswith(f"/studies/{study}/") and "//" not in back and "\\" not in back
    return back if ok else default


def _int(form: Mapping[str, Any], name: str) -> int:
    raw = str(form.get(name) or "").strip()
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) < 2**31:
        raise ValidationError(name, raw[:40], Expected("a record id (a whole number from 1)"))
    return int(raw)


def _text(form: Mapping[str, Any], name: str) -> str:
    return str(form.get(name) or "").strip()


@router.get("/studies/{study}/queries")
def query_dashboard(
    request: Request, study: str, user: PageUser, store: StoreDep, status: str | None = None
) -> Response:
    """Counts and ages of the queries per site, and the queries (optionally of one status)."""
    user.require("read_subject")
    view = study_for(store, user, study)
    chosen = status if status in {"open", "answered", "closed", "cancelled"} else None
    return render(
        request,
        "queries.html",
        {
            "study": view,
            "summary": store.queries.summary(study, actor=user.actor),
            "queries": store.queries.list(study, actor=user.actor, status=chosen),
            "status": chosen,
        },
    )


@router.get("/studies/{study}/sdv")
def sdv_page(request: Request, study: str, user: PageUser, store: StoreDep) -> Response:
    """SDV progress per site and subject under the study's SDV plan."""
    user.require("read_subject")
    view = study_for(store, user, study)
    return render(
        request,
        "sdv.html",
        {"study": view, "progress": store.sdv.progress(study, actor=user.actor)},
    )


def subject_review(
    request: Request,
    store: Store,
    user: CurrentUser,
    study: str,
    subject_id: str,
    *,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The subject's review page (also the page a refused review form is shown again on)."""
    user.require("read_subject")
    view = study_for(store, user, study)
    detail = store.subjects.detail(study, subject_id, actor=user.actor)
    verified = {
        (v["entity"], v["record_id"]): v
        for v in store.sdv.verifications(study, actor=user.actor, subject_id=subject_id)
    }
    records: list[tuple[str, Any, str]] = [("subject", detail.subject, subject_id)]
    for key, entity in (("visits", "visit"), ("assessments", "assessment"), ("labs", "lab"),
                        ("injections", "injection"), ("adverse_events", "adverse_event"),
                        ("con_meds", "con_med")):  # fmt: skip
        for record in getattr(detail, key, ()):
            label = (
                getattr(record, "visit_code", None)
                or getattr(record, "instrument", None)
                or getattr(record, "analyte", None)
                or getattr(record, "term", None)
                or getattr(record, "name", None)
                or str(getattr(record, "given_on", ""))
            )
            records.append((entity, record, str(label)))
    return render(
        request,
        "subject_review.html",
        {
            "study": view,
            "subject_id": subject_id,
            "queries": store.queries.list(study, actor=user.actor, subject_id=subject_id),
            "records": records,
            "verified": verified,
            "visits": detail.visits,
            "signatures": store.signatures.signatures(
                study, actor=user.actor, subject_id=subject_id
            ),
            "meanings": [(m, m) for m in MEANINGS],
            "signer_name": _printed_name(store, user),
            "values": values or {},
            "errors": errors or {},
            "labels": _LABELS,
            "can": {
                a: user.can(a)
                for a in (*set(_STEPS.values()), "raise_query", "verify_source", "sign")
            },
            "back": f"/studies/{study}/subjects/{subject_id}/review",
        },
        status_code=status_code,
    )


@router.get("/studies/{study}/subjects/{subject_id}/review")
def review_page(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep
) -> Response:
    """The subject's queries, verifications and signatures."""
    return subject_review(request, store, user, study, subject_id)


def _submit(
    request: Request,
    store: Store,
    user: CurrentUser,
    study: str,
    form: Mapping[str, Any],
    run: Callable[[], tuple[str, str]],
    values: Mapping[str, str],
) -> Response:
    """Run ``run`` (→ (message, subject id)) through the form controller; a refused form is
    shown again on the subject's review page."""
    subject: list[str] = [_text(form, "subject_id")]

    def action() -> str:
        message, subject_id = run()
        subject[0] = subject_id
        return message

    def redisplay(typed: Mapping[str, str], errs: Mapping[str, str], code: int) -> Response:
        if not subject[0]:
            return render(request, "error.html", {"message": "; ".join(errs.values())},
                          status_code=code)  # fmt: skip
        return subject_review(request, store, user, study, subject[0], values=typed,
                              errors=errs, status_code=code)  # fmt: skip

    default = (
        f"/studies/{study}/subjects/{subject[0]}/review"
        if subject[0]
        else f"/studies/{study}/queries"
    )
    return submit(
        request, values=values, names=_LABELS, action=action, redisplay=redisplay,
        success_url=_back(study, form, default),
    )  # fmt: skip


@router.post("/studies/{study}/queries")
def open_query(
    request: Request, study: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Open a query on a record (or one field of it)."""
    user.require("raise_query")
    study_for(store, user, study)

    def run() -> tuple[str, str]:
        entity = _text(form, "entity")
        q = store.queries.open(
            study, entity, _int(form, "record_id"), _text(form, "text"), actor=user.actor,
            field=_text(form, "field") or None,
        )  # fmt: skip
        message = translate(
            request, "Query %(id)s opened on %(record)s %(record_id)s.", id=q.id,
            record=translate(request, entity).replace("_", " "), record_id=q.record_id,
        )  # fmt: skip
        return message, q.subject_id

    return _submit(request, store, user, study, form, run, {"text": _text(form, "text")})


@router.post("/studies/{study}/queries/{query_id}/{step}")
def query_step(
    request: Request,
    study: str,
    query_id: int,
    step: str,
    user: PageUser,
    store: StoreDep,
    form: CsrfForm,
) -> Response:
    """Answer (with the corrected value of the queried field, if given), close, re-open or
    cancel a query."""
    action = _STEPS.get(step)
    if action is None:
        raise ValidationError("step", step, Expected("one of %(values)s", values=", ".join(_STEPS)))
    user.require(action)
    study_for(store, user, study)

    def run() -> tuple[str, str]:
        corrected = _text(form, "corrected_value")
        changes = None
        version = None
        if step == "answer" and corrected:
            query = store.queries.get(study, query_id, actor=user.actor)
            if query.field is None:
                raise ValidationError(
                    "corrected_value", corrected, Expected("no value (the query names no field)")
                )
            changes, version = {query.field: corrected}, _int(form, "record_version")
        q = store.queries.step(
            study, query_id, step, _text(form, "text"), actor=user.actor, changes=changes,
            record_version=version,
        )  # fmt: skip
        message = translate(
            request, "Query %(id)s is %(status)s.", id=q.id,
            status=translate(request, q.status).replace("_", " "),
        )  # fmt: skip
        return message, q.subject_id

    return _submit(request, store, user, study, form, run, {"text": _text(form, "text")})


@router.post("/studies/{study}/verifications")
def verify(
    request: Request, study: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Mark a record verified against the source."""
    user.require("verify_source")
    study_for(store, user, study)

    def run() -> tuple[str, str]:
        entity = _text(form, "entity")
        done = store.sdv.verify(study, entity, _int(form, "record_id"), actor=user.actor)
        message = translate(
            request, "%(record)s %(record_id)s verified.",
            record=translate(request, entity).replace("_", " "), record_id=done["record_id"],
        )  # fmt: skip
        return message, done["subject_id"]

    return _submit(request, store, user, study, form, run, {})


def _printed_name(store: Store, user: CurrentUser) -> str | None:
    """The printed name of the user's signatures: their account's full name (21 CFR 11.50)."""
    if not user.can("sign"):
        return None
    account = store.accounts.get_user(user.username)
    return None if account is None else account.full_name


@router.post("/studies/{study}/signatures")
def sign(request: Request, study: str, user: PageUser, store: StoreDep, form: CsrfForm) -> Response:
    """Sign a visit, a casebook or the study; the password is entered again."""
    user.require("sign")
    study_for(store, user, study)

    def run() -> tuple[str, str]:
        level = _text(form, "level")
        signature = store.signatures.sign(
            study, level, actor=user.actor, password=str(form.get("password") or ""),
            meaning=_text(form, "meaning"), timezone=_text(form, "timezone") or "UTC",
            subject_id=_text(form, "subject_id") or None,
            visit_code=_text(form, "visit_code") or None,
        )  # fmt: skip
        message = translate(
            request, "Signed: %(manifestation)s.", manifestation=signature.manifestation
        )
        return message, signature.subject_id or ""

    values = {k: _text(form, k) for k in ("meaning", "timezone")}
    return _submit(request, store, user, study, form, run, values)
