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
from typing import TYPE_CHECKING, Any

from ida.amplify.amplifier import preflight
from ida.atomic import remove_stale_temps, temp_path
from ida.config import RunConfig, dump_config, load_config
from ida.errors import RunDirError
from ida.faults import kill_point
from ida.plugins import check_plugins
from ida.progress import RunProgress
from ida.review.policies import ReviewPolicy, make_review_policy
from ida.runlock import LOCK_FILE, RunLock, holder
from ida.store import ExampleRow, Store
from ida.tasks import Task, check_questions, make_task
from ida.tasks.answers import lenient_answers
from ida.tasks.lineage import pin_task_data, task_params

if TYPE_CHECKING:
    from ida.models.checkpoint import AdapterCheckpoint
    from ida.models.local import LocalModel

BASELINE_CYCLE = 0  # the supervised baseline's phase and metrics are kept under cycle 0


@dataclass
class RunRecord:
    """A run dir read without its task or models: what reports need."""

    dir: Path
    id: str
    config: RunConfig
    store: Store

    def metrics(self, name: str | None = None) -> dict[int, dict[str, dict[str, float]]]:
        """{cycle: {metric name: {key: value}}}, e.g. `run.metrics("student")[2]["student"]["3"]` is M_2's eval
        accuracy at difficulty 3; the supervised baseline's are under cycle 0 ("supervised")."""
        return self.store.metrics(self.id, name)

    def examples(self, cycle: int) -> list[ExampleRow]:
        """The amplified examples of `cycle`: question, Amp's answer, true answer, graph, verdict, target."""
        return self.store.examples(self.id, cycle)

    def phase_results(self) -> dict[int, dict[str, dict[str, Any]]]:
        """{cycle: {phase: its result}} of every finished phase (the baseline under cycle 0)."""
        out: dict[int, dict[str, dict[str, Any]]] = {}
        for p in self.store.phases(self.id):
            out.setdefault(p["cycle"], {})[p["phase"]] = p["result"]
        return out


@dataclass
class Run(RunRecord):
    """An open run dir: its config, task, store, progress display, and its review policy (chosen once from
    `review.policy`; a script or test may put its own `ReviewPolicy` here before `execute`)."""

    task: Task
    progress: RunProgress
    review_policy: ReviewPolicy = field(init=False)
    lock: RunLock | None = field(init=False, default=None)  # the run lock while this process writes the run

    def __post_init__(self) -> None:
        self.review_policy = make_review_policy(self.config.review)

    def checkpoint(self, cycle: int) -> Path:
        return self.dir / f"cycle-{cycle}" / "checkpoint"

    def load_model(self, path: Path, version: str) -> LocalModel:
        from ida.models.local import LocalModel

        m = self.config.model
        return LocalModel.load(path, version=version, max_answer_tokens=m.max_answer_tokens,
                               batch_size=m.answer_batch_size, cfg=m)

    def build_model(self, seed: int) -> LocalModel:
        """A fresh student of the config's architecture over the task's vocabulary; for a pretrained student,
        M_0 again (its pretrained weights are where a fresh start begins)."""
        from ida.models.local import LocalModel
        from ida.models.positions import task_separators

        if self.config.model.pretrained is not None:
            return self.load_model(self.checkpoint(0), "M0")
        return LocalModel.build(self.config.model, self.task.vocabulary(), seed=seed,
                                separators=task_separators(self.config.model, self.task))

    def phase_done(self, cycle: int, phase: str) -> dict | None:
        return self.store.phase_result(self.id, cycle, phase)


def start_run(config: RunConfig, runs_root: Path, progress: RunProgress | None = None) -> Run:
    """Create `runs_root/<run id>/` with its config, store and M_0, holding its lock. Every plug-in is resolved and
    checked against its protocol first (ValueError naming the field), so a bad one leaves nothing on disk.

    The folder is built as `runs_root/.<run id>.tmp` and renamed when complete, so a run dir under its final name
    always has its config, its run row and M_0; a kill during start-up leaves only the temp folder, which the
    next `ida run` in the same root removes."""
    check_plugins(config)
    task = build_task(config)
    preflight(config, task)  # a config this task cannot run fails here, before the run dir exists
    make_review_policy(config.review)
    run_id = f"{_slug(getattr(task, 'name', '') or config.task.name)}-{time.strftime('%Y%m%d-%H%M%S')}-" \
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
    lock = RunLock.acquire(tmp)  # held across the rename: the same file
    try:
        config = pin_task_data(config, tmp)  # a data task's file is copied in, with its sha256 (lineage)
        (tmp / "config.yaml").write_text(dump_config(config))
        from ida.models.local import LocalModel
        from ida.models.positions import task_separators

        m0 = LocalModel.build(config.model, task.vocabulary(), seed=config.seed,
                              separators=task_separators(config.model, task))
        save_atomic(m0, tmp / "cycle-0" / "checkpoint")
        store = Store(tmp / "ida.sqlite")
        kill_point("startup:store")
        store.create_run(run_id, config.task.name, dump_config(config))
        store.close()
        kill_point("startup:built")
        run_dir = root / run_id
        tmp.rename(run_dir)
    except BaseException:
        lock.release()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    lock.path = run_dir / LOCK_FILE
    run = Run(run_dir, run_id, config, Store(run_dir / "ida.sqlite"), task, progress or RunProgress())
    run.lock = lock
    return run


def _remove_dead_startups(root: Path) -> None:
    """Temp folders of start-ups that were killed (nobody holds their lock any more)."""
    for stale in root.glob(".*.tmp"):
        if stale.is_dir() and (stale / LOCK_FILE).exists() and holder(stale) is None:
            shutil.rmtree(stale, ignore_errors=True)


def run_file(run_dir: Path, name: str = "ida.sqlite") -> Path:
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
    config = load_config(run_file(run_dir, "config.yaml"))
    store = Store(run_file(run_dir, "ida.sqlite"))
    try:
        run_id = store.run()["id"]
    except BaseException:
        store.close()
        raise
    return RunRecord(run_dir, run_id, config, store)


def open_run(run_dir: Path, progress: RunProgress | None = None, lock: RunLock | None = None) -> Run:
    """The run again, to continue it (`execute` takes its lock if `lock` is not given)."""
    record = read_run(run_dir)
    run = Run(record.dir, record.id, record.config, record.store, build_task(record.config, record.dir),
              progress or RunProgress())
    run.lock = lock
    return run


def status(record: RunRecord) -> tuple[str, str | None]:
    """The run's status and its reason; a run stored `running` whose writer is gone (nobody holds its lock) is
    `interrupted`."""
    stored = record.store.run(record.id)["status"]
    if stored == "running" and holder(record.dir) is None:
        return "interrupted", "its writer stopped (killed or crashed) mid-run; `ida resume` continues it"
    return stored, record.store.status_reason(record.id)


def build_task(config: RunConfig, run_dir: Path | None = None) -> Task:
    """The config's task, its questions checked (unique ids, known difficulties; PluginError naming the task)."""
    t = config.task
    task = make_task(t.name, form=t.form, seed=t.seed, **task_params(t, run_dir))
    check_questions(task)
    if config.model.pretrained is not None:
        lenient_answers(task)  # a pretrained LM's "The answer is 17." scores as 17 where the task allows it
    return task


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
