"""Pages: the record forms of the subject page (POST): randomise, visits, injections, labs,
vital signs, adverse events, concomitant medication, demographics and history (previous
systemic treatments, atopic comorbidities), status changes, withdrawal, informed consent and
its withdrawal.

Each form posts here; on success the user is sent back to the subject page with a message, on
a validation or state error the subject page is shown again with the message beside the field
and the values typed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from autoserum.errors import Expected, ValidationError
from autoserum.store import Store
from autoserum.study.consent import COMPONENTS
from autoserum.study.entities import EntitySpec, entity
from autoserum.study.history import HISTORY_FIELDS
from autoserum.web.deps import CsrfForm, CurrentUser, PageUser, StoreDep
from autoserum.web.formflow import shorten, submit
from autoserum.web.recordforms import CONSENT_FORM, form_values, optional_text
from autoserum.web.routes.subjects import STATUS_CHOICES, SUBJECT_PATH, subject_page
from autoserum.web.templating import translate
from autoserum.web.views import shows_arm, study_for

__all__ = ["router"]

router = APIRouter(tags=["pages"], include_in_schema=False)

_BASE = SUBJECT_PATH
_NEXT_STATUSES = STATUS_CHOICES


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
    """One form of the subject page through the form controller: its message flashed on
    success, else the subject page again with the values typed and the error named."""
    values = {k: str(v) for k, v in form.items() if k != "csrf_token"}

    def redisplay(
        typed: Mapping[str, str], errors: Mapping[str, str], status_code: int
    ) -> Response:
        return subject_page(
            request, store, user, study, subject_id,
            values={**typed, "_form": form_key}, errors=errors, status_code=status_code,
        )  # fmt: skip

    return submit(
        request,
        values=values,
        names=names,
        action=action,
        redisplay=redisplay,
        success_url=_BASE.format(study=study, subject_id=subject_id),
        aliases=aliases,
    )


def _required(form: FormData, name: str, label: str) -> str:
    value = optional_text(form, name)
    if value is None:
        raise ValidationError(name, "", Expected("a value for %(label)s", label=label))
    return value


@router.post(_BASE + "/randomise")
def randomise(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Enrol and randomise a screened subject, in the stratum of the levels chosen for the
    study's stratification factors (the arm is shown only to unblinded roles)."""
    user.require("randomise")
    view = study_for(store, user, study)
    names = {f"strata.{name}" for name, _ in view.study.stratify_by}
    strata = {
        name: level
        for name, _ in view.study.stratify_by
        if (level := optional_text(form, f"strata.{name}")) is not None
    }

    override = optional_text(form, "override_reason")

    def run() -> str:
        arm = store.subjects.randomise(
            study, subject_id, actor=user.actor, strata=strata, override_reason=override
        )
        if shows_arm(user, view.study):
            shown = translate(request, arm)
        else:
            shown = translate(request, "concealed (blinded study)")
        return translate(
            request, "%(subject)s enrolled and randomised; arm: %(arm)s.",
            subject=subject_id, arm=shown,
        )  # fmt: skip

    if user.can("override_eligibility"):  # the form shows the override's reason field
        names.add("override_reason")
    return _act(
        request, store, user, study, subject_id, form,
        form_key="", names=names, action=run, aliases={"eligibility": "override_reason"},
    )  # fmt: skip


@router.post(_BASE + "/visits")
def record_visit(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Record a planned visit on its date (placed in its window; a deviation if outside)."""
    user.require("write_data")

    def run() -> str:
        code = _required(form, "visit_code", "the visit")
        visit = store.records.add_visit(
            study,
            subject_id,
            code,
            _required(form, "visit_date", "the date"),
            actor=user.actor,
        )
        if visit.deviation_days is None:
            return translate(request, "Visit %(visit)s recorded.", visit=shorten(code, 40))
        return translate(
            request, "Visit %(visit)s recorded (%(days)s d outside).",
            visit=shorten(code, 40), days=f"{visit.deviation_days:+d}",
        )  # fmt: skip

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

    spec = entity("injection")
    values = form_values(spec, form)

    def run() -> str:
        values.pop("given_on")
        given_on = _required(form, "given_on", "the date given")
        store.records.add_injection(study, subject_id, given_on, actor=user.actor, **values)
        return translate(request, "Injection recorded.")

    return _act(
        request, store, user, study, subject_id, form, form_key=spec.key,
        names={f.form_name for f in spec.form_fields}, action=run, aliases=_aliases(spec),
    )  # fmt: skip


@router.post(_BASE + "/labs")
def record_lab(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Record a lab result at a recorded visit (converted to its canonical unit, flagged)."""
    user.require("write_data")

    spec = entity("lab")

    def run() -> str:
        analyte = _required(form, "analyte", "the analyte")
        store.records.add_lab(
            study,
            subject_id,
            _required(form, "lab_visit_code", "the visit"),
            analyte,
            _required(form, "value", "the value"),
            _required(form, "unit", "the unit"),
            actor=user.actor,
            ref_low=optional_text(form, "ref_low"),
            ref_high=optional_text(form, "ref_high"),
        )
        return translate(request, "Lab result %(analyte)s recorded.", analyte=shorten(analyte, 40))

    return _act(
        request, store, user, study, subject_id, form, form_key=spec.key,
        names={"lab_visit_code", *(f.form_name for f in spec.form_fields)}, action=run,
        aliases={"visit_code": "lab_visit_code", **_aliases(spec)},
    )  # fmt: skip


@router.post(_BASE + "/vital_signs")
def record_vital_signs(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Record the vital signs of a recorded visit (each within its plausibility range)."""
    user.require("write_data")
    spec = entity("vital_sign")

    def run() -> str:
        visit_code = _required(form, "vs_visit_code", "the visit")
        values = form_values(spec, form)
        store.records.add_vital_signs(study, subject_id, visit_code, actor=user.actor, **values)
        return translate(
            request, "Vital signs of visit %(visit)s recorded.", visit=shorten(visit_code, 40)
        )

    return _act(
        request, store, user, study, subject_id, form, form_key=spec.key,
        names={"vs_visit_code", *(f.form_name for f in spec.form_fields)}, action=run,
        aliases={"visit_code": "vs_visit_code", **_aliases(spec)},
    )  # fmt: skip


def _aliases(spec: EntitySpec) -> dict[str, str]:
    """Field name → form input name, where they differ (``site`` → ``injection_site``)."""
    return {f.name: f.form_name for f in spec.form_fields if f.input}


def _record_form(
    request: Request,
    store: Store,
    user: CurrentUser,
    study: str,
    subject_id: str,
    form: FormData,
    *,
    name: str,
    done: Callable[[Mapping[str, str | None]], str],
) -> Response:
    """A record form whose fields are all of its record type (the registry's ``on_form``
    fields): posted as they are to ``store.records.add``."""
    spec = entity(name)
    values = form_values(spec, form)

    def run() -> str:
        store.records.add(study, subject_id, name, values, actor=user.actor)
        return done(values)

    return _act(
        request, store, user, study, subject_id, form, form_key=spec.key,
        names={f.form_name for f in spec.form_fields}, action=run,
        aliases=_aliases(spec),
    )  # fmt: skip


@router.post(_BASE + "/adverse_events")
def record_adverse_event(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Record an adverse event (coded severity, seriousness, relatedness, outcome)."""
    user.require("write_data")
    return _record_form(
        request, store, user, study, subject_id, form, name="adverse_event",
        done=lambda v: translate(
            request, "Adverse event “%(term)s” recorded.", term=shorten(v["term"] or "", 80)
        ),
    )  # fmt: skip


@router.post(_BASE + "/con_meds")
def record_con_med(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Record a concomitant medication."""
    user.require("write_data")
    return _record_form(
        request, store, user, study, subject_id, form, name="con_med",
        done=lambda v: translate(
            request, "Medication %(name)s recorded.", name=shorten(v["name"] or "", 80)
        ),
    )  # fmt: skip


@router.post(_BASE + "/prior_treatments")
def record_prior_treatment(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Record a previous systemic treatment of atopic dermatitis (drug, ATC code, years,
    response, reason stopped)."""
    user.require("write_data")
    return _record_form(
        request, store, user, study, subject_id, form, name="prior_treatment",
        done=lambda v: translate(
            request, "Previous treatment %(drug)s recorded.", drug=shorten(v["drug"] or "", 80)
        ),
    )  # fmt: skip


@router.post(_BASE + "/comorbidities")
def record_comorbidity(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Record an atopic comorbidity (asthma, allergic rhinitis, food allergy, ...)."""
    user.require("write_data")
    return _record_form(
        request, store, user, study, subject_id, form, name="comorbidity",
        done=lambda v: translate(
            request, "Comorbidity %(condition)s recorded.",
            condition=translate(request, v["condition"] or ""),
        ),
    )  # fmt: skip


@router.post(_BASE + "/history")
def record_history(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Record the subject's demographics and history of atopic dermatitis (a date of birth or
    an age, sex, ethnicity, race, Fitzpatrick skin type, age at onset): the fields filled in
    change, each audited; an impossible value is shown beside its field."""
    user.require("write_data")
    values = {
        name: value for name in HISTORY_FIELDS if (value := optional_text(form, name)) is not None
    }

    def run() -> str:
        store.records.record_history(study, subject_id, actor=user.actor, **values)
        return translate(request, "Demographics and history of %(subject)s recorded.",
                         subject=subject_id)  # fmt: skip

    return _act(
        request, store, user, study, subject_id, form, form_key="history",
        names=set(HISTORY_FIELDS), action=run,
    )  # fmt: skip


@router.post(_BASE + "/unscheduled_visits")
def record_unscheduled_visit(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Record a visit outside the schedule (a flare visit) with its reason; instruments and
    labs are then recorded at it."""
    user.require("write_data")

    def run() -> str:
        visit = store.records.add_unscheduled_visit(
            study,
            subject_id,
            _required(form, "unscheduled_date", "the date"),
            actor=user.actor,
            reason=_required(form, "unscheduled_reason", "the reason"),
        )
        return translate(request, "Unscheduled visit %(visit)s recorded.", visit=visit.visit_code)

    return _act(
        request, store, user, study, subject_id, form, form_key="unscheduled",
        names={"unscheduled_date", "unscheduled_reason"}, action=run,
        aliases={"visit_date": "unscheduled_date", "reason": "unscheduled_reason"},
    )  # fmt: skip


@router.post(_BASE + "/deviations")
def record_deviation(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Record a protocol deviation noticed by staff: category, description, date, major or
    minor, corrective action (a major one takes the subject out of the per-protocol set)."""
    user.require("write_data")
    return _record_form(
        request, store, user, study, subject_id, form, name="deviation",
        done=lambda v: translate(
            request, "Protocol deviation (%(importance)s) recorded.",
            importance=translate(request, v["importance"]) if v["importance"] else "",
        ),
    )  # fmt: skip


@router.post(_BASE + "/status")
def change_status(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Move a subject to the next status of the study (run-in, treatment, follow-up...)."""
    user.require("write_data")

    def run() -> str:
        status = _required(form, "new_status", "the new status")
        if status not in _NEXT_STATUSES:
            raise ValidationError(
                "new_status",
                status,
                Expected("one of %(values)s", values=", ".join(_NEXT_STATUSES)),
            )
        store.subjects.transition(
            study,
            subject_id,
            status,
            actor=user.actor,
            reason=optional_text(form, "status_reason"),
        )
        return translate(
            request, "%(subject)s is now %(status)s.",
            subject=subject_id, status=translate(request, status).replace("_", " "),
        )  # fmt: skip

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
        store.subjects.withdraw(study, subject_id, actor=user.actor, reason=reason)
        return translate(request, "%(subject)s withdrawn.", subject=subject_id)

    return _act(
        request, store, user, study, subject_id, form, form_key="withdraw",
        names={"withdraw_reason"}, action=run, aliases={"reason": "withdraw_reason"},
    )  # fmt: skip


@router.post(_BASE + "/consents")
def record_consent(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Record the subject's informed consent to a document version (signed at a date and time
    with its UTC offset; who obtained it; witness or representative; optional components)."""
    user.require("record_consent")
    names = {f.name for f in CONSENT_FORM.fields}

    def run() -> str:
        components: dict[str, bool] = {}
        for name in COMPONENTS:
            answer = optional_text(form, f"components_{name}")
            if answer is None:
                continue
            if answer not in ("yes", "no"):
                raise ValidationError(
                    f"components.{name}", answer, Expected("yes (agreed) or no (declined)")
                )
            components[name] = answer == "yes"
        consent = store.consent.record(
            study,
            subject_id,
            _required(form, "document_version", "the document version"),
            _required(form, "consented_at", "the date and time signed"),
            actor=user.actor,
            obtained_by=_required(form, "obtained_by", "who obtained consent"),
            witness=optional_text(form, "witness"),
            representative=optional_text(form, "representative"),
            components=components,
        )
        return translate(
            request, "Consent to version %(version)s recorded.",
            version=shorten(consent.document_version, 40),
        )  # fmt: skip

    return _act(
        request, store, user, study, subject_id, form, form_key="consents", names=names,
        action=run,
    )  # fmt: skip


@router.post(_BASE + "/consent_withdrawal")
def withdraw_consent(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Record the withdrawal of the subject's consent from a date (a reason is required)."""
    user.require("record_consent")

    def run() -> str:
        store.consent.withdraw(
            study,
            subject_id,
            _required(form, "withdrawn_on", "the date"),
            actor=user.actor,
            reason=_required(form, "consent_withdrawal_reason", "the reason"),
        )
        return translate(
            request, "Withdrawal of consent of %(subject)s recorded.", subject=subject_id
        )

    return _act(
        request, store, user, study, subject_id, form, form_key="consent_withdrawal",
        names={"withdrawn_on", "consent_withdrawal_reason"}, action=run,
        aliases={"reason": "consent_withdrawal_reason"},
    )  # fmt: skip
