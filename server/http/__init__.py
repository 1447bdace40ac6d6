"""The streamable HTTP transport: one ASGI app serving the tools at ``/mcp`` to a fleet.

app.py          the ASGI app, its factory for ASGI servers, and the uvicorn runner
auth.py         the bearer gate: static tokens and OAuth access tokens (401/403/503)
protocol.py     what the SDK leaves to us: GET /mcp, unsupported protocol versions
connections.py  uvicorn's connection handling, bounded: header timeout, connection cap
shutdown.py     SIGTERM: in-flight calls finish within the grace, late ones get an error
health.py       /healthz (liveness) and /healthz/ready (readiness)
responses.py    the JSON answer an ASGI gate sends before the app runs
body.py         a request body read once by the first gate that needs it
hosts.py        the Host allow list, refused in words an operator can act on
worker.py       the gunicorn worker, with the same connection bounds
"""
