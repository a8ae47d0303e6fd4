"""Pages: subject list, screening, the subject page and its record forms, withdrawal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from autoserum.errors import ConflictError, StateError, ValidationError
from autoserum.protocols import evaluate_eligibility
from autoserum.store import Store
from autoserum.study.status import SubjectStatus
from autoserum.web.calendar import calendar, day0_of, trajectory
from autoserum.web.charts import trajectory_svg
from autoserum.web.deps import CsrfForm, CurrentUser, PageUser, StoreDep
from autoserum.web.forms import display_number
from autoserum.web.recordforms import RECORD_FORMS, FormField, error_field, optional_text
from autoserum.web.screening import fact_fields, parse_facts
from autoserum.web.sessions import flash
from autoserum.web.templating import render
from autoserum.web.views import StudyView, shows_arm, study_for

__all__ = ["router", "subject_page"]

router = APIRouter(tags=["pages"], include_in_schema=False)

_BASE = "/studies/{study}/subjects/{subject_id}"


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@router.get("/studies/{study}/subjects")
def subject_list(request: Request, study: str, user: PageUser, store: StoreDep) -> Response:
    """The subjects of a study at the user's sites, with status (and arm when allowed)."""
    user.require("read_subject")
    view = study_for(store, user, study)
    subjects = store.subjects(study, user.actor)
    show_arm = shows_arm(user, view.study)
    rows = [
        {
            "subject_id": s.subject_id,
            "site": s.site,
            "status": s.status.value,
            "arm": s.arm if show_arm else None,
        }
        for s in subjects
    ]
    return render(
        request,
        "subjects.html",
        {"study": view, "subjects": rows, "show_arm": show_arm, "can_screen": user.can("screen")},
    )


def _screen_page(
    request: Request,
    view: StudyView,
    values: Mapping[str, str],
    errors: Mapping[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "screen.html",
        {
            "study": view,
            "fact_fields": fact_fields(view.protocol),
            "site_options": [(s, s) for s in view.sites],
            "values": values,
            "errors": errors,
        },
        status_code=status_code,
    )


@router.get("/studies/{study}/screen")
def screen_form(request: Request, study: str, user: PageUser, store: StoreDep) -> Response:
    """The screening form: site, subject identifier and the protocol's eligibility facts."""
    user.require("screen")
    view = study_for(store, user, study)
    return _screen_page(request, view, {}, {})


@router.post("/studies/{study}/screen")
def screen(
    request: Request, study: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Register a screened subject; eligibility is evaluated from the protocol's rules."""
    user.require("screen")
    view = study_for(store, user, study)
    facts, values, errors = parse_facts(view.protocol, form)
    site = str(form.get("site") or "").strip()
    subject_id = str(form.get("subject_id") or "").strip()
    values.update(site=site, subject_id=subject_id)
    if site not in view.sites:
        errors["site"] = f"got {site!r}; expected one of your sites: {', '.join(view.sites)}"
    if not subject_id:
        errors["subject_id"] = "required"
    if not errors:
        try:
            result = evaluate_eligibility(view.protocol, facts)
        except ValidationError as err:
            errors[err.field.removeprefix("facts.")] = str(err)
    if errors:
        return _screen_page(request, view, values, errors, 422)
    try:
        store.screen_subject(study, site, subject_id, facts, user.actor)
    except (ValidationError, StateError) as err:
        field = err.field if isinstance(err, ValidationError) else "subject_id"
        errors[error_field(field, set(values), {"site": "site"})] = str(err)
        return _screen_page(request, view, values, errors, 422)
    if result.failed:
        store.transition_subject(
            study,
            subject_id,
            SubjectStatus.SCREEN_FAILED,
            user.actor,
            reason="not eligible: " + ", ".join(result.failed),
        )
        flash(
            request, f"{subject_id} is not eligible ({', '.join(result.failed)}): screen failure."
        )
    elif result.unknown:
        flash(
            request,
            f"{subject_id} screened; still unknown: {', '.join(result.unknown)} "
            "(randomisation is refused while a rule fails).",
        )
    else:
        flash(request, f"{subject_id} screened: eligible.")
    return RedirectResponse(f"/studies/{study}/subjects/{subject_id}", status_code=303)


def subject_page(
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
    """Render the subject page (with the values and errors of a failed form, if any)."""
    user.require("read_subject")
    view = study_for(store, user, study)
    detail = store.subject_detail(study, subject_id, user.actor)
    rows = calendar(view.protocol, detail)
    series, maxima = trajectory(detail)
    recorded_visits = [v.visit_code for v in detail.visits if v.visit_code]
    visit_of = {v.id: v.visit_code for v in detail.visits}
    records: dict[str, list[dict[str, Any]]] = {
        "injections": [vars(i) for i in detail.injections],
        "labs": [{**vars(r), "visit": visit_of.get(r.visit_id)} for r in detail.labs],
        "adverse_events": [vars(a) for a in detail.adverse_events],
        "con_meds": [vars(c) for c in detail.con_meds],
    }
    sections: list[dict[str, Any]] = []
    open_form = (values or {}).get("_form")
    for spec in RECORD_FORMS:
        fields: list[FormField] = list(spec.fields)
        if spec.key == "labs":
            fields[0] = FormField(
                "lab_visit_code",
                "Visit",
                options=tuple((c, c) for c in recorded_visits),
                required=True,
            )
        sections.append(
            {
                "key": spec.key,
                "title": spec.title,
                "entity": spec.entity,
                "columns": spec.columns,
                "rows": [{k: _cell(v) for k, v in row.items()} for row in records[spec.key]],
                "form": {"noun": spec.noun, "fields": fields, "open": open_form == spec.key},
            }
        )
    sections.append(
        {
            "key": "deviations",
            "title": "Protocol deviations",
            "entity": "deviation",
            "columns": ("kind", "description", "days"),
            "rows": [vars(d) for d in detail.deviations],
            "form": None,
        }
    )
    subject = detail.subject
    show_arm = shows_arm(user, view.study)
    return render(
        request,
        "subject.html",
        {
            "study": view,
            "subject": {
                "subject_id": subject.subject_id,
                "site": subject.site,
                "status": subject.status.value,
                "arm": subject.arm if show_arm else None,
                "randomised": subject.arm is not None,
                "start_date": day0_of(detail),
            },
            "show_arm": show_arm,
            "base": _BASE.format(study=study, subject_id=subject_id),
            "calendar": rows,
            "visit_options": [
                (p.code, f"{p.label} (day {p.day})")
                for p in view.protocol.visits
                if p.code not in recorded_visits
            ],
            "chart": trajectory_svg(series, maxima),
            "sections": sections,
            "values": values or {},
            "errors": errors or {},
            "can_write": user.can("write_data"),
            "can_withdraw": user.can("withdraw"),
            "can_randomise": user.can("randomise"),
            "status_options": [(v, v.replace("_", " ")) for v in _NEXT_STATUSES],
            "today": dt.datetime.now(dt.UTC).date().isoformat(),
            "fmt": display_number,
        },
        status_code=status_code,
    )


@router.get(_BASE)
def subject(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep
) -> Response:
    """The subject page: calendar, chart and everything recorded."""
    return subject_page(request, store, user, study, subject_id)


def _act(
    request: Request,
    store: Store,
    user: CurrentUser,
    study: str,
    subject_id: str,
    form: FormData,
    *,
    form_key: str,
    names: set[str],
    action: Callable[[], str],
    aliases: Mapping[str, str] | None = None,
) -> Response:
    """Run a store action; on success flash its message and redirect to the subject page, on a
    validation or state error re-show the page with the message and the typed values."""
    values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    values["_form"] = form_key
    try:
        message = action()
    except ValidationError as err:
        field = error_field(err.field, names, aliases)
        return subject_page(
            request, store, user, study, subject_id,
            values=values, errors={field: str(err)}, status_code=422,
        )  # fmt: skip
    except (StateError, ConflictError) as err:
        return subject_page(
            request, store, user, study, subject_id,
            values=values, errors={"__all__": str(err)}, status_code=err.http_status,
        )  # fmt: skip
    flash(request, message)
    return RedirectResponse(_BASE.format(study=study, subject_id=subject_id), status_code=303)


def _required(form: FormData, name: str, label: str) -> str:
    value = optional_text(form, name)
    if value is None:
        raise ValidationError(name, "", f"a value for {label}")
    return value


@router.post(_BASE + "/randomise")
def randomise(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Enrol and randomise a screened subject (the arm is shown only to unblinded roles)."""
    user.require("randomise")
    view = study_for(store, user, study)

    def run() -> str:
        arm = store.randomise(study, subject_id, user.actor)
        shown = arm if shows_arm(user, view.study) else "concealed (blinded study)"
        return f"{subject_id} enrolled and randomised; arm: {shown}."

    return _act(request, store, user, study, subject_id, form, form_key="", names=set(), action=run)


@router.post(_BASE + "/visits")
def record_visit(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Record a planned visit on its date (placed in its window; a deviation if outside)."""
    user.require("write_data")

    def run() -> str:
        code = _required(form, "visit_code", "the visit")
        visit = store.record_visit(
            study, subject_id, code, _required(form, "visit_date", "the date"), user.actor
        )
        late = "" if visit.deviation_days is None else f" ({visit.deviation_days:+d} d outside)"
        return f"Visit {code} recorded{late}."

    return _act(
        request, store, user, study, subject_id, form,
        form_key="visits", names={"visit_code", "visit_date"}, action=run,
    )  # fmt: skip


@router.post(_BASE + "/injections")
def record_injection(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Record an injection given (its product follows the subject's arm; never shown blinded)."""
    user.require("write_data")

    def run() -> str:
        store.record_injection(
            study,
            subject_id,
            _required(form, "given_on", "the date given"),
            user.actor,
            volume_ml=optional_text(form, "volume_ml"),
            site=optional_text(form, "injection_site"),
            lot=optional_text(form, "lot"),
        )
        return "Injection recorded."

    return _act(
        request, store, user, study, subject_id, form, form_key="injections",
        names={"given_on", "volume_ml", "injection_site", "lot"}, action=run,
        aliases={"site": "injection_site"},
    )  # fmt: skip


@router.post(_BASE + "/labs")
def record_lab(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Record a lab result at a recorded visit (converted to its canonical unit, flagged)."""
    user.require("write_data")

    def run() -> str:
        analyte = _required(form, "analyte", "the analyte")
        store.record_lab(
            study,
            subject_id,
            _required(form, "lab_visit_code", "the visit"),
            analyte,
            _required(form, "value", "the value"),
            _required(form, "unit", "the unit"),
            user.actor,
            ref_low=optional_text(form, "ref_low"),
            ref_high=optional_text(form, "ref_high"),
        )
        return f"Lab result {analyte} recorded."

    return _act(
        request, store, user, study, subject_id, form, form_key="labs",
        names={"lab_visit_code", "analyte", "value", "unit", "ref_low", "ref_high"}, action=run,
        aliases={"visit_code": "lab_visit_code"},
    )  # fmt: skip


def _yes_no(form: FormData, name: str) -> bool:
    value = _required(form, name, name)
    if value not in ("yes", "no"):
        raise ValidationError(name, value, "yes or no")
    return value == "yes"


@router.post(_BASE + "/adverse_events")
def record_adverse_event(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Record an adverse event (coded severity, seriousness, relatedness, outcome)."""
    user.require("write_data")

    def run() -> str:
        term = _required(form, "term", "the term")
        store.record_adverse_event(
            study,
            subject_id,
            user.actor,
            term=term,
            severity=_required(form, "severity", "the severity"),
            serious=_yes_no(form, "serious"),
            related=_required(form, "related", "the relatedness"),
            outcome=_required(form, "outcome", "the outcome"),
            onset_date=optional_text(form, "onset_date"),
        )
        return f"Adverse event “{term}” recorded."

    return _act(
        request, store, user, study, subject_id, form, form_key="adverse_events",
        names={"term", "severity", "serious", "related", "outcome", "onset_date"}, action=run,
    )  # fmt: skip


@router.post(_BASE + "/con_meds")
def record_con_med(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Record a concomitant medication."""
    user.require("write_data")
    names = {"name", "dose", "route", "start_date", "end_date", "indication"}

    def run() -> str:
        name = _required(form, "name", "the medication")
        store.record_con_med(
            study,
            subject_id,
            user.actor,
            name=name,
            **{k: optional_text(form, k) for k in names - {"name"}},
        )
        return f"Medication {name} recorded."

    return _act(
        request, store, user, study, subject_id, form, form_key="con_meds", names=names, action=run
    )


_NEXT_STATUSES = ("run_in", "treatment", "follow_up", "completed", "screen_failed")


@router.post(_BASE + "/status")
def change_status(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Move a subject to the next status of the study (run-in, treatment, follow-up...)."""
    user.require("write_data")

    def run() -> str:
        status = _required(form, "new_status", "the new status")
        if status not in _NEXT_STATUSES:
            raise ValidationError("new_status", status, "one of " + ", ".join(_NEXT_STATUSES))
        store.transition_subject(
            study, subject_id, status, user.actor, reason=optional_text(form, "status_reason")
        )
        return f"{subject_id} is now {status.replace('_', ' ')}."

    return _act(
        request, store, user, study, subject_id, form, form_key="status",
        names={"new_status", "status_reason"}, action=run,
    )  # fmt: skip


@router.post(_BASE + "/withdraw")
def withdraw(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Withdraw a subject (a reason is required and kept in the audit trail)."""
    user.require("withdraw")

    def run() -> str:
        reason = _required(form, "withdraw_reason", "the reason")
        store.withdraw(study, subject_id, reason, user.actor)
        return f"{subject_id} withdrawn."

    return _act(
        request, store, user, study, subject_id, form, form_key="withdraw",
        names={"withdraw_reason"}, action=run, aliases={"reason": "withdraw_reason"},
    )  # fmt: skip
