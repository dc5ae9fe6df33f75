"""A readers-writer lock guarding the index: many questions at once, or one change to the index.

Answers read the vector store and the keyword index; an upload or a removal rewrites them. The
writer waits for readers in flight, and new readers wait behind a waiting writer, so a question
never sees a half-rebuilt keyword index and an upload is never starved by a busy chat. Acquire and
release may happen on different threads (the web server runs a streamed answer's steps on any
worker thread), so ownership is not tracked.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class ReadWriteLock:
    """Shared reading, exclusive writing, writers preferred."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0
        self._readers_waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            self._readers_waiting += 1
            try:
                while self._writing or self._writers_waiting:
                    self._cond.wait()
            finally:
                self._readers_waiting -= 1
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if self._readers == 0:
                    self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            try:
                while self._writing or self._readers:
                    self._cond.wait()
            finally:
                self._writers_waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()

    @property
    def readers(self) -> int:
        """Readers holding the lock now (for tests and diagnostics)."""
        return self._readers

    @property
    def writing(self) -> bool:
        return self._writing

    @property
    def waiting(self) -> tuple[int, int]:
        """(readers, writers) waiting for the lock now."""
        return self._readers_waiting, self._writers_waiting
