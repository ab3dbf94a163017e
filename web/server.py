"""Serve the console with uvicorn: in the foreground (`intake web`) or in a thread beside the scheduler
(`intake run` with INTAKE_WEB_PORT), stopping within seconds when the service stops."""

from __future__ import annotations

import gc
import logging
import socket
import threading

import uvicorn
from starlette.applications import Starlette

from core.settings import Settings
from store.session import SessionFactory
from web.app import create_app
from web.context import Console

log = logging.getLogger(__name__)

YOUNG_OBJECTS = 20_000  # allocations between the garbage collector's young collections (settle)
GRACEFUL_SECONDS = 3  # open requests get this long once a stop is asked for; the service promises 10 s in all


def _config(app: Starlette, host: str, port: int) -> uvicorn.Config:
    # proxy_headers: X-Forwarded-Proto/For from the local reverse proxy (127.0.0.1) only.
    return uvicorn.Config(app, host=host, port=port, log_config=None,
                          proxy_headers=True, forwarded_allow_ips="127.0.0.1,::1", server_header=False,
                          timeout_graceful_shutdown=GRACEFUL_SECONDS, access_log=True)


def settle() -> None:
    """Tune the garbage collector for the console, once it is built (bench/bench_web.py measured both):
    - take what is alive then (modules, SQLAlchemy's and Jinja's structures: some 90,000 objects) out of its full
      collections: a page that builds a few thousand rows (报送情况 with a 2,000-entry roster) otherwise paid a
      full collection of all of them on most requests (~50 ms of ~180);
    - collect the youngest objects every 20,000 allocations rather than 700: such a page allocates some 60,000
      objects that live until it is sent, and each young collection looked at them again (~10 ms of ~90).
    Objects still die as usual when nothing refers to them; only cycles wait for a collection."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS, *gc.get_threshold()[1:])


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound here so that a port in use is an OSError the caller reports in one line."""
    return socket.create_server((host, port), backlog=128)


def serve(settings: Settings, session_factory: SessionFactory, host: str, port: int) -> None:
    """Run until SIGINT/SIGTERM (uvicorn's own handlers); OSError when the address cannot be bound."""
    sock = listen(host, port)
    log.info("console listening on http://%s:%s", host, port)
    app = create_app(settings, session_factory)
    settle()
    uvicorn.Server(_config(app, host, port)).run(sockets=[sock])


class ConsoleThread:
    """The console in a daemon thread: start() returns once it listens (or raises when it cannot), stop() asks
    it to finish and waits up to timeout seconds."""

    def __init__(self, settings: Settings, session_factory: SessionFactory, host: str, port: int) -> None:
        app = create_app(settings, session_factory)
        self.console: Console = app.state.console  # its clock is a seam (docs/render_console.py sets the day)
        self.server = uvicorn.Server(_config(app, host, port))
        self.host, self.port = host, port
        self.thread: threading.Thread | None = None
        self.where = f"http://{host}:{port}"

    def start(self, timeout: float = 10.0) -> None:
        sock = listen(self.host, self.port)  # OSError here, in the caller's thread, when the port is taken
        settle()
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, name="console",
                                       daemon=True)
        self.thread.start()
        waited = 0.0
        while not self.server.started and self.thread.is_alive() and waited < timeout:
            self.thread.join(0.05)
            waited += 0.05
        if not self.server.started:
            self.server.should_exit = True
            raise OSError(f"the console could not listen on {self.where} (see the log)")
        log.info("console listening on %s", self.where)

    def stop(self, timeout: float = 5.0) -> None:
        self.server.should_exit = True
        if self.thread is None:
            return
        self.thread.join(timeout)
        if self.thread.is_alive():
            self.server.force_exit = True
            self.thread.join(1.0)
        log.info("console stopped")
