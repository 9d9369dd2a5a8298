"""Errors as problem details (RFC 9457): ``application/problem+json`` with ``type``, ``title``,
``status``, ``detail``, ``instance``, and ``code`` naming the problem for programs.

Every error the API gives takes this shape: its own refusals (:class:`Problem`), Starlette's
(404 for an unknown path, 405), request validation (422, with ``errors`` listing each field)
and anything unexpected (500, without the exception's text, which stays in the server log).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

MEDIA_TYPE = "application/problem+json"
logger = logging.getLogger("batch_platform.api")


class Problem(Exception):
    """An answer other than success, with what the client can do about it in ``detail``."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail
        self.headers = headers or {}
        self.extra = extra


def problem_body(
    status: int, code: str, detail: str, instance: str | None = None, **extra: Any
) -> dict[str, Any]:
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "code": code,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    return body | extra


def problem_response(
    request: Request | None,
    status: int,
    code: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    instance = request.url.path if request is not None else None
    return JSONResponse(
        problem_body(status, code, detail, instance, **extra),
        status_code=status,
        headers=headers,
        media_type=MEDIA_TYPE,
    )


_STATUS_CODES = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, error: Problem) -> JSONResponse:
        return problem_response(
            request, error.status, error.code, error.detail, error.headers, **error.extra
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(error.status_code, HTTPStatus(error.status_code).name.lower())
        detail = (
            error.detail if isinstance(error.detail, str) else HTTPStatus(error.status_code).phrase
        )
        return problem_response(request, error.status_code, code, detail, error.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            {"location": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
            for e in error.errors()
        ]
        return problem_response(
            request, 422, "invalid_request", "the request is not valid; see errors", errors=errors
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        logger.exception("unexpected error answering %s %s", request.method, request.url.path)
        return problem_response(
            request, 500, "internal_error", "an unexpected error; the server log has its trace"
        )
