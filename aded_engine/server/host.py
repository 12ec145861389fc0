"""One loaded model shared by everyone who wants it: the local API server's requests and the
app's own replies, one at a time, in the order they asked.

Why a lock with a line rather than running server jobs on the app's engine thread: the
server must also run without Qt (``aded serve``), and a server job queued onto the engine
thread would need a second, Qt-only path for waiting, cancelling and refusing. With the
host, whoever uses the session (the app's EngineWorker on its QThread, a server job on its
own thread) first takes its turn here, so two generations never touch the KV cache or the
drafter at once. Nothing of one conversation survives into the next in a way that could
mix them up: each generation prepares the KV cache from its own prompt
(``ChatSession._prefill`` keeps only the longest common prefix with what the cache held),
and the drafter's conversation layer restarts whenever a prompt does not continue the last
one (``TrigramDrafter.start``). Requests of the same conversation, which assistants resend
whole every turn, therefore reuse the cache and the drafter's state; another conversation
costs a re-evaluation of its prompt, never a wrong answer.

The line is bounded for the server (``join(limit=n)`` refuses with ``Busy`` when n jobs
already wait behind the running one); the app is never refused, it waits.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from contextlib import contextmanager
from typing import Callable, Iterator

from ..session import ChatSession

POLL_S = 0.05  # how often a waiting job asks whether it was cancelled meanwhile


class Busy(RuntimeError):
    """The line is full: the request is refused before it waits."""


class NoModel(RuntimeError):
    """No model is loaded (the app's model was closed or is being replaced)."""


class Cancelled(RuntimeError):
    """The job was cancelled while it waited for its turn."""


class SessionHost:
    """The session (``None`` while no model is loaded) and the line of jobs that want it.

    ``with host.use(cancelled) as session:`` waits for the turn; ``join`` then ``turn``
    split that in two, so a server can refuse a request (``Busy``) before it starts a
    thread for it.
    """

    def __init__(self, session: ChatSession | None = None):
        self._session = session
        self._cond = threading.Condition()
        self._line: deque[int] = deque()  # tickets; the head holds the session
        self._tickets = itertools.count(1)

    @property
    def session(self) -> ChatSession | None:
        """The session, to read its description; use it only inside a turn."""
        return self._session

    @property
    def waiting(self) -> int:
        """Jobs in line behind the one holding the session."""
        with self._cond:
            return max(0, len(self._line) - 1)

    @property
    def busy(self) -> bool:
        """Someone holds the session or waits for it."""
        with self._cond:
            return bool(self._line)

    def join(self, limit: int | None = None) -> int:
        """Take a place in line now; returns the ticket for ``turn``. ``limit``: refuse
        (``Busy``) when that many already wait behind the job holding the session."""
        with self._cond:
            if limit is not None and len(self._line) > limit:
                raise Busy(f"the model is busy: {len(self._line) - 1} requests are waiting "
                           f"behind the one it is answering (at most {limit})")
            ticket = next(self._tickets)
            self._line.append(ticket)
            return ticket

    def leave(self, ticket: int) -> None:
        with self._cond:
            self._line.remove(ticket)
            self._cond.notify_all()

    @contextmanager
    def turn(self, ticket: int, cancelled: Callable[[], bool] = lambda: False
             ) -> Iterator[ChatSession]:
        """Wait until ``ticket`` is first in line, hold the session, then leave the line
        (also when waiting ends in ``Cancelled`` or ``NoModel``)."""
        try:
            self._wait(ticket, cancelled)
            if self._session is None:
                raise NoModel("no model is loaded")
            yield self._session
        finally:
            self.leave(ticket)

    def _wait(self, ticket: int, cancelled: Callable[[], bool]) -> None:
        with self._cond:
            while self._line[0] != ticket:
                if cancelled():
                    raise Cancelled("cancelled while waiting for the model")
                self._cond.wait(POLL_S)

    @contextmanager
    def use(self, cancelled: Callable[[], bool] = lambda: False, limit: int | None = None
            ) -> Iterator[ChatSession]:
        with self.turn(self.join(limit), cancelled) as session:
            yield session

    def replace(self, session: ChatSession | None) -> None:
        """Put another session in (``None``: no model), closing the old one once no job
        holds it."""
        ticket = self.join()
        try:
            self._wait(ticket, lambda: False)
            old, self._session = self._session, session
        finally:
            self.leave(ticket)
        if old is not None and old is not session:
            old.close()
