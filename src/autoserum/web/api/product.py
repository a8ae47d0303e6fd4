"""API: the autologous product's chain of identity (issue 13 item 1, ``docs/product.md``).

The same routes as the preparer's pages under ``/api/v1``: a subject's product life
(``GET …/product``: draws → processing → aliquots → storage events → disposals → kits →
injections, masked by ``store.product.life`` for a blinded caller: kits' codes and volumes
only, the product ``blinded``), the records of each step (``prepare_product``: the unblinded
preparer, the admin), the labels PDF, and the injection by the product's label code
(``write_data``; ``records.add_injection``, the one owner of the checks: a refusal is a 422
naming the mismatch, audited as on the web).

A code-keyed step (processing of a draw, storage event or disposal of an aliquot) names the
subject in its path: a code of another subject is refused (422, field named) before anything
is written.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from autoserum.errors import Expected, Message, NotFoundError, ValidationError
from autoserum.i18n import using
from autoserum.report import labels_pdf, product_labels
from autoserum.study.aliquots import parse_label_code
from autoserum.web.api._common import StudyPath, SubjectPath, record_json
from autoserum.web.api.records import add_injection
from autoserum.web.deps import ApiUser, CurrentUser, StoreDep
from autoserum.web.schemas import (
    AliquotsCreate,
    DisposalCreate,
    DrawCreate,
    KitCreate,
    ProcessingCreate,
    ProductInjectionCreate,
    StorageEventCreate,
)
from autoserum.web.templating import language_of
from autoserum.web.views import study_for

__all__ = ["router"]

router = APIRouter(prefix="/studies/{study}/subjects/{subject_id}/product", tags=["product"])


def _own_code(field: str, code: str, subject_id: str) -> str:
    """``code`` if it labels ``subject_id``'s product (the path's subject)."""
    try:
        owner = parse_label_code(code)[1]
    except ValidationError as err:
        raise ValidationError(field, code, err.expectation) from None
    if owner != subject_id:
        raise ValidationError(
            field, code, Expected("a label of subject %(subject_id)s", subject_id=subject_id)
        )
    return code


def _preparer(user: CurrentUser, store: Any, study: str) -> None:
    user.require("prepare_product")
    study_for(store, user, study)


@router.get("")
def product_life(
    study: StudyPath, subject_id: SubjectPath, user: ApiUser, store: StoreDep
) -> dict[str, Any]:
    """The subject's product life (readers of the subject and preparers); a blinded caller
    gets ``blinded: true``, the kits (code, volume, product ``blinded``) and the injections
    (product masked) only."""
    if not (user.can("read_subject") or user.can("prepare_product")):
        user.require("read_subject")
    study_for(store, user, study)
    out = record_json(store.product.life(study, subject_id, actor=user.actor))
    out["status"] = {str(k): v for k, v in out["status"].items()}
    out["use_by"] = {str(k): v for k, v in out["use_by"].items()}
    return out


@router.get("/labels.pdf", response_class=Response)
def product_labels_pdf(
    request: Request, study: StudyPath, subject_id: SubjectPath, user: ApiUser, store: StoreDep
) -> Response:
    """The labels of the subject's draws, aliquots and kits (QR code and text), as on the
    preparer's page (their words and dates in the request's language)."""
    _preparer(user, store, study)
    life = store.product.life(study, subject_id, actor=user.actor)
    with using(language_of(request)):
        sheet = labels_pdf(product_labels(life))
    return Response(
        sheet,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{study}-{subject_id}-labels.pdf"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/draws", status_code=201)
def record_draw(
    study: StudyPath, subject_id: SubjectPath, body: DrawCreate, user: ApiUser, store: StoreDep
) -> dict[str, Any]:
    """Record a blood draw; its label code ``AS1:<study>:<subject>:BD-nnnn:<check>`` is in
    the answer."""
    _preparer(user, store, study)
    values = body.model_dump()
    row = store.product.draw(study, subject_id, actor=user.actor, **values)
    return record_json(row)


@router.post("/processings", status_code=201)
def record_processing(
    study: StudyPath,
    subject_id: SubjectPath,
    body: ProcessingCreate,
    user: ApiUser,
    store: StoreDep,
) -> dict[str, Any]:
    """Record the processing of one of the subject's draws (``draw_code``); parameters that
    deviate from the protocol are flagged (``deviates``, ``deviations``) and recorded as a
    ``product_process`` protocol deviation."""
    _preparer(user, store, study)
    values = body.model_dump()
    code = _own_code("draw_code", values.pop("draw_code"), subject_id)
    row = store.product.process(study, code, actor=user.actor, **values)
    return record_json(row)


@router.post("/aliquots", status_code=201)
def record_aliquots(
    study: StudyPath,
    subject_id: SubjectPath,
    body: AliquotsCreate,
    user: ApiUser,
    store: StoreDep,
) -> list[dict[str, Any]]:
    """Make the aliquots of one of the subject's processings (each with its label code and
    expiry)."""
    _preparer(user, store, study)
    values = body.model_dump()
    processing_id = values.pop("processing_id")
    life = store.product.life(study, subject_id, actor=user.actor)
    if all(p.id != processing_id for p in life.processings):
        raise NotFoundError(
            Message(
                "no processing with id %(processing_id)s of subject %(subject_id)s",
                processing_id=processing_id,
                subject_id=repr(subject_id),
            )
        )
    made = store.product.make_aliquots(study, processing_id, actor=user.actor, **values)
    return [record_json(a) for a in made]


@router.post("/storage", status_code=201)
def record_storage_event(
    study: StudyPath,
    subject_id: SubjectPath,
    body: StorageEventCreate,
    user: ApiUser,
    store: StoreDep,
) -> dict[str, Any]:
    """Record a storage event of one of the subject's aliquots (``stored``, ``frozen``,
    ``thawed``, ``moved``)."""
    _preparer(user, store, study)
    values = body.model_dump()
    code = _own_code("aliquot_code", values.pop("aliquot_code"), subject_id)
    kind = values.pop("kind")
    row = store.product.storage_event(study, code, kind, actor=user.actor, **values)
    return record_json(row)


@router.post("/disposals", status_code=201)
def record_disposal(
    study: StudyPath,
    subject_id: SubjectPath,
    body: DisposalCreate,
    user: ApiUser,
    store: StoreDep,
) -> dict[str, Any]:
    """Record the disposal of one of the subject's aliquots, blinded kits (of any arm) or
    blood draws, with the reason; an aliquot's or a draw's unused kits are disposed of with
    it."""
    _preparer(user, store, study)
    values = body.model_dump()
    code = _own_code("code", values.pop("code"), subject_id)
    row = store.product.dispose(study, code, actor=user.actor, **values)
    return record_json(row)


@router.post("/kits", status_code=201)
def record_kit(
    study: StudyPath, subject_id: SubjectPath, body: KitCreate, user: ApiUser, store: StoreDep
) -> dict[str, Any]:
    """Prepare a blinded kit for the subject per allocation (serum from one of the subject's
    usable aliquots, whole blood from one of the subject's draws, or saline); the injector is
    told the kit's code and volume only."""
    _preparer(user, store, study)
    values = body.model_dump()
    row = store.product.prepare_kit(study, subject_id, actor=user.actor, **values)
    return record_json(row)


@router.post("/injections", status_code=201)
def record_injection_by_code(
    study: StudyPath,
    subject_id: SubjectPath,
    body: ProductInjectionCreate,
    user: ApiUser,
    store: StoreDep,
) -> dict[str, Any]:
    """Inject the subject with the product labelled ``product_code`` (scanned or typed).
    Refused with 422 (``field: product_code``, the mismatch in ``expected``) and audited when
    the product is another subject's, expired, used, disposed, thawed too often or whole
    blood drawn too long ago; a mistyped code (check digits) is a plain 422, not audited."""
    return add_injection(store, user, study, subject_id, body.model_dump())
