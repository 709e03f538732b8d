"""The domain's exception tree. Each class carries the HTTP status the API answers with.

AppError (500, "internal")
├── InvalidInput (400, "invalid_input")
│   ├── InvalidImage (400, "invalid_image")
│   └── UnknownTool (400, "unknown_tool")
├── Unauthorized (401, "unauthorized")
├── Forbidden (403, "forbidden")
├── NotFound (404, "not_found")
│   └── JobNotFound (404, "job_not_found")
├── Conflict (409, "conflict")
├── PayloadTooLarge (413, "payload_too_large")
├── UnsupportedMediaType (415, "unsupported_media_type")
├── Unprocessable (422, "unprocessable")
├── TooManyRequests (429, "rate_limited")
├── ServiceUnavailable (503, "service_unavailable")
│   └── EngineUnavailable (503, "engine_unavailable")
└── StorageFull (507, "storage_full")
"""

from __future__ import annotations


class AppError(Exception):
    """Base of every error the API turns into `{"error": {"code", "message"}}`."""

    status = 500
    code = "internal"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        retry_after: int | None = None,
    ):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field
        self.retry_after = retry_after

    def to_dict(self) -> dict:
        """The JSON error body."""
        body: dict = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        return {"error": body}


class InvalidInput(AppError):
    status, code = 400, "invalid_input"


class InvalidImage(InvalidInput):
    code = "invalid_image"


class Unauthorized(AppError):
    status, code = 401, "unauthorized"


class Forbidden(AppError):
    status, code = 403, "forbidden"


class NotFound(AppError):
    status, code = 404, "not_found"


class JobNotFound(NotFound):
    code = "job_not_found"


class UnknownTool(InvalidInput):
    code = "unknown_tool"


class Conflict(AppError):
    status, code = 409, "conflict"


class PayloadTooLarge(AppError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(AppError):
    status, code = 415, "unsupported_media_type"


class Unprocessable(AppError):
    status, code = 422, "unprocessable"


class TooManyRequests(AppError):
    status, code = 429, "rate_limited"


class ServiceUnavailable(AppError):
    status, code = 503, "service_unavailable"


class EngineUnavailable(ServiceUnavailable):
    code = "engine_unavailable"


class StorageFull(AppError):
    """The storage volume has no room (ENOSPC, or free space below STORAGE_MIN_FREE_MB)."""

    status, code = 507, "storage_full"
