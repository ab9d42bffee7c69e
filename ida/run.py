"""`Run`: an open run dir — its config, task, store and progress display — and how one is started or opened.

    run = start_run(load_config(), Path("runs"))   # creates runs/<id>/ with config.yaml, ida.sqlite and M_0
    run = open_run(Path("runs/<id>"))              # the same run again (resume; `execute` takes its lock)
    record = read_run(Path("runs/<id>"))           # config and store only: reports, no task, no model stack

The model stack (torch, transformers) is imported only where a model is built or loaded, so reports and the
oversight app's read-only pages can read a run without it.
"""

from __future__ import annotations

import re
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from ida.atomic import remove_stale_temps, temp_path
from ida.build import RunParts, build_parts, build_task
from ida.config import RunConfig, dump_config, load_config
from ida.errors import RunDirError
from ida.faults import kill_point
from ida.paths import STORE, RunPaths
from ida.preflight import preflight
from ida.progress import RunProgress
from ida.results import RESULT_TYPES, PhaseResult, typed_result
from ida.review.policies import ReviewPolicy
from ida.runlock import LOCK_FILE, RunLock, holder
from ida.store import ExampleRow, RunRecords, Store
from ida.store.open import open_store
from ida.tasks import Task
from ida.tasks.lineage import pin_task_data

if TYPE_CHECKING:
    from ida.models.checkpoint import AdapterCheckpoint
    from ida.models.local import LocalModel

BASELINE_CYCLE = 0  # the supervised baseline's phase and metrics are kept under cycle 0
R = TypeVar("R", bound=PhaseResult)
KEEP_LOADED = 2  # checkpoints a Run keeps loaded: a cycle reads M_(n-1) and M_n (each loaded once per cycle)
__all__ = ["BASELINE_CYCLE", "Run", "RunPaths", "RunRecord", "build_task", "open_run", "read_run", "run_file",
           "save_atomic", "start_run", "status"]


@dataclass
class RunRecord:
    """A run dir read without its task or models: what reports need."""

    dir: Path
    id: str
    config: RunConfig
    store: Store

    @property
    def paths(self) -> RunPaths:
        return RunPaths(self.dir)

    @property
    def records(self) -> RunRecords:
        """This run's rows in `store` (`run.records.examples(1)`); `store` itself stays for what is not the
        run's (accounts, the review queue) and for closing."""
        return self.store.run(self.id)

    def metrics(self, name: str | None = None) -> dict[int, dict[str, dict[str, float]]]:
        """{cycle: {metric name: {key: value}}}, e.g. `run.metrics("student")[2]["student"]["3"]` is M_2's eval
        accuracy at difficulty 3; the supervised baseline's are under cycle 0 ("supervised")."""
        return self.records.metrics(name)

    def examples(self, cycle: int) -> list[ExampleRow]:
        """The amplified examples of `cycle`: question, Amp's answer, true answer, graph, verdict, target."""
        return self.records.examples(cycle)

    def phase_results(self) -> dict[int, dict[str, PhaseResult]]:
        """{cycle: {phase: its result}} of every finished phase (the baseline under cycle 0), typed
        (`ida.results`): `run.phase_results()[1]["review"].dataset_sha256`."""
        out: dict[int, dict[str, PhaseResult]] = {}
        for p in self.records.phases():
            out.setdefault(p["cycle"], {})[p["phase"]] = typed_result(p["phase"], p["result"])
        return out

    def result(self, cycle: int, kind: type[R]) -> R | None:
        """The stored result of the phase whose model is `kind` (e.g. `ReviewResult`), or None if not done."""
        phase = next(name for name, model in RESULT_TYPES.items() if model is kind)
        stored = self.records.phase_result(cycle, phase)
        return None if stored is None else kind.model_validate(stored)


@dataclass
class Run(RunRecord):
    """An open run dir: its config, its parts (task, review policy, ... built once by `ida.build`), store and
    progress display. A script or test may put its own `ReviewPolicy` in `review_policy` before `execute`."""

    parts: RunParts
    progress: RunProgress
    lock: RunLock | None = field(init=False, default=None)  # the run lock while this process writes the run
    _loaded: dict[tuple[Path, str], LocalModel] = field(init=False, default_factory=dict, repr=False)

    @property
    def task(self) -> Task:
        return self.parts.task

    @property
    def review_policy(self) -> ReviewPolicy:
        return self.parts.review_policy

    @review_policy.setter
    def review_policy(self, policy: ReviewPolicy) -> None:
        self.parts.review_policy = policy

    def checkpoint(self, cycle: int) -> Path:
        return self.paths.checkpoint(cycle)

    def load_model(self, path: Path, version: str) -> LocalModel:
        """A fresh copy of the checkpoint at `path` (for training: the caller may change its weights)."""
        from ida.models.local import load_student

        return load_student(self.config.model, path, version)

    def model(self, cycle: int) -> LocalModel:
        """M_cycle for reading (answering, scoring), loaded once and shared by the phases that read it; never
        train it (use `load_model`). `forget_model` drops it when its checkpoint is written again."""
        key = (self.checkpoint(cycle), f"M{cycle}")
        if key not in self._loaded:
            for old in [k for k in self._loaded][:max(0, len(self._loaded) - KEEP_LOADED + 1)]:
                del self._loaded[old]
            self._loaded[key] = self.load_model(*key)
        return self._loaded[key]

    def forget_model(self, cycle: int) -> None:
        self._loaded.pop((self.checkpoint(cycle), f"M{cycle}"), None)

    def build_model(self, seed: int) -> LocalModel:
        """A fresh student of the config's architecture over the task's vocabulary; for a pretrained student,
        M_0 again (its pretrained weights are where a fresh start begins)."""
        from ida.models.local import LocalModel
        from ida.models.positions import task_separators

        if self.config.model.pretrained is not None:
            return self.load_model(self.checkpoint(0), "M0")
        return LocalModel.build(self.config.model, self.task.vocabulary(), seed=seed,
                                separators=task_separators(self.config.model, self.task))

    def phase_done(self, cycle: int, phase: str) -> PhaseResult | None:
        stored = self.records.phase_result(cycle, phase)
        return None if stored is None else typed_result(phase, stored)


def start_run(config: RunConfig, runs_root: Path, progress: RunProgress | None = None) -> Run:
    """Create `runs_root/<run id>/` with its config, store and M_0, holding its lock. Every plug-in is resolved and
    checked against its protocol first (ValueError naming the field), so a bad one leaves nothing on disk.

    The folder is built as `runs_root/.<run id>.tmp` and renamed when complete, so a run dir under its final name
    always has its config, its run row and M_0; a kill during start-up leaves only the temp folder, which the
    next `ida run` in the same root removes."""
    parts = build_parts(config)  # every plug-in resolved and checked once
    task = parts.task
    preflight(config, task)  # a config this task cannot run fails here, before the run dir exists
    store = None if config.store.url is None else open_store(config.store, runs_root, new=True)  # before any write
    run_id = f"{_slug(task.name or config.task.name)}-{time.strftime('%Y%m%d-%H%M%S')}-" \
             f"{secrets.token_hex(2)}"
    root = Path(runs_root)
    if root.exists() and not root.is_dir():
        raise RunDirError(f"--run-dir {root}: is a file; pass the folder that holds the runs")
    try:
        root.mkdir(parents=True, exist_ok=True)
        _remove_dead_startups(root)
        tmp = root / f".{run_id}.tmp"
        tmp.mkdir()
    except OSError as err:
        raise RunDirError(f"--run-dir {root}: cannot create a run folder there ({err.strerror}); "
                          "pass a writable folder") from None
    lock = RunLock.acquire(tmp, config.store.url)  # held across the rename: the same file
    try:
        config = pin_task_data(config, tmp)  # a data task's file is copied in, with its sha256 (lineage)
        parts.config = config
        paths = RunPaths(tmp)
        paths.config.write_text(dump_config(config))
        from ida.models.local import LocalModel
        from ida.models.positions import task_separators

        m0 = LocalModel.build(config.model, task.vocabulary(), seed=config.seed,
                              separators=task_separators(config.model, task))
        save_atomic(m0, paths.checkpoint(0))
        store = store or Store(paths.store)
        kill_point("startup:store")
        store.run(run_id).create_run(config.task.name, dump_config(config))
        store.close()
        kill_point("startup:built")
        run_dir = root / run_id
        tmp.rename(run_dir)
    except BaseException:
        lock.release()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    lock.path = run_dir / LOCK_FILE
    run = Run(run_dir, run_id, config, open_store(config.store, run_dir), parts, progress or RunProgress())
    run.lock = lock
    return run


def _remove_dead_startups(root: Path) -> None:
    """Temp folders of start-ups that were killed (nobody holds their lock any more)."""
    for stale in root.glob(".*.tmp"):
        if stale.is_dir() and (stale / LOCK_FILE).exists() and holder(stale) is None:
            shutil.rmtree(stale, ignore_errors=True)


def run_file(run_dir: Path, name: str = STORE) -> Path:
    """`run_dir / name`, or a RunDirError saying the folder is not a run."""
    path = Path(run_dir) / name
    if not path.is_file():
        raise RunDirError(f"{run_dir} is not a run dir (no {name}); give the folder `ida run` printed")
    return path


def read_run(run_dir: Path) -> RunRecord:
    """The run's config and store, without building its task or loading a model."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunDirError(f"{run_dir}: no such run folder" if not run_dir.exists() else
                          f"{run_dir}: is a file, not a run folder")
    paths = RunPaths(run_dir)
    config = load_config(run_file(run_dir, paths.config.name))
    store = open_store(config.store, run_dir)
    try:
        run_id = store.run_row()["id"]
    except BaseException:
        store.close()
        raise
    return RunRecord(run_dir, run_id, config, store)


def open_run(run_dir: Path, progress: RunProgress | None = None, lock: RunLock | None = None) -> Run:
    """The run again, to continue it (`execute` takes its lock if `lock` is not given)."""
    record = read_run(run_dir)
    try:
        parts = build_parts(record.config, record.dir)
    except BaseException:
        record.store.close()
        raise
    run = Run(record.dir, record.id, record.config, record.store, parts, progress or RunProgress())
    run.lock = lock
    return run


def status(record: RunRecord) -> tuple[str, str | None]:
    """The run's status and its reason; a run stored `running` whose writer is gone (nobody holds its lock) is
    `interrupted`."""
    stored = record.records.run_row()["status"]
    if stored == "running" and holder(record.dir, record.config.store.url) is None:
        return "interrupted", "its writer stopped (killed or crashed) mid-run; `ida resume` continues it"
    return stored, record.records.status_reason()


def _slug(name: str) -> str:
    """A task name fit for a folder name (an import path's attribute, without odd characters)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name.rpartition(":")[2]).strip("._") or "task"


def save_atomic(model: LocalModel | AdapterCheckpoint, out: Path) -> str:
    """Save into a temp dir unique to this writer, then rename, so a kill mid-save never leaves a half checkpoint
    at `out`; temp dirs of writers that are gone are removed first."""
    remove_stale_temps(out.parent, out.name)
    tmp = temp_path(out)
    try:
        digest = model.save(tmp)
        shutil.rmtree(out, ignore_errors=True)
        kill_point(f"checkpoint:{out.parent.name}:swap")
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return digest
