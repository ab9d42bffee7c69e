"""Which store a run uses: `store.url` when set (PostgreSQL, or a SQLite file elsewhere), else the run dir's
`ida.sqlite`. A PostgreSQL database (or schema) holds one run, as a SQLite file does."""

from __future__ import annotations

from pathlib import Path

from ida.config import StoreConfig, StoreError
from ida.errors import RunDirError
from ida.paths import RunPaths
from ida.store import Store


def open_store(cfg: StoreConfig, run_dir: Path, new: bool = False) -> Store:
    """The run's store; `new`: for a run being started (a PostgreSQL store must hold no run yet)."""
    if cfg.url is None:
        path = RunPaths(run_dir).store
        if not new and not path.is_file():
            raise RunDirError(f"{run_dir} is not a run dir (no {path.name}); give the folder `ida run` printed")
        return Store(path)
    store = Store(cfg.url)
    if new and store.has_runs():
        held = store.run_row()["id"]
        store.close()
        raise StoreError(f"store.url {store.url.shown}: already holds run {held}; give each run its own "
                         "database or schema (?schema=name)")
    return store
