"""Pages: subject list, screening, the subject page and its record forms, withdrawal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from autoserum.display import exact_number
from autoserum.errors import Expected, Message, PermissionDeniedError, StateError, ValidationError
from autoserum.i18n import (
    N_,
    deviation_text,
    format_date,
    format_quantity,
    message_text,
    process_text,
)
from autoserum.i18n import translate as translate_to
from autoserum.protocols import Protocol, evaluate_eligibility
from autoserum.store import Store
from autoserum.study.entities import PHOTO_REGIONS
from autoserum.study.history import HISTORY_FIELDS
from autoserum.study.model import SubjectDetail
from autoserum.study.status import SubjectStatus, allowed_transitions
from autoserum.web.calendar import calendar, day0_of, trajectory
from autoserum.web.charts import trajectory_svg
from autoserum.web.deps import CsrfForm, CurrentUser, PageUser, StoreDep
from autoserum.web.formflow import submit
from autoserum.web.recordforms import (
    CONSENT_WITHDRAWAL_FORM,
    RECORD_FORMS,
    FormField,
    consent_form,
    history_fields,
)
from autoserum.web.screening import fact_fields, parse_facts
from autoserum.web.templating import language_of, render, translate
from autoserum.web.views import StudyView, shows_arm, study_for

__all__ = ["PHOTO_LABELS", "STATUS_CHOICES", "SUBJECT_PATH", "router", "subject_page"]

router = APIRouter(tags=["pages"], include_in_schema=False)

SUBJECT_PATH = "/studies/{study}/subjects/{subject_id}"
_BASE = SUBJECT_PATH
#: Statuses a subject can be moved to from the subject page (randomisation and withdrawal
#: have their own forms).
STATUS_CHOICES = ("run_in", "treatment", "follow_up", "completed", "screen_failed")


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value  # a date stays a date: the page writes it as its language does (``shown``)


@router.get("/studies/{study}/subjects")
def subject_list(request: Request, study: str, user: PageUser, store: StoreDep) -> Response:
    """The subjects of a study at the user's sites, with status (and arm when allowed)."""
    user.require("read_subject")
    view = study_for(store, user, study)
    subjects = store.subjects.all(study, actor=user.actor)
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
            "fact_fields": fact_fields(view.protocol, language=language_of(request)),
            "site_options": [(s, s) for s in view.sites],
            "values": values,
            "errors": errors,
            "labels": _screen_labels(view),
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
    screened_on = str(form.get("screened_on") or "").strip() or None
    values.update(site=site, subject_id=subject_id, screened_on=screened_on or "")
    if site not in view.sites:
        if site in {s.code for s in store.studies.sites(study)}:
            raise PermissionDeniedError(
                Message(
                    "%(username)s has no access to site %(site)s",
                    username=user.username,
                    site=repr(site),
                )
            )
        errors["site"] = f"got {site!r}; expected one of your sites: {', '.join(view.sites)}"
    if not subject_id:
        errors["subject_id"] = "required"
    labels = _screen_labels(view)

    def run() -> str:
        try:
            result = evaluate_eligibility(view.protocol, facts)
        except ValidationError as err:
            raise ValidationError(
                err.field.removeprefix("facts."), err.value, err.expectation
            ) from err
        try:
            store.subjects.screen(
                study, site, subject_id, facts, actor=user.actor, screened_on=screened_on
            )
        except StateError as err:  # the only state refusal of screening: the identifier is taken
            raise ValidationError(
                "subject_id",
                subject_id,
                Expected("an identifier not used yet in study %(study)s", study=repr(study)),
            ) from err
        if result.failed:
            store.subjects.transition(
                study,
                subject_id,
                SubjectStatus.SCREEN_FAILED,
                actor=user.actor,
                reason="not eligible: " + ", ".join(result.failed),
            )
            return translate(
                request,
                "%(subject)s is not eligible (%(rules)s): screen failure.",
                subject=subject_id,
                rules=", ".join(result.failed),
            )
        if result.unknown:
            return translate(
                request,
                "%(subject)s screened; still unknown: %(rules)s"
                " (randomisation is refused while a rule fails).",
                subject=subject_id,
                rules=", ".join(result.unknown),
            )
        return translate(request, "%(subject)s screened: eligible.", subject=subject_id)

    def redisplay(typed: Mapping[str, str], errs: Mapping[str, str], status_code: int) -> Response:
        return _screen_page(request, view, typed, errs, status_code)

    return submit(
        request,
        values=values,
        names=labels,
        action=run,
        redisplay=redisplay,
        success_url=f"/studies/{study}/subjects/{subject_id}",
        errors=errors,
    )


def _screen_labels(view: StudyView) -> dict[str, str]:
    return {
        "site": N_("Site"),
        "subject_id": N_("Subject identifier"),
        "screened_on": N_("Screening date"),
        **{f.name: f.label for f in fact_fields(view.protocol)},
    }


PHOTO_LABELS: dict[str, str] = {
    "photo_visit_code": N_("Visit of the photograph"),
    "photo_region": N_("Body region"),
    "photo_file": N_("Photograph (JPEG, PNG or HEIC)"),
}
"""The photograph upload form's fields and labels (``routes/photos.py`` posts it)."""


def _product_section(
    store: Store, user: CurrentUser, study: str, subject_id: str, *, language: str
) -> dict[str, Any]:
    """The subject's product life, draw → aliquots → injections (a blinded viewer: the kits'
    codes and volumes, the product "blinded"); volumes as ``language`` writes them."""
    life = store.product.life(study, subject_id, actor=user.actor)

    def ml(volume: Any) -> str:
        return "" if volume is None else format_quantity(Decimal(str(volume)), "mL", language)

    rows: list[dict[str, Any]] = []
    for d in life.draws:
        rows.append({"step": N_("blood draw"), "code": d.code, "detail": ml(d.volume_ml),
                     "when": d.drawn_at})  # fmt: skip
    for p in life.processings:
        detail = process_text(p.deviations, language) or N_("as the protocol")
        rows.append({"step": "processing", "code": "", "when": p.started_at,
                     "detail": detail})  # fmt: skip
    for a in life.aliquots:
        rows.append({"step": "aliquot", "code": a.code, "detail": ml(a.volume_ml),
                     "when": a.expires_at,
                     "status": life.status.get(a.id, "")})  # fmt: skip
    for k in life.kits:
        rows.append({"step": N_("kit"), "code": k.code, "detail": ml(k.volume_ml),
                     "status": k.product})  # fmt: skip
    for i in life.injections:
        if i.product_code:
            where = (i.site, translate_to(language, i.side) if i.side else None)
            rows.append({"step": "injection", "code": i.product_code, "when": i.given_on,
                         "detail": " ".join(x for x in (ml(i.volume_ml), *where) if x),
                         "status": i.product})  # fmt: skip
    if life.blinded:
        rows.insert(0, {"step": N_("product"), "code": "", "detail": N_("blinded"),
                        "status": N_("blinded")})  # fmt: skip
    return {
        "key": "product",
        "title": N_("Product (draw → aliquots → injections)"),
        "entity": "aliquot",
        "columns": (N_("step"), N_("code"), N_("when"), N_("detail"), N_("status")),
        "rows": rows,
        "form": None,
    }


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
    detail = store.subjects.detail(study, subject_id, actor=user.actor)
    today: dt.date = request.app.state.clock()
    rows = calendar(view.protocol, detail, today=today)
    series, maxima = trajectory(detail)
    recorded_visits = [v.visit_code for v in detail.visits if v.visit_code]
    visit_of = {v.id: v.visit_code for v in detail.visits}
    records: dict[str, list[dict[str, Any]]] = {
        "injections": [vars(i) for i in detail.injections],
        "labs": [{**vars(r), "visit": visit_of.get(r.visit_id)} for r in detail.labs],
        "vital_signs": [{**vars(r), "visit": visit_of.get(r.visit_id)} for r in detail.vital_signs],
        "adverse_events": [vars(a) for a in detail.adverse_events],
        "con_meds": [vars(c) for c in detail.con_meds],
        "deviations": [  # a generated description in the page's language (as stored: data)
            {**vars(d), "description": deviation_text(d.description, language_of(request))}
            for d in detail.deviations
        ],
        "prior_treatments": [vars(t) for t in detail.prior_treatments],
        "comorbidities": [vars(c) for c in detail.comorbidities],
    }
    open_form = (values or {}).get("_form")
    sections: list[dict[str, Any]] = [_history_section(view.protocol, detail, open_form)]
    for spec in RECORD_FORMS:
        fields: list[FormField] = list(spec.fields)
        if spec.links and spec.links[0].name.endswith("_visit_code"):
            fields[0] = FormField(
                spec.links[0].name,
                N_("Visit"),
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
                "correctable": True,
            }
        )
    sections += _consent_sections(request, store, user, study, subject_id, open_form)
    sections.append(_product_section(store, user, study, subject_id, language=language_of(request)))
    photos = [
        {**vars(p), "visit": visit_of.get(p.visit_id)}
        for p in store.photos.gallery(study, subject_id, actor=user.actor)
    ]
    subject = detail.subject
    show_arm = shows_arm(user, view.study)
    strata_fields = [
        (f"strata.{name}", name.replace("_", " ").capitalize(), [(v, v) for v in levels])
        for name, levels in view.study.stratify_by
    ]
    labels = {
        **{name: label for name, label, _ in strata_fields},
        "new_status": N_("Next status"),
        "status_reason": N_("Note"),
        "unblind_reason": N_("Reason for unblinding"),
        "unblind_confirm": N_("Confirmation of the emergency"),
        "visit_code": N_("Visit"),
        "visit_date": N_("Visit date"),
        **{
            f.name: f.label
            for section in sections
            if section["form"]
            for f in section["form"]["fields"]
        },
        "withdraw_reason": N_("Reason for withdrawal"),
        "lock_level": N_("What to lock"),
        "lock_visit_code": N_("Visit to lock"),
        "lock_reason": N_("Reason for the lock"),
        "unscheduled_date": N_("Date of the unscheduled visit"),
        "unscheduled_reason": N_("Reason for the unscheduled visit"),
        **PHOTO_LABELS,
    }
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
                "unblinded": subject.unblinded,
                "start_date": day0_of(detail),
            },
            "show_arm": show_arm,
            "base": _BASE.format(study=study, subject_id=subject_id),
            "calendar": rows,
            "visit_options": [
                (p.code, translate(request, "%(visit)s (day %(day)s)", visit=p.label, day=p.day))
                for p in view.protocol.visits
                if p.code not in recorded_visits
            ],
            "chart": trajectory_svg(
                series, maxima, title=translate(request, "Severity trajectory")
            ),
            "sections": sections,
            "photos": photos,
            "photo_regions": [(r, translate(request, r)) for r in PHOTO_REGIONS],
            "photos_open": open_form == "photos",
            "values": values or {},
            "errors": errors or {},
            "can_write": user.can("write_data"),
            "can_withdraw": user.can("withdraw"),
            "can_randomise": user.can("randomise"),
            "can_override": user.can("override_eligibility"),
            "can_unblind": user.can("unblind") and not view.study.open_label,
            "can_lock": user.can("lock"),
            "recorded_visit_options": [(c, c) for c in recorded_visits],
            "unscheduled": [v for v in detail.visits if v.unscheduled_reason is not None],
            "unscheduled_instruments": sorted(
                {code for plan in view.protocol.visits for code in plan.instruments}
            ),
            "strata_fields": strata_fields,
            "labels": labels,
            "status_options": [
                (v.value, v.value.replace("_", " "))
                for v in sorted(
                    allowed_transitions(subject.status, has_run_in=view.study.has_run_in)
                )
                if v.value in STATUS_CHOICES
            ],
            "today": today.isoformat(),
            "fmt": exact_number,
        },
        status_code=status_code,
    )


#: The columns of the demographics and AD history section (the subject's fields, the derived
#: disease duration).
HISTORY_COLUMNS: tuple[str, ...] = (*HISTORY_FIELDS, N_("ad_duration"))


def _history_section(
    protocol: Protocol, detail: SubjectDetail, open_form: str | None
) -> dict[str, Any]:
    """The subject's demographics and AD history, with the form that records them
    (``routes/records.py``: ``records.record_history``)."""
    subject = detail.subject
    row = {name: _cell(getattr(subject, name)) for name in HISTORY_FIELDS}
    row.update(id=subject.id, ad_duration=subject.ad_duration)
    declared = protocol.demographics
    return {
        "key": "history",
        "title": N_("Demographics and history of atopic dermatitis"),
        "entity": "subject",
        "columns": HISTORY_COLUMNS,
        "rows": [row],
        "form": {
            "noun": N_("demographics and history"),
            "fields": history_fields(declared.ethnicity, declared.race),
            "open": open_form == "history",
        },
        "correctable": False,
    }


def _consent_sections(
    request: Request, store: Store, user: CurrentUser, study: str, subject_id: str,
    open_form: str | None,
) -> list[dict[str, Any]]:  # fmt: skip
    """The consent sections of the subject page (none while the study has no consent
    document): the consents signed, with a form to record one, and the withdrawal."""
    documents = store.consent.documents(study)
    if not documents:
        return []
    language = language_of(request)
    mine = store.consent.of_subject(study, subject_id, actor=user.actor)
    state = mine.state
    status = {
        "none": Message("no consent recorded: nothing after the pre-screen can be recorded"),
        "valid": Message("valid (version %(version)s)", version=state.signed_version),
        "reconsent": Message(
            "re-consent needed: version %(current)s is in effect (signed %(signed)s)",
            current=state.current,
            signed=state.signed_version,
        ),
        "withdrawn": Message(
            "withdrawn on %(date)s", date=format_date(state.withdrawn_on, language)
        ),
    }[state.status]
    versions = tuple(
        (f"{d.document_version}", translate(
            request, "%(version)s (%(language)s, from %(date)s)", version=d.document_version,
            language=d.language, date=format_date(d.effective_on, language)))
        for d in documents
    )  # fmt: skip
    rows = [
        {
            **{k: v for k, v in c.to_dict().items() if k != "components"},
            "components": ", ".join(
                translate(
                    request,
                    "%(component)s: %(answer)s",
                    component=translate_to(language, k).replace("_", " "),
                    answer=translate_to(language, "agreed" if v else "declined"),
                )
                for k, v in sorted(c.components.items())
            ),
        }
        for c in mine.consents
    ]
    withdrawn = (
        [
            {
                "withdrawn_on": state.withdrawn_on,
                "withdrawal_reason": mine.consents[-1].withdrawal_reason,
            }
        ]
        if state.status == "withdrawn" and mine.consents
        else []
    )
    out = []
    for spec, spec_rows, show in (
        (consent_form(versions), rows, state.status != "withdrawn"),
        (CONSENT_WITHDRAWAL_FORM, withdrawn, bool(mine.consents) and state.status != "withdrawn"),
    ):
        out.append(
            {
                "key": spec.key,
                "title": translate(
                    request,
                    "%(title)s: %(status)s",
                    title=translate_to(language, spec.title),
                    status=message_text(status, language),
                )
                if spec.key == "consents"
                else spec.title,
                "entity": spec.entity,
                "columns": spec.columns,
                "rows": [{k: _cell(v) for k, v in row.items()} for row in spec_rows],
                "form": {
                    "noun": spec.noun,
                    "fields": list(spec.fields),
                    "open": open_form == spec.key,
                }
                if show and user.can("record_consent")
                else None,
                "correctable": False,
            }
        )
    return out


@router.get(_BASE)
def subject(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep
) -> Response:
    """The subject page: calendar, chart and everything recorded."""
    return subject_page(request, store, user, study, subject_id)
