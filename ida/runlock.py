"""One writer per run dir: an OS file lock (`flock`) on `<run>/run.lock`, which holds the writer's pid.

`ida run`, `ida resume` and `execute` hold it for their whole life; a second writer gets `RunLocked` (one line
naming the holder's pid). The OS drops the lock when its holder dies (even by SIGKILL), so a stale lock is simply
taken over; the dead holder's pid is kept (`previous_pid`) so the run can be reported `interrupted`. Within one
process the lock is re-entrant (a test may start a run and execute it, then open it again).

A run whose store is PostgreSQL (`store.url`) may be resumed from several hosts, each with its own run dir, so
the lock is also a session-level advisory lock in that database (held by a connection of its own, released by the
server when the holder dies): a second writer on any host gets the same `RunLocked` line."""

from __future__ import annotations

import fcntl
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ida.errors import RunLocked

LOCK_FILE = "run.lock"
_held: dict[tuple[int, int], RunLock] = {}  # (device, inode) of a lock file this process holds -> its lock


@dataclass
class RunLock:
    path: Path
    fd: int
    previous_pid: int | None  # the pid in the file when taken: a writer that died without releasing it
    count: int = 1
    store_lock: Any = None  # the PostgreSQL connection holding the advisory lock (a PostgreSQL store only)

    @classmethod
    def acquire(cls, run_dir: Path, store_url: str | None = None) -> RunLock:
        """Take the run's lock or raise `RunLocked`; re-entrant within this process. `store_url`: the run's
        `store.url` (default: read from its config.yaml)."""
        lock = cls._acquire_file(run_dir)
        if lock.count == 1 and lock.store_lock is None:
            try:
                lock.store_lock = _store_lock(run_dir, store_url or _configured_url(run_dir))
            except BaseException:
                lock.release()
                raise
        return lock

    @classmethod
    def _acquire_file(cls, run_dir: Path) -> RunLock:
        path = Path(run_dir) / LOCK_FILE
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        st = os.fstat(fd)
        key = (st.st_dev, st.st_ino)
        if key in _held:
            os.close(fd)
            _held[key].count += 1
            return _held[key]
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            pid = _read_pid(path)
            raise RunLocked(f"{run_dir} is being written by process {pid or '?'} (it holds {path}); wait for it "
                            "to finish or stop it, then run the command again") from None
        previous = _read_pid(path)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        lock = _held[key] = cls(path, fd, previous if previous != os.getpid() else None)
        return lock

    def release(self) -> None:
        """Give the lock back (the last release of a re-entrant lock closes it); the pid stays in the file."""
        self.count -= 1
        if self.count > 0:
            return
        for key, lock in list(_held.items()):
            if lock is self:
                del _held[key]
        os.close(self.fd)
        if self.store_lock is not None:
            self.store_lock.close()  # the server drops the advisory lock with the session
            self.store_lock = None


def holder(run_dir: Path, store_url: str | None = None) -> int | None:
    """The pid of the live process writing `run_dir`, or None when nobody holds its lock (a PostgreSQL store: the
    holder of the advisory lock, on whichever host)."""
    url = store_url or _configured_url(run_dir)
    if _pg(url) is not None:
        db = _connect(url, "ida")
        try:
            found = _pg_holder(db)
        finally:
            db.close()
        return None if found is None else found[0]
    path = Path(run_dir) / LOCK_FILE
    if not path.exists():
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) in _held:
            return os.getpid()
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_pid(path) or -1
        return None
    finally:
        os.close(fd)


def _read_pid(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


# PostgreSQL: one advisory lock per run (its schema), taken by a connection named after its holder
_LOCK_KEY = "23, hashtext(current_schema())"


def _configured_url(run_dir: Path) -> str | None:
    try:
        data = yaml.safe_load((Path(run_dir) / "config.yaml").read_text()) or {}
    except (OSError, yaml.YAMLError):
        return None
    return ((data.get("store") or {}) if isinstance(data, dict) else {}).get("url")


def _pg(url: str | None) -> Any:
    from ida.config import StoreUrl

    parsed = StoreUrl.parse(url) if url else None
    return parsed if parsed is not None and parsed.dialect == "postgresql" else None


def _connect(url: str, name: str) -> Any:
    from ida.store.db import PgConnection

    return PgConnection(_pg(url), application_name=name)


def _store_lock(run_dir: Path, url: str | None) -> Any:
    """A connection holding the run's advisory lock, None for a SQLite store; `RunLocked` when another holds it."""
    if _pg(url) is None:
        return None
    db = _connect(url, f"ida-run-lock {os.getpid()}@{socket.gethostname()}"[:63])
    if db.execute(f"SELECT pg_try_advisory_lock({_LOCK_KEY})").fetchone()[0]:
        return db
    found = _pg_holder(db)
    db.close()
    pid, host = found if found else ("?", "?")
    raise RunLocked(f"{run_dir} is being written by process {pid} on {host} (it holds the run's lock in "
                    f"{_pg(url).shown}); wait for it to finish or stop it, then run the command again")


def _pg_holder(db: Any) -> tuple[int, str] | None:
    """(pid, host) of the session holding the run's advisory lock, from its application name."""
    row = db.execute("SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                     " WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 23 AND l.objsubid = 2"
                     " AND l.objid = hashtext(current_schema())::oid").fetchone()
    if row is None:
        return None
    pid, _, host = row[0].removeprefix("ida-run-lock ").partition("@")
    return (int(pid) if pid.isdigit() else -1), host
