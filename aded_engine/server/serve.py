"""Running the API: a socket bound here (a taken port or a bad address is an ``OSError``
at once, not a log line from inside uvicorn), uvicorn on it, in the foreground for
``aded serve`` or on a thread for the app and the tests.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from typing import Callable

import uvicorn

from .api import RequestRecord, ServerConfig, create_app
from .host import SessionHost

STOP_GRACE_S = 3  # open streams get this long to end after their jobs were stopped


class UnsafeBindError(ValueError):
    """A non-loopback address without an API key."""


def is_loopback(host: str) -> bool:
    """True when every address ``host`` names is this machine's loopback."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)


def check_binding(config: ServerConfig) -> None:
    if not is_loopback(config.host) and not config.api_key:
        raise UnsafeBindError(
            f"{config.host} is reachable from other machines: give an API key (--api-key) "
            "to serve there, or serve on 127.0.0.1")


class ApiServer:
    """The API of ``host``'s model at ``address``; ``start()``/``stop()`` on a thread, or
    ``serve_forever()``."""

    def __init__(self, host: SessionHost, config: ServerConfig,
                 on_record: Callable[[RequestRecord], None] = lambda r: None):
        check_binding(config)
        self.host = host
        family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.sock.bind((config.host, config.port))
        except OSError:
            self.sock.close()
            raise
        self.port = self.sock.getsockname()[1]  # the one chosen when config.port is 0
        self.config = config
        self.app = create_app(host, config, on_record)
        self.server = uvicorn.Server(uvicorn.Config(
            self.app, log_level="warning", access_log=False, lifespan="off",
            timeout_graceful_shutdown=STOP_GRACE_S))
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        host = f"[{self.config.host}]" if ":" in self.config.host else self.config.host
        return f"http://{host}:{self.port}/v1"

    def serve_forever(self) -> None:
        """Until Ctrl-C (uvicorn's own signal handling in the main thread)."""
        try:
            self.server.run(sockets=[self.sock])
        finally:
            self._shutdown_jobs()

    def start(self, timeout_s: float = 30.0) -> None:
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                        name="aded-api", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the API server did not start on {self.address}")
            time.sleep(0.02)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        """Stop every generation, let the streams end, close the socket."""
        self._shutdown_jobs()
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(STOP_GRACE_S + 10)
        self.sock.close()

    def _shutdown_jobs(self) -> None:
        state = self.app.state.aded
        for job in list(state.jobs):
            job.stop.set()
        state.pool.shutdown(wait=False)
