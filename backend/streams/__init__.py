"""The live event stream (`GET /api/events`) on the event loop: the ASGI handler (sse), one
Redis pub/sub connection per process fanned out to every stream (hub), and the per-user cap
on open streams shared through Redis (leases)."""
