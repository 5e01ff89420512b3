"""The durable outbox: every upstream message is written to SQLite, with its message id, before anything tries
to send it, and removed only when the broker (PUBACK) or the server (HTTP 2xx) has taken it. After a restart
or a reconnect the rest goes out in the order it was queued, with the same ids, so the server's idempotent
ingest applies each one once. Also keeps the job ids the agent has seen (commands arrive over MQTT and REST)."""
from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..protocol import Message

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    payload BLOB NOT NULL,
    queued_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS seen_jobs (
    job INTEGER PRIMARY KEY,
    seen_at REAL NOT NULL
);
"""
SEEN_JOBS_KEPT = 60 * 60 * 24 * 14   # a job the server still hands out after two weeks has expired anyway


@dataclass(frozen=True)
class Pending:
    seq: int
    id: str
    type: str
    payload: bytes


class Outbox:
    """A FIFO of encoded messages on disk. Thread-safe: the runner queues, the transport drains."""

    def __init__(self, path: Path | str):
        self.path = str(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")   # a queued message survives a power cut
        self._db.executescript(SCHEMA)

    def put(self, message: Message) -> None:
        """Queue one message; the same id twice is kept once."""
        self.put_many([message])

    def put_many(self, messages: Iterable[Message]) -> None:
        rows = [(m.id, m.type, m.to_json(), time.time()) for m in messages]
        with self._lock:
            self._db.executemany("INSERT OR IGNORE INTO outbox (id, type, payload, queued_at) VALUES (?, ?, ?, ?)",
                                 rows)

    def peek(self, limit: int = 100) -> list[Pending]:
        """The oldest messages, in queue order, without removing them."""
        with self._lock:
            rows = self._db.execute("SELECT seq, id, type, payload FROM outbox ORDER BY seq LIMIT ?",
                                    (limit,)).fetchall()
        return [Pending(seq, mid, kind, bytes(payload)) for seq, mid, kind, payload in rows]

    def remove(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        if not ids:
            return
        with self._lock:
            self._db.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in ids])

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]

    # ------------------------------------------------------------------------------------------ seen jobs
    def first_sight(self, job: int) -> bool:
        """True the first time a job id is seen (then remembered, across restarts)."""
        with self._lock:
            cursor = self._db.execute("INSERT OR IGNORE INTO seen_jobs (job, seen_at) VALUES (?, ?)",
                                      (job, time.time()))
            return cursor.rowcount == 1

    def forget_old_jobs(self, now: float | None = None) -> None:
        with self._lock:
            self._db.execute("DELETE FROM seen_jobs WHERE seen_at < ?", ((now or time.time()) - SEEN_JOBS_KEPT,))

    def close(self) -> None:
        with self._lock:
            self._db.close()
