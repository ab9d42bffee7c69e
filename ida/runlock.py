"""One writer per run dir: an OS file lock (`flock`) on `<run>/run.lock`, which holds the writer's pid.

`ida run`, `ida resume` and `execute` hold it for their whole life; a second writer gets `RunLocked` (one line
naming the holder's pid). The OS drops the lock when its holder dies (even by SIGKILL), so a stale lock is simply
taken over; the dead holder's pid is kept (`previous_pid`) so the run can be reported `interrupted`. Within one
process the lock is re-entrant (a test may start a run and execute it, then open it again)."""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path

from ida.errors import RunLocked

LOCK_FILE = "run.lock"
_held: dict[tuple[int, int], RunLock] = {}  # (device, inode) of a lock file this process holds -> its lock


@dataclass
class RunLock:
    path: Path
    fd: int
    previous_pid: int | None  # the pid in the file when taken: a writer that died without releasing it
    count: int = 1

    @classmethod
    def acquire(cls, run_dir: Path) -> RunLock:
        """Take the run's lock or raise `RunLocked`; re-entrant within this process."""
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


def holder(run_dir: Path) -> int | None:
    """The pid of the live process writing `run_dir`, or None when nobody holds its lock."""
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
