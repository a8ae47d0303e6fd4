"""Pages: the preparer's product pages (issue 13 item 1).

``/studies/{study}/product`` lists the allocated subjects at the preparer's sites with their
arm; ``/studies/{study}/subjects/{subject_id}/product`` shows the subject's product life (draw →
processing → aliquots → storage → injections) with the forms that record each step; the
labels (QR codes) and the preparation worksheet are PDFs. Every page needs the
``prepare_product`` action (the unblinded preparer, the admin).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import Response

from autoserum.i18n import N_, format_datetime, format_quantity, process_text, using
from autoserum.i18n import translate as translate_to
from autoserum.protocols import Dose, fact_number
from autoserum.report import labels_pdf, product_labels, worksheet_pdf, worksheet_rows
from autoserum.store import Store
from autoserum.study.coerce import as_int
from autoserum.study.entities import STORAGE_KINDS
from autoserum.web.deps import CsrfForm, CurrentUser, PageUser, StoreDep
from autoserum.web.formflow import page_redisplay, submit_form
from autoserum.web.recordforms import optional_text
from autoserum.web.templating import language_of, render, translate, translate_plural
from autoserum.web.views import study_for

__all__ = ["router"]

router = APIRouter(tags=["pages"], include_in_schema=False)

_STUDY = "/studies/{study}/product"
_SUBJECT = "/studies/{study}/subjects/{subject_id}/product"
_PARAMETERS = (
    ("clotting_minutes", N_("Clotting (min)")),
    ("centrifuge_g", N_("Centrifugation (g)")),
    ("centrifuge_minutes", N_("Centrifugation (min)")),
    ("centrifuge_temperature", N_("Centrifugation temperature (°C)")),
    ("purification", N_("Purification")),
    ("protein_concentration", N_("Protein concentration (mg/mL)")),
    ("purity", N_("Purity (%)")),
)
_LABELS = {
    "volume_ml": N_("Volume (mL)"),
    "drawn_at": N_("Drawn at"),
    "tube": N_("Tube"),
    "draw_code": N_("Draw"),
    "started_at": N_("Processing started at"),
    "processing_id": N_("Processing"),
    "count": N_("Number of aliquots"),
    "aliquot_code": N_("Aliquot"),
    "blood_draw_code": N_("Blood draw"),
    "code": N_("Aliquot, kit or blood draw"),
    "kind": N_("Event"),
    "temperature": N_("Temperature (°C)"),
    "location": N_("Location"),
    "reason": N_("Reason"),
    **dict(_PARAMETERS),
}


def _dose(dose: Dose, language: str) -> str:
    """The arm's declared dose per injection as ``language`` writes it (a schedule such as
    Pittler 2003's ``1-2-3-2-1 mL`` as one quantity), or ``unknown``."""
    if not dose.known or dose.value is None:
        return translate_to(language, "unknown")
    return format_quantity(dose.per_injection or dose.value, dose.unit, language)


def _pdf(content: bytes, name: str) -> Response:
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@router.get(_STUDY)
def product_list(request: Request, study: str, user: PageUser, store: StoreDep) -> Response:
    """The allocated subjects the preparer prepares for, with their arms."""
    user.require("prepare_product")
    view = study_for(store, user, study)
    subjects = store.product.allocated(study, actor=user.actor)
    return render(request, "product_list.html", {"study": view, "subjects": subjects})


@router.get(_STUDY + "/worksheet.pdf")
def worksheet(request: Request, study: str, user: PageUser, store: StoreDep) -> Response:
    """The preparation worksheet: each allocated subject with the arm's declared process."""
    user.require("prepare_product")
    view = study_for(store, user, study)
    with using(language_of(request)):  # the rows' words and the sheet in the user's language
        rows = worksheet_rows(view.protocol, store.product.allocated(study, actor=user.actor))
        sheet = worksheet_pdf(study, view.title, rows)
    return _pdf(sheet, f"{study}-worksheet.pdf")


def _product_page(
    request: Request,
    store: Store,
    user: CurrentUser,
    study: str,
    subject_id: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    user.require("prepare_product")
    view = study_for(store, user, study)
    life = store.product.life(study, subject_id, actor=user.actor)
    arm = dict(store.product.allocated(study, actor=user.actor)).get(subject_id)
    chosen = next((a for a in view.protocol.arms if a.code == arm), None)
    process = None if chosen is None else chosen.process
    language = language_of(request)
    dose = "" if chosen is None else _dose(chosen.dose, language)
    defaults = {}
    if process is not None:
        defaults = {
            f"proc_{name}": "" if (n := fact_number(getattr(process, name))) is None else str(n)
            for name, _ in _PARAMETERS
            if name != "purification"
        }
        defaults["aliq_count"] = str(fact_number(process.aliquot_count) or "")
    return render(
        request,
        "product.html",
        {
            "study": view,
            "subject_id": subject_id,
            "arm": arm,
            "dose": dose,
            "life": life,
            "has_process": process is not None,
            "base": _SUBJECT.format(study=study, subject_id=subject_id),
            "parameters": _PARAMETERS,
            "kind_options": [(k, k) for k in STORAGE_KINDS],
            "draw_options": [(d.code, d.code) for d in life.draws],
            "processing_options": [
                (str(p.id), f"{p.id} ({format_datetime(p.started_at, language, tz=None)})")
                for p in life.processings
            ],
            "defaults": defaults,
            "values": values or {},
            "errors": errors or {},
            "labels": LABELS,
        },
        status_code=status_code,
    )


@router.get(_SUBJECT)
def product_page(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep
) -> Response:
    """A subject's product life with the forms of each step."""
    return _product_page(request, store, user, study, subject_id)


@router.get(_SUBJECT + "/labels.pdf")
def labels(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep
) -> Response:
    """The labels of the subject's draws, aliquots and kits (QR code and text)."""
    user.require("prepare_product")
    life = store.product.life(study, subject_id, actor=user.actor)
    with using(language_of(request)):  # the labels' words and dates in the user's language
        sheet = labels_pdf(product_labels(life))
    return _pdf(sheet, f"{study}-{subject_id}-labels.pdf")


_FORMS: dict[str, tuple[str, ...]] = {
    "draw": ("volume_ml", "drawn_at", "tube"),
    "proc": ("draw_code", "started_at", *(name for name, _ in _PARAMETERS)),
    "aliq": ("processing_id", "count", "volume_ml"),
    "stor": ("aliquot_code", "kind", "temperature", "location"),
    "disp": ("code", "reason"),
    "kit": ("aliquot_code", "blood_draw_code", "volume_ml"),
}
"""Each form of the product page (its prefix) and its fields; an input is ``<prefix>_<field>``
(one page holds several forms asking for a volume or an aliquot)."""

LABELS: dict[str, str] = {
    f"{prefix}_{name}": _LABELS.get(name, name.replace("_", " ").capitalize())
    for prefix, names in _FORMS.items()
    for name in names
}
"""Input name → label, in form order (the error banner's order)."""


def _step(
    request: Request,
    store: Store,
    user: CurrentUser,
    study: str,
    subject_id: str,
    form: CsrfForm,
    prefix: str,
    action: Callable[[Callable[[str], str | None]], str],
) -> Response:
    """Run one form of the product page through the form controller: ``action`` reads the
    form's fields by name (without the prefix)."""
    user.require("prepare_product")
    fields = _FORMS[prefix]
    aliases = {name: f"{prefix}_{name}" for name in fields}
    if "aliquot_code" in fields:
        aliases["code"] = f"{prefix}_aliquot_code"
    if "draw_code" in fields:
        aliases["code"] = f"{prefix}_draw_code"

    return submit_form(
        request,
        form,
        names=set(aliases.values()),
        action=lambda: action(lambda name: optional_text(form, f"{prefix}_{name}")),
        redisplay=page_redisplay(
            _product_page, request, store, user, study, subject_id, extra={"_form": prefix}
        ),
        success_url=_SUBJECT.format(study=study, subject_id=subject_id),
        aliases=aliases,
    )


@router.post(_SUBJECT + "/draws")
def record_draw(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Record a blood draw."""

    def run(v: Callable[[str], str | None]) -> str:
        draw = store.product.draw(
            study, subject_id, actor=user.actor, volume_ml=v("volume_ml") or "",
            drawn_at=v("drawn_at"), tube=v("tube"),
        )  # fmt: skip
        return translate(request, "Blood draw %(code)s recorded.", code=draw.code)

    return _step(request, store, user, study, subject_id, form, "draw", run)


@router.post(_SUBJECT + "/processings")
def record_processing(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Record the processing of a draw (deviations from the protocol flagged)."""

    def run(v: Callable[[str], str | None]) -> str:
        done = store.product.process(
            study, v("draw_code") or "", actor=user.actor, started_at=v("started_at"),
            **{name: v(name) for name, _ in _PARAMETERS},
        )  # fmt: skip
        if done.deviates:
            return translate(
                request, "Processing recorded. Deviations: %(deviations)s.",
                deviations=process_text(done.deviations, language_of(request)),
            )  # fmt: skip
        return translate(request, "Processing recorded.")

    return _step(request, store, user, study, subject_id, form, "proc", run)


@router.post(_SUBJECT + "/aliquots")
def record_aliquots(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Make the aliquots of a processing."""

    def run(v: Callable[[str], str | None]) -> str:
        count = v("count")
        made = store.product.make_aliquots(
            study, as_int("processing_id", v("processing_id")), actor=user.actor,
            count=None if count is None else as_int("count", count), volume_ml=v("volume_ml"),
        )  # fmt: skip
        return translate_plural(
            request, "%(num)s aliquot made.", "%(num)s aliquots made.", len(made)
        )

    return _step(request, store, user, study, subject_id, form, "aliq", run)


@router.post(_SUBJECT + "/storage")
def record_storage(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Record a storage event of an aliquot (a thaw counts against the protocol's limit)."""

    def run(v: Callable[[str], str | None]) -> str:
        store.product.storage_event(
            study, v("aliquot_code") or "", v("kind") or "", actor=user.actor,
            temperature=v("temperature"), location=v("location"),
        )  # fmt: skip
        return translate(request, "Storage event recorded.")

    return _step(request, store, user, study, subject_id, form, "stor", run)


@router.post(_SUBJECT + "/disposals")
def record_disposal(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Record the disposal of an aliquot, a blinded kit (of any arm) or a blood draw (with
    its unused kits)."""

    def run(v: Callable[[str], str | None]) -> str:
        store.product.dispose(study, v("code") or "", actor=user.actor, reason=v("reason") or "")
        return translate(request, "Disposal recorded.")

    return _step(request, store, user, study, subject_id, form, "disp", run)


@router.post(_SUBJECT + "/kits")
def record_kit(
    request: Request, study: str, subject_id: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Prepare a blinded kit (serum from an aliquot, whole blood from a draw, or saline, per
    allocation)."""

    def run(v: Callable[[str], str | None]) -> str:
        kit = store.product.prepare_kit(
            study, subject_id, actor=user.actor, volume_ml=v("volume_ml"),
            aliquot_code=v("aliquot_code"), blood_draw_code=v("blood_draw_code"),
        )  # fmt: skip
        return translate(request, "Kit %(code)s prepared.", code=kit.code)

    return _step(request, store, user, study, subject_id, form, "kit", run)
