"""`Run`: an open run dir — its config, task, store and progress display — and how one is started or opened.

    run = start_run(load_config(), Path("runs"))   # creates runs/<id>/ with config.yaml, ida.sqlite and M_0
    run = open_run(Path("runs/<id>"))              # the same run again (resume)
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
from ida.config import RunConfig, dump_config, load_config
from ida.plugins import check_plugins
from ida.progress import RunProgress
from ida.review.policies import ReviewPolicy, make_review_policy
from ida.store import ExampleRow, Store
from ida.tasks import Task, check_questions, make_task
from ida.tasks.lineage import pin_task_data, task_params

if TYPE_CHECKING:
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

    def __post_init__(self) -> None:
        self.review_policy = make_review_policy(self.config.review)

    def checkpoint(self, cycle: int) -> Path:
        return self.dir / f"cycle-{cycle}" / "checkpoint"

    def load_model(self, path: Path, version: str) -> LocalModel:
        from ida.models.local import LocalModel

        m = self.config.model
        return LocalModel.load(path, version=version, max_answer_tokens=m.max_answer_tokens,
                               batch_size=m.answer_batch_size)

    def build_model(self, seed: int) -> LocalModel:
        """A fresh student of the config's architecture over the task's vocabulary."""
        from ida.models.local import LocalModel

        return LocalModel.build(self.config.model, self.task.vocabulary(), seed=seed)

    def phase_done(self, cycle: int, phase: str) -> dict | None:
        return self.store.phase_result(self.id, cycle, phase)


def start_run(config: RunConfig, runs_root: Path, progress: RunProgress | None = None) -> Run:
    """Create `runs_root/<run id>/` with its config, store and M_0. Every plug-in is resolved and checked against
    its protocol first (ValueError naming the field), so a bad one leaves nothing on disk."""
    check_plugins(config)
    task = build_task(config)
    preflight(config, task)  # a config this task cannot run fails here, before the run dir exists
    make_review_policy(config.review)
    run_id = f"{_slug(getattr(task, 'name', '') or config.task.name)}-{time.strftime('%Y%m%d-%H%M%S')}-" \
             f"{secrets.token_hex(2)}"
    run_dir = Path(runs_root) / run_id
    run_dir.mkdir(parents=True)
    config = pin_task_data(config, run_dir)  # a data task's file is copied in, with its sha256 (lineage)
    (run_dir / "config.yaml").write_text(dump_config(config))
    from ida.models.local import LocalModel

    save_atomic(LocalModel.build(config.model, task.vocabulary(), seed=config.seed), run_dir / "cycle-0" / "checkpoint")
    store = Store(run_dir / "ida.sqlite")
    store.create_run(run_id, config.task.name, dump_config(config))
    return Run(run_dir, run_id, config, store, task, progress or RunProgress())


def read_run(run_dir: Path) -> RunRecord:
    """The run's config and store, without building its task or loading a model."""
    run_dir = Path(run_dir)
    if not (run_dir / "ida.sqlite").exists():
        raise FileNotFoundError(f"{run_dir} is not a run dir (no ida.sqlite)")
    config = load_config(run_dir / "config.yaml")
    store = Store(run_dir / "ida.sqlite")
    return RunRecord(run_dir, store.run()["id"], config, store)


def open_run(run_dir: Path, progress: RunProgress | None = None) -> Run:
    record = read_run(run_dir)
    return Run(record.dir, record.id, record.config, record.store, build_task(record.config, record.dir),
               progress or RunProgress())


def build_task(config: RunConfig, run_dir: Path | None = None) -> Task:
    """The config's task, its questions checked (unique ids, known difficulties; PluginError naming the task)."""
    t = config.task
    task = make_task(t.name, form=t.form, seed=t.seed, **task_params(t, run_dir))
    check_questions(task)
    return task


def _slug(name: str) -> str:
    """A task name fit for a folder name (an import path's attribute, without odd characters)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name.rpartition(":")[2]).strip("._") or "task"


def save_atomic(model: LocalModel, out: Path) -> str:
    """Save into a temp dir then rename, so a kill mid-save never leaves a half checkpoint at `out`."""
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    digest = model.save(tmp)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return digest
