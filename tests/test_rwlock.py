"""The index lock: readers share, a writer is alone, and a waiting writer is not starved."""

from __future__ import annotations

import threading

import pytest

from rag.rwlock import ReadWriteLock


def _until(condition, what: str, limit: float = 10.0) -> None:
    """Wait for another thread to reach a state (the limit only stops a hung test)."""
    done = threading.Event()
    for _ in range(int(limit / 0.005)):
        if condition():
            return
        done.wait(0.005)
    pytest.fail(f"never happened: {what}")


def test_readers_share_the_lock():
    lock = ReadWriteLock()
    with lock.read(), lock.read():
        assert lock.readers == 2
    assert lock.readers == 0


def test_writer_waits_for_readers_then_excludes_new_ones():
    lock = ReadWriteLock()
    order: list[str] = []
    reader_in = lock.read()
    reader_in.__enter__()

    def write():
        with lock.write():
            order.append("write")

    def late_read():
        with lock.read():
            order.append("late read")

    w = threading.Thread(target=write)
    w.start()
    _until(lambda: lock.waiting == (0, 1), "the writer queues behind the reader")
    r = threading.Thread(target=late_read)
    r.start()
    _until(lambda: lock.waiting == (1, 1), "the late reader waits behind the waiting writer")
    assert order == [] and not lock.writing  # the writer waits while a reader holds the lock
    reader_in.__exit__(None, None, None)
    w.join(10)
    r.join(10)
    assert order == ["write", "late read"]  # the waiting writer went before the reader that came later


def test_release_from_another_thread():
    lock = ReadWriteLock()
    ctx = lock.read()
    ctx.__enter__()
    t = threading.Thread(target=ctx.__exit__, args=(None, None, None))
    t.start()
    t.join(10)
    with lock.write():
        assert lock.writing and lock.readers == 0


def test_an_error_inside_releases_the_lock():
    lock = ReadWriteLock()
    with pytest.raises(RuntimeError):
        with lock.write():
            raise RuntimeError("boom")
    with pytest.raises(RuntimeError):
        with lock.read():
            raise RuntimeError("boom")
    with lock.write():
        assert lock.readers == 0
