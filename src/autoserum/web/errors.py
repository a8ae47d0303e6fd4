"""Errors mapped once to HTTP: JSON under ``/api/``, an HTML page elsewhere.

An :class:`autoserum.errors.AutoserumError` becomes its ``http_status`` (422 for
``ValidationError``, 404, 403, 409…); a page request without a login is redirected to /login.
No traceback reaches a user: anything unexpected is logged and answered with a plain 500.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from autoserum.errors import AutoserumError, BusyError, ValidationError
from autoserum.i18n import DEFAULT_LANGUAGE, N_, error_text, expected_text
from autoserum.web.deps import LoginRequiredError

__all__ = ["error_body", "install_error_handlers"]

log = logging.getLogger(__name__)

_HEADINGS = {
    400: N_("Bad request"),
    401: N_("Not logged in"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("Method not allowed"),
    409: N_("Conflict"),
    422: N_("Invalid input"),
    429: N_("Too many requests"),
    500: N_("Server error"),
}

#: The details of Starlette's own HTTP errors, shown on the error page in the page's language.
_DETAILS = (N_("Not Found"), N_("Method Not Allowed"), N_("Request Entity Too Large"))


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return repr(value)


def error_body(err: AutoserumError, language: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """The JSON body of an error: ``detail`` in ``language`` (the request's) and ``language``
    itself; ``error`` (the class) and, for invalid input, ``field``/``value``/``expected``
    (English, stable for programs) plus ``expected_text`` (``expected`` in ``language``).

    >>> from autoserum.errors import Expected, ValidationError
    >>> body = error_body(ValidationError("age", 131, Expected("an age from 0 to %(age_max)s years",
    ...     age_max=130)), "zh-Hans")
    >>> body["expected"], body["expected_text"], body["language"]
    ('an age from 0 to 130 years', '0至130岁的年龄', 'zh-Hans')
    """
    body: dict[str, Any] = {
        "detail": error_text(err, language),
        "error": type(err).__name__,
        "language": language,
    }
    if isinstance(err, ValidationError):
        body.update(
            field=err.field,
            value=_jsonable(err.value),
            expected=err.expected,
            expected_text=expected_text(err, language),
        )
    return body


def _page(request: Request, status: int, message: str) -> Response:
    from autoserum.web.templating import render

    heading = _HEADINGS.get(status, N_("Error"))
    return render(
        request,
        "error.html",
        {"status": status, "heading": heading, "message": message},
        status_code=status,
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(AutoserumError)
    async def _autoserum(request: Request, err: AutoserumError) -> Response:
        from autoserum.web.templating import language_of

        language = language_of(request)
        if _is_api(request):
            body = error_body(err, language)
            response: Response = JSONResponse(body, status_code=err.http_status)
        else:
            response = _page(request, err.http_status, error_text(err, language))
        if isinstance(err, BusyError):
            response.headers["Retry-After"] = str(err.retry_after)
        return response

    @app.exception_handler(LoginRequiredError)
    async def _login(request: Request, err: LoginRequiredError) -> Response:
        return RedirectResponse(f"/login?next={err.next_url}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, err: StarletteHTTPException) -> Response:
        if _is_api(request):
            return JSONResponse(
                {"detail": err.detail}, status_code=err.status_code, headers=err.headers
            )
        from autoserum.web.templating import translate

        # Starlette's own details ("Not Found") and the app's are catalog messages (_DETAILS)
        return _page(request, err.status_code, translate(request, str(err.detail)))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, err: RequestValidationError) -> Response:
        errors = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"),
                "message": e.get("msg", ""),
            }
            for e in err.errors()
        ]
        if _is_api(request):
            return JSONResponse({"detail": errors}, status_code=422)
        return _page(request, 422, "; ".join(f"{e['field']}: {e['message']}" for e in errors))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, err: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        if _is_api(request):
            return JSONResponse({"detail": "internal error"}, status_code=500)
        from autoserum.web.templating import translate

        return _page(
            request, 500, translate(request, "Something went wrong; the error was logged.")
        )
