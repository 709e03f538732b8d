"""Server-Sent Events: every change of my jobs, pushed from Redis pub/sub.

The subscription is made before the response starts, so a Redis outage is a 503 JSON, not
a broken stream. Idle streams get a `: ping` comment (SSE_PING_S) so proxies keep them open and
a closed client is noticed; `retry: 2000` tells EventSource how soon to reconnect.

Under `python -m backend` the server answers `GET /api/events` itself, on its event loop
(backend.streams.sse, same frames, plus the per-user stream cap); this thread-per-stream route is
what a plain WSGI server or Flask's test client reaches, and keeps the route in the URL map.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

from flask import Blueprint, Response, request, stream_with_context
from redis.exceptions import RedisError

from backend.auth import current_user_id, is_admin
from backend.services import studio
from studio_core.events import Subscription

logger = logging.getLogger(__name__)

bp = Blueprint("events", __name__, url_prefix="/api")

RETRY_MS = 2000
_STREAM_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",  # nginx and friends must not hold frames back
}


def job_frame(event: dict) -> str | None:
    """The SSE text of an event (`event: job` + its JSON), None for events not streamed."""
    # Publishers send the job complete (`studio_core.jobs.public.to_public`): it goes as is.
    if event.get("type") != "job" or not isinstance(event.get("job"), dict):
        return None
    return f"event: job\ndata: {json.dumps(event['job'], default=str)}\n\n"


def event_stream(subscription: Subscription, user: int) -> Iterator[str]:
    """SSE text for one subscriber; ends (and unsubscribes) when the client goes away."""
    try:
        yield f"retry: {RETRY_MS}\n\n"
        for event in subscription:
            if event is None:
                yield ": ping\n\n"
                continue
            frame = job_frame(event)
            if frame:
                yield frame
    except RedisError as exc:
        # The client reconnects after `retry` and re-reads state over HTTP.
        logger.warning("sse stream lost redis user=%s error=%s", user, exc)
    finally:
        subscription.close()
        logger.info("sse closed user=%s", user)


@bp.get("/events")
def events():
    """`text/event-stream` of `event: job` frames for the current user's jobs."""
    s = studio()
    user = current_user_id()
    if request.method == "HEAD":
        # No body will be read: a subscription here would never be iterated, so never closed.
        return Response(mimetype="text/event-stream", headers=_STREAM_HEADERS)
    subscription = s.events.subscribe(user, admin=is_admin(), timeout=s.settings.sse_ping_s)
    logger.info("sse opened user=%s", user)
    return Response(
        stream_with_context(event_stream(subscription, user)),
        mimetype="text/event-stream",
        headers=_STREAM_HEADERS,
    )
