"""HTTP hardening: trusted proxies only, CORS for configured origins only, security headers."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_cors import CORS

from backend.client_address import ProxyTrust, TrustedProxyMiddleware, warn_if_exposed
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
CORS_HEADERS = [
    "Content-Type",
    "Idempotency-Key",
    "Authorization",
    "X-Requested-With",
    "X-CSRF-Token",
]


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
    """Trust TRUSTED_PROXY_COUNT proxies at TRUSTED_PROXY_IPS, allow CORS_ORIGINS, add headers."""
    if settings.trusted_proxy_count:
        # Only the configured hops, and only from a trusted peer, are believed: a client
        # cannot forge its IP (and pick its rate-limit bucket) with its own X-Forwarded-For.
        app.wsgi_app = TrustedProxyMiddleware(app.wsgi_app, ProxyTrust.from_settings(settings))
        warn_if_exposed(settings)
    if settings.cors_origins:
        CORS(
            app,
            resources={r"/api/*": {"origins": list(settings.cors_origins)}},
            allow_headers=CORS_HEADERS,
            methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
            supports_credentials=True,
            max_age=600,
        )
    app.after_request(_add_headers)
