"""Pages of study build and administration (admin role): create a study from a library
protocol or an uploaded protocol file (validated with field-path errors shown beside the file
field), add sites, create users with their study/site scopes, change a user's role, sites and
active flag, issue and revoke API tokens.

Every rule stays in the store and the core (``store.studies``, ``store.accounts``,
:mod:`autoserum.protocols`, :mod:`autoserum.accounts`): these routes parse the forms, call them
and render; the store audits each write. The CLI does the same (``autoserum study create``,
``site add``, ``user add|update|token|revoke-token``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile

from autoserum.accounts import check_password, hash_password, hash_token, new_token
from autoserum.errors import Expected, Message, NotFoundError, ValidationError
from autoserum.i18n import N_, error_text, format_date
from autoserum.permissions import ROLES
from autoserum.protocols import Protocol, parse_protocol_text, protocol_codes
from autoserum.store import SiteKey, Store
from autoserum.study.randomisation import parse_stratify_by
from autoserum.web.deps import CsrfForm, CurrentUser, PageUser, StoreDep
from autoserum.web.formflow import form_values, page_redisplay, submit_form
from autoserum.web.recordforms import optional_text
from autoserum.web.templating import language_of, render, translate

__all__ = ["issued_token_page", "router", "token_expiry"]

router = APIRouter(tags=["pages"], include_in_schema=False)

TokenId = Annotated[int, Path(ge=1, le=2**31 - 1)]
#: Largest protocol file accepted (the TOML of the library's largest protocol is ~6 kB).
MAX_PROTOCOL_BYTES = 200_000
_STUDY_LABELS = {
    "name": N_("Study name"),
    "protocol_code": N_("Library protocol"),
    "protocol_file": N_("Protocol file (.toml)"),
    "stratify_by": N_("Stratification factors"),
    "start_date": N_("Study start"),
}
_USER_LABELS = {
    "username": N_("Login name"),
    "full_name": N_("Full name"),
    "role": N_("Role"),
    "password": N_("Initial password"),
    "sites": N_("Sites"),
    "unblinded": N_("Unblinded"),
}
_EDIT_LABELS = {
    "full_name": N_("Full name"),
    "role": N_("Role"),
    "sites": N_("Sites"),
    "active": N_("Active"),
    "unblinded": N_("Unblinded"),
    "reason": N_("Reason for the change"),
}
_SITE_LABELS = {"code": N_("Site code"), "site_name": N_("Site name")}
_AMEND_LABELS = {
    "protocol_file": N_("Amended protocol file (.toml)"),
    "effective_on": N_("Effective from"),
    "summary": N_("What changed"),
    "approved_by": N_("Approved by"),
}


def _site_options(store: Store) -> list[tuple[str, str]]:
    return [
        (f"{st.name}/{site.code}", f"{st.name} / {site.code} ({site.name})")
        for st in store.studies.all()
        for site in store.studies.sites(st.name)
    ]


def _sites(form: FormData) -> frozenset[SiteKey] | None:
    """The checked sites (``STUDY/CODE``); ``None`` with "all sites"."""
    if form.get("all_sites") == "yes":
        return None
    keys = set()
    for text in form.getlist("sites"):
        study, _, code = str(text).partition("/")
        if not study or not code:
            raise ValidationError("sites", str(text), Expected("STUDY/SITE, e.g. AST-1/s01"))
        keys.add((study, code))
    return frozenset(keys)


def _admin_page(
    request: Request,
    store: Store,
    user: CurrentUser,
    *,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    user.require("manage_users")
    return render(
        request,
        "admin.html",
        {
            "studies": store.studies.all(),
            "users": store.accounts.users(actor=user.actor),
            "protocol_options": [(c, c) for c in protocol_codes()],
            "role_options": [(r, r) for r in ROLES],
            "site_options": _site_options(store),
            "values": values or {},
            "errors": errors or {},
            "labels": {**_STUDY_LABELS, **_USER_LABELS},
        },
        status_code=status_code,
    )


@router.get("/admin")
def admin_home(request: Request, user: PageUser, store: StoreDep) -> Response:
    """Studies (create one) and users (create one); links to each study's sites and each
    user's page."""
    return _admin_page(request, store, user)


def _protocol_text(form: FormData) -> str | None:
    upload = form.get("protocol_file")
    if not isinstance(upload, UploadFile):
        return None
    try:
        data = upload.file.read(MAX_PROTOCOL_BYTES + 1) if upload.filename else None
    finally:
        upload.file.close()
    if data is None:
        return None
    if len(data) > MAX_PROTOCOL_BYTES:
        raise ValidationError(
            "protocol_file",
            upload.filename,
            Expected(
                "a protocol file of at most %(max_protocol_bytes)s B",
                max_protocol_bytes=MAX_PROTOCOL_BYTES,
            ),
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError(
            "protocol_file", upload.filename, Expected("a UTF-8 TOML file")
        ) from None


def _protocol(text: str | None, code: str | None, filename: str) -> Protocol | str:
    """The uploaded protocol (validated: an error names its field path) or the library code."""
    if text is not None:
        try:
            return parse_protocol_text(text, location=filename)
        except ValidationError as err:  # shown beside the file field, with its field path
            raise ValidationError(
                "protocol_file", f"{err.field} = {err.value!r}", err.expectation
            ) from err
    if code is None:
        raise ValidationError(
            "protocol_code", "", Expected("a library protocol, or a protocol file")
        )
    return code


@router.post("/admin/studies")
def create_study(request: Request, user: PageUser, store: StoreDep, form: CsrfForm) -> Response:
    """Create a study from a library protocol or an uploaded protocol file (frozen into it)."""
    user.require("manage_study")
    upload = form.get("protocol_file")
    filename = upload.filename if isinstance(upload, UploadFile) and upload.filename else ""
    values = {**form_values(form), "protocol_file": filename}
    redisplay = page_redisplay(_admin_page, request, store, user, extra={"protocol_file": filename})
    try:
        text = _protocol_text(form)
    except ValidationError as err:
        return redisplay(values, {"protocol_file": error_text(err, language_of(request))}, 422)
    name = optional_text(form, "name") or ""

    def run() -> str:
        protocol = _protocol(text, optional_text(form, "protocol_code"), filename or "upload")
        study = store.studies.create(
            name,
            protocol,
            actor=user.actor,
            stratify_by=parse_stratify_by(optional_text(form, "stratify_by")),
            start_date=optional_text(form, "start_date"),
        )
        return translate(
            request, "Study %(study)s created (%(protocol)s); now add its sites.",
            study=study.name, protocol=study.protocol_code,
        )  # fmt: skip

    return submit_form(
        request,
        form,
        values=values,
        names=_STUDY_LABELS,
        action=run,
        redisplay=redisplay,
        success_url=f"/admin/studies/{name}",
        aliases={"protocol": "protocol_code"},
    )


def _study_page(
    request: Request,
    store: Store,
    user: CurrentUser,
    study: str,
    *,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    user.require("manage_study")
    record = store.studies.get(study)
    return render(
        request,
        "admin_study.html",
        {
            "study": record,
            "protocol": store.studies.protocol(study),
            "sites": store.studies.sites(study),
            "versions": store.studies.versions(study),
            "values": values or {},
            "errors": errors or {},
            "labels": {**_SITE_LABELS, **_AMEND_LABELS},
        },
        status_code=status_code,
    )


@router.get("/admin/studies/{study}")
def admin_study(request: Request, study: str, user: PageUser, store: StoreDep) -> Response:
    """A study's protocol summary and sites, with the form to add a site."""
    return _study_page(request, store, user, study)


@router.post("/admin/studies/{study}/sites")
def add_site(
    request: Request, study: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Add a site (its concealed allocation list is generated now)."""
    user.require("manage_study")
    store.studies.get(study)

    def run() -> str:
        code = optional_text(form, "code") or ""
        site = store.studies.add_site(
            study, code, optional_text(form, "site_name") or "", actor=user.actor
        )
        return translate(request, "Site %(site)s added to %(study)s.", site=site.code, study=study)

    return submit_form(
        request, form, names=_SITE_LABELS, action=run,
        redisplay=page_redisplay(_study_page, request, store, user, study),
        success_url=f"/admin/studies/{study}", aliases={"site": "code", "name": "site_name"},
    )  # fmt: skip


@router.post("/admin/studies/{study}/amendments")
def amend_protocol(
    request: Request, study: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Record an approved protocol amendment from an uploaded protocol file (validated, its
    field path named beside the file field), effective from a date (``store.studies.amend``)."""
    user.require("manage_study")
    store.studies.get(study)
    upload = form.get("protocol_file")
    filename = upload.filename if isinstance(upload, UploadFile) and upload.filename else ""
    values = {**form_values(form), "protocol_file": filename}
    redisplay = page_redisplay(
        _study_page, request, store, user, study, extra={"protocol_file": filename}
    )

    try:
        text = _protocol_text(form)
    except ValidationError as err:
        return redisplay(values, {"protocol_file": error_text(err, language_of(request))}, 422)

    def run() -> str:
        if text is None:
            raise ValidationError(
                "protocol_file", "", Expected("the amended protocol file (.toml)")
            )
        version = store.studies.amend(
            study,
            _protocol(text, None, filename or "upload"),
            actor=user.actor,
            effective_on=optional_text(form, "effective_on") or "",
            summary=optional_text(form, "summary") or "",
            approved_by=optional_text(form, "approved_by") or "",
        )
        return translate(
            request, "Protocol version %(number)s of %(study)s effective %(date)s.",
            number=version.number, study=study,
            date=format_date(version.effective_on, language_of(request)),
        )  # fmt: skip

    return submit_form(
        request,
        form,
        values=values,
        names=_AMEND_LABELS,
        action=run,
        redisplay=redisplay,
        success_url=f"/admin/studies/{study}",
        aliases={"arms": "protocol_file", "blinding": "protocol_file"},
    )


@router.post("/admin/users")
def create_user(request: Request, user: PageUser, store: StoreDep, form: CsrfForm) -> Response:
    """Create a user with a role, sites and an initial password (the policy of
    :func:`autoserum.accounts.check_password`)."""
    user.require("manage_users")
    username = optional_text(form, "username") or ""

    def run() -> str:
        password = str(form.get("password") or "")
        check_password(password, context=[username])
        role = optional_text(form, "role") or ""
        with request.app.state.hashing.slot():
            hashed = hash_password(password)
        created = store.accounts.create_user(
            username, hashed, role, _sites(form), actor=user.actor,
            unblinded=form.get("unblinded") == "yes", full_name=optional_text(form, "full_name"),
        )  # fmt: skip
        return translate(
            request, "User %(username)s (%(role)s) created.", username=created.username,
            role=translate(request, created.role).replace("_", " "),
        )  # fmt: skip

    return submit_form(
        request, form, names=_USER_LABELS, action=run,
        redisplay=page_redisplay(_admin_page, request, store, user, drop=("password",)),
        success_url="/admin",
    )  # fmt: skip


def _user_page(
    request: Request,
    store: Store,
    user: CurrentUser,
    username: str,
    *,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    user.require("manage_users")
    record = store.accounts.get_user(username)
    if record is None:
        raise NotFoundError(Message("no user named %(username)s", username=repr(username)))
    return render(
        request,
        "admin_user.html",
        {
            "account": record,
            "account_sites": set()
            if record.sites is None
            else {f"{a}/{b}" for a, b in record.sites},
            "tokens": store.accounts.api_tokens(record.username, actor=user.actor),
            "role_options": [(r, r) for r in ROLES],
            "site_options": _site_options(store),
            "values": values or {},
            "errors": errors or {},
            "labels": _EDIT_LABELS,
        },
        status_code=status_code,
    )


@router.get("/admin/users/{username}")
def admin_user(request: Request, username: str, user: PageUser, store: StoreDep) -> Response:
    """One user: role, sites, active; the API tokens (issue, revoke)."""
    return _user_page(request, store, user, username)


@router.post("/admin/users/{username}")
def update_user(
    request: Request, username: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Change a user's role, sites, active and unblinded flags (a reason is required and
    audited; deactivation ends the user's sessions and revokes their tokens)."""
    user.require("manage_users")
    record = store.accounts.get_user(username)
    if record is None:
        raise NotFoundError(Message("no user named %(username)s", username=repr(username)))

    def run() -> str:
        changes: dict[str, Any] = {
            "role": optional_text(form, "role") or "",
            "sites": _sites(form),
            "active": form.get("active") == "yes",
            "unblinded": form.get("unblinded") == "yes",
            "full_name": optional_text(form, "full_name"),
        }
        current = {
            "full_name": record.full_name,
            "role": record.role,
            "sites": record.sites,
            "active": record.active,
            "unblinded": record.unblinded,
        }
        changed = {k: v for k, v in changes.items() if v != current[k]}
        if not changed:
            raise ValidationError("role", changes["role"], Expected("at least one change"))
        reason = optional_text(form, "reason")
        if reason is None:
            raise ValidationError("reason", "", Expected("the reason for the change"))
        store.accounts.update_user(record.username, changed, actor=user.actor, reason=reason)
        return translate(
            request, "User %(username)s updated: %(fields)s.", username=record.username,
            fields=", ".join(translate(request, _EDIT_LABELS[k]) for k in sorted(changed)),
        )  # fmt: skip

    return submit_form(
        request, form, names=_EDIT_LABELS, action=run,
        redisplay=page_redisplay(_user_page, request, store, user, username),
        success_url=f"/admin/users/{record.username}",
        aliases={"user.role": "role", "user.sites": "sites", "user.full_name": "full_name"},
    )  # fmt: skip


def token_expiry(form: FormData) -> datetime | None:
    """The expiry of a token being issued (``expires_days``: whole days from now, 1-3650)."""
    text = optional_text(form, "expires_days")
    if text is None:
        return None
    if not text.isdigit() or not 1 <= int(text) <= 3650:
        raise ValidationError(
            "expires_days", text, Expected("a whole number of days from 1 to 3650")
        )
    return datetime.now(UTC) + timedelta(days=int(text))


def issued_token_page(request: Request, username: str, token: str, back: str) -> Response:
    """The one page that shows a new token (never stored in clear; ``no-store``)."""
    response = render(
        request, "token_issued.html", {"username": username, "token": token, "back": back}
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/admin/users/{username}/tokens")
def issue_token(
    request: Request, username: str, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Issue a personal API token for a user: shown once, on the response page."""
    user.require("manage_users")
    record = store.accounts.get_user(username)
    if record is None:
        raise NotFoundError(Message("no user named %(username)s", username=repr(username)))
    try:
        expires = token_expiry(form)
    except ValidationError as err:
        redisplay = page_redisplay(_user_page, request, store, user, username)
        return redisplay(
            form_values(form), {"expires_days": error_text(err, language_of(request))}, 422
        )
    token = new_token()
    store.accounts.create_api_token(
        record.username, hash_token(token), actor=user.actor,
        label=optional_text(form, "label") or "", expires_at=expires,
    )  # fmt: skip
    return issued_token_page(request, record.username, token, f"/admin/users/{record.username}")


@router.post("/admin/tokens/{token_id}/revoke")
def revoke_token(
    request: Request, token_id: TokenId, user: PageUser, store: StoreDep, form: CsrfForm
) -> Response:
    """Revoke any user's API token (refused at once by every server process)."""
    user.require("manage_users")
    owner = next(
        (t.username for t in store.accounts.api_tokens(actor=user.actor) if t.id == token_id),
        None,
    )
    if owner is None:
        raise NotFoundError(Message("no API token with id %(token_id)s", token_id=token_id))

    def run() -> str:
        store.accounts.revoke_api_token(token_id, actor=user.actor)
        return translate(
            request, "API token %(id)s of %(owner)s revoked.", id=token_id, owner=owner
        )

    return submit_form(
        request, form, names=(), action=run,
        redisplay=page_redisplay(_user_page, request, store, user, owner),
        success_url=f"/admin/users/{owner}",
    )  # fmt: skip
