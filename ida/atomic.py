"""Files the harness rewrites are written to a temp file beside them and renamed over the old one, so a kill
mid-write leaves the old file or the new one, never half of either. Temp names are unique per writer
(`.<name>.<pid>.<token>.tmp`)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ida.faults import kill_point


def temp_path(path: Path) -> Path:
    """A unique temp name beside `path` (same folder, so the rename is atomic)."""
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(3)}.tmp")


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temp path to write; on success it replaces `path` (fsynced), on error it is removed."""
    path = Path(path)
    tmp = temp_path(path)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        kill_point(f"atomic:{path.name}")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: str | Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def remove_stale_temps(folder: Path, name: str = "*", recursive: bool = False) -> None:
    """Remove the temp files/folders of `folder/name` (every name: "*") whose writer process is gone."""
    import shutil

    pattern = f".{name}.*.tmp"
    for stale in (Path(folder).rglob(pattern) if recursive else Path(folder).glob(pattern)):
        if _writer_alive(stale.name):
            continue
        shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink(missing_ok=True)


def _writer_alive(temp_name: str) -> bool:
    parts = temp_name.rsplit(".", 3)  # .<name>.<pid>.<token>.tmp
    if len(parts) != 4 or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
