"""One JSON error shape for every failure: `{"error": {"code", "message"}}`.

Handlers for the domain's AppError tree (each class carries its status), for Werkzeug's
HTTPException (404, 405, 413 ... become JSON too) and a last one that logs the traceback
and answers a 500 in the same shape, never an HTML page or a traceback.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from backend.limits import breach_retry_after
from studio_core.errors import AppError
from studio_core.outages import DB_OUTAGES, REDIS_OUTAGES, is_lock_conflict

logger = logging.getLogger(__name__)

OUTAGE_RETRY_AFTER = 5  # seconds a client should wait when Redis or the database is down

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "rate_limited",
    503: "service_unavailable",
}


def error_response(status: int, code: str, message: str, retry_after: int | None = None):
    """Build the JSON error response with an optional Retry-After header."""
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    if retry_after is not None:
        response.headers["Retry-After"] = str(int(retry_after))
    return response


def init_app(app: Flask) -> None:
    """Register the JSON error handlers."""

    @app.errorhandler(AppError)
    def handle_app_error(exc: AppError):
        response = jsonify(exc.to_dict())
        response.status_code = exc.status
        if exc.retry_after is not None:
            response.headers["Retry-After"] = str(int(exc.retry_after))
        return response

    @app.errorhandler(HTTPException)
    def handle_http_exception(exc: HTTPException):
        status = exc.code or 500
        code = _HTTP_CODES.get(status, "http_error")
        message = exc.description or exc.name
        retry_after = None
        if status == 429:
            # Flask-Limiter's RateLimitExceeded carries the limit; say it plainly.
            message = f"Too many requests ({exc.description}); slow down and retry shortly."
            retry_after = _retry_after_from(exc)
        return error_response(status, code, message, retry_after)

    @app.errorhandler(REDIS_OUTAGES[0])
    @app.errorhandler(REDIS_OUTAGES[1])
    def handle_redis_outage(exc: Exception):
        logger.error(
            "redis unavailable method=%s path=%s error=%s", request.method, request.path, exc
        )
        return error_response(
            503,
            "redis_unavailable",
            "The queue service (Redis) is unavailable; retry shortly.",
            OUTAGE_RETRY_AFTER,
        )

    @app.errorhandler(DB_OUTAGES[0])
    @app.errorhandler(DB_OUTAGES[1])
    @app.errorhandler(DB_OUTAGES[2])
    def handle_db_outage(exc: Exception):
        logger.error(
            "database unavailable method=%s path=%s error=%s",
            request.method,
            request.path,
            str(exc).splitlines()[0],
        )
        return error_response(
            503,
            "database_unavailable",
            "The database is unavailable; retry shortly.",
            OUTAGE_RETRY_AFTER,
        )

    @app.errorhandler(sa_exc.DBAPIError)
    def handle_db_error(exc: sa_exc.DBAPIError):
        # Any other driver error: a MySQL deadlock or lock wait timeout rolled the
        # transaction back and a retry succeeds (503, as an outage); the rest is a bug.
        if is_lock_conflict(exc):
            return handle_db_outage(exc)
        return handle_unexpected(exc)

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        logger.exception("unhandled error method=%s path=%s", request.method, request.path)
        return error_response(500, "internal", "Internal server error; the log has details.")


def _retry_after_from(exc: HTTPException) -> int:
    reset_in = breach_retry_after()
    if reset_in is not None:
        return reset_in
    headers = exc.get_headers() if hasattr(exc, "get_headers") else []
    for name, value in headers:
        if name.lower() == "retry-after":
            try:
                return max(1, int(value))
            except ValueError:
                break
    limit = getattr(exc, "limit", None)
    if limit is not None and getattr(limit, "limit", None) is not None:
        return max(1, int(limit.limit.get_expiry()))
    return 1
