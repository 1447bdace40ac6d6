"""The gunicorn worker for this server: uvicorn's, with the connection bounds of
``twilio-memory-mcp --transport http`` (issue 9 item 5, :mod:`server.http.connections`).

``uvicorn_worker.UvicornWorker`` builds uvicorn's HTTP protocol itself, so the app cannot
bound a worker's connections: a request head could take forever and idle sockets could
pile up to the descriptor limit. This worker hands uvicorn the same guarded h11 protocol
the console script uses, so each worker closes connections whose request head does not
arrive within ``TWILIO_MEMORY_HEADER_TIMEOUT`` and refuses, with an immediate ``503``,
connections beyond ``TWILIO_MEMORY_MAX_CONNECTIONS`` (a per-worker cap: gunicorn's workers
accept from one shared socket, each under its own descriptor limit)::

    gunicorn 'server.http.app:create_app()' -k server.http.worker.UvicornWorker -w 4 ...

It also stops when its master is gone, as gunicorn's own workers do ("Parent changed"):
uvicorn-worker's does not, so a master killed outright (an out-of-memory kill, say) left its
workers serving, and holding the port, with no one to stop them.

gunicorn and uvicorn-worker are not dependencies of the package: a deployment that runs
gunicorn installs both (README, "Running it").
"""

from __future__ import annotations

import os
import signal
from typing import Any

from uvicorn_worker import UvicornWorker as _UvicornWorker

from server.http.connections import FD_RESERVE, ConnectionLimits, fit_to_descriptors
from server.settings import load_settings


class UvicornWorker(_UvicornWorker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The same environment the app factory reads in this worker (server.http.app.create_app).
        settings = load_settings(os.environ)
        cap = fit_to_descriptors(settings.http.max_connections, FD_RESERVE + settings.memory.max_concurrency)
        protocol = ConnectionLimits(cap, settings.http.header_timeout).protocol()
        # Read by super().__init__ as uvicorn.Config's keywords: "loop" as uvicorn-worker has it.
        self.CONFIG_KWARGS: dict[str, Any] = {**_UvicornWorker.CONFIG_KWARGS, "http": protocol}
        super().__init__(*args, **kwargs)

    async def callback_notify(self) -> None:
        # uvicorn calls this every timeout/2 seconds (gunicorn's --timeout, default 30 s). An
        # orphan stops the way a master's SIGTERM would stop it: in-flight calls get the grace.
        if os.getppid() != self.ppid:
            self.log.info("Parent changed, shutting down: %s", self)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        self.notify()
