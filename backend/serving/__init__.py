"""How `python -m backend` serves the app: uvicorn processes (server, protocol) running one
ASGI app (asgi) that answers the event streams on its loop and hands every other request,
body already read (body), to Flask on a thread (wsgi_bridge). The answers the server writes
itself, outside Flask, are built by backend.asgi_http (shared with backend.streams)."""
