"""HTTP hardening: ProxyFix, CORS for configured origins only, and security headers."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_cors import CORS
from werkzeug.middleware.proxy_fix import ProxyFix

from studio_core.config import Settings

# No inline scripts or styles anywhere in the SPA, so none are allowed; images may be data:
# or blob: URLs (upload previews); nothing may frame the studio.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
STATIC_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
CORS_HEADERS = ["Content-Type", "Idempotency-Key", "Authorization", "X-Requested-With"]


def client_address(
    peer: str | None, forwarded_for: str | None, trusted_proxy_count: int
) -> str | None:
    """The caller's address: the peer's, or with N trusted proxies the N-th X-Forwarded-For
    entry from the right (the one the outermost trusted proxy saw); the Flask app and the
    native event stream (backend.sse) both ask this function."""
    if trusted_proxy_count and forwarded_for:
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        if len(hops) >= trusted_proxy_count:
            return hops[-trusted_proxy_count]
    return peer


class _ClientAddress:
    """WSGI middleware: REMOTE_ADDR becomes `client_address(...)`."""

    def __init__(self, wsgi_app, trusted_proxy_count: int):
        self.wsgi_app = wsgi_app
        self.trusted = trusted_proxy_count

    def __call__(self, environ, start_response):
        environ["REMOTE_ADDR"] = client_address(
            environ.get("REMOTE_ADDR"), environ.get("HTTP_X_FORWARDED_FOR"), self.trusted
        )
        return self.wsgi_app(environ, start_response)


def _add_headers(response: Response) -> Response:
    for name, value in STATIC_HEADERS.items():
        response.headers.setdefault(name, value)
    if "Cache-Control" not in response.headers and (
        request.path.startswith("/api/") or response.mimetype == "application/json"
    ):
        # Private data (prompts, images, job lists): never kept by a browser or proxy cache.
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask, settings: Settings) -> None:
    """Trust exactly TRUSTED_PROXY_COUNT proxies, allow CORS_ORIGINS, add the headers."""
    if settings.trusted_proxy_count:
        # Only the configured number of hops is believed, so a client cannot forge its IP
        # (and dodge a rate limit) with its own X-Forwarded-For.
        n = settings.trusted_proxy_count
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=0, x_proto=n, x_host=n, x_port=n)
        app.wsgi_app = _ClientAddress(app.wsgi_app, n)
    if settings.cors_origins:
        CORS(
            app,
            resources={r"/api/*": {"origins": list(settings.cors_origins)}},
            allow_headers=CORS_HEADERS,
            methods=["GET", "POST", "DELETE", "OPTIONS"],
            supports_credentials=True,
            max_age=600,
        )
    app.after_request(_add_headers)
