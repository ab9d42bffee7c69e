"""The IDA loop: cycles of amplify -> review -> distill -> evaluate -> promote, then the supervised baseline.

Each phase writes its result to the store (in one transaction with its examples and metrics) before the next
phase starts, and reads its inputs from disk, so `resume` after a SIGKILL repeats at most the phase that was
cut off and gives the same numbers. Cycle n distills M_n from Amp(H, M_{n-1}); M_0 is the fresh student.

CPU-sized run (the embedded default, about two minutes on two cores):  `ida run`
"""

from __future__ import annotations

import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from ida.amplify import amplify
from ida.config import RunConfig, dump_config, validate
from ida.distill.data import Example, read_jsonl, write_jsonl
from ida.distill.trainer import train
from ida.evaluate import evaluate_amplified, evaluate_student
from ida.models.local import LocalModel
from ida.progress import RunProgress
from ida.review import review_examples
from ida.store import Store
from ida.tasks import Question, Task, make_task

PHASES = ("amplify", "review", "distill", "evaluate", "promote")
BASELINE_CYCLE = 0  # the supervised baseline's phase and metrics are kept under cycle 0


@dataclass
class Run:
    """An open run dir: its config, task, store and progress display."""

    dir: Path
    id: str
    config: RunConfig
    task: Task
    store: Store
    progress: RunProgress

    def checkpoint(self, cycle: int) -> Path:
        return self.dir / f"cycle-{cycle}" / "checkpoint"

    def load_model(self, path: Path, version: str) -> LocalModel:
        m = self.config.model
        return LocalModel.load(path, version=version, max_answer_tokens=m.max_answer_tokens,
                               batch_size=m.answer_batch_size)

    def phase_done(self, cycle: int, phase: str) -> dict | None:
        return self.store.phase_result(self.id, cycle, phase)


def start_run(config: RunConfig, runs_root: Path, progress: RunProgress | None = None) -> Run:
    """Create `runs_root/<run id>/` with its config, store and M_0."""
    run_id = f"{config.task.name}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"
    run_dir = Path(runs_root) / run_id
    run_dir.mkdir(parents=True)
    (run_dir / "config.yaml").write_text(dump_config(config))
    task = build_task(config)
    model = LocalModel.build(config.model, task.vocabulary(), seed=config.seed)
    save_atomic(model, run_dir / "cycle-0" / "checkpoint")
    store = Store(run_dir / "ida.sqlite")
    store.create_run(run_id, config.task.name, dump_config(config))
    return Run(run_dir, run_id, config, task, store, progress or RunProgress())


def open_run(run_dir: Path, progress: RunProgress | None = None) -> Run:
    run_dir = Path(run_dir)
    if not (run_dir / "ida.sqlite").exists():
        raise FileNotFoundError(f"{run_dir} is not a run dir (no ida.sqlite)")
    import yaml

    config = validate(yaml.safe_load((run_dir / "config.yaml").read_text()))
    store = Store(run_dir / "ida.sqlite")
    return Run(run_dir, store.run()["id"], config, build_task(config), store, progress or RunProgress())


def build_task(config: RunConfig) -> Task:
    t = config.task
    return make_task(t.name, form=t.form, seed=t.seed, **t.params)


def execute(run: Run) -> None:
    """Run (or continue) every cycle, then the baseline; marks the run finished."""
    run.store.set_status(run.id, "running")
    for cycle in range(1, run.config.max_cycles + 1):
        run_cycle(run, cycle)
    if run.config.eval.baseline and not run.phase_done(BASELINE_CYCLE, "baseline"):
        run_baseline(run)
    run.store.set_status(run.id, "finished")


def run_cycle(run: Run, cycle: int) -> None:
    steps = {"amplify": amplify_phase, "review": review_phase, "distill": distill_phase,
             "evaluate": evaluate_phase, "promote": promote_phase}
    for phase in PHASES:
        if run.phase_done(cycle, phase) is None:
            steps[phase](run, cycle)


def amplify_phase(run: Run, cycle: int) -> None:
    start = time.perf_counter()
    model = run.load_model(run.checkpoint(cycle - 1), f"M{cycle - 1}")
    questions = run.task.questions("train")
    with run.progress.phase(f"cycle {cycle} · amplify", total=None) as bar:
        examples = amplify(run.task, questions, model, run.config.amplify,
                           on_wave=lambda w: bar.update(info=f"wave {w.wave}, {w.live_graphs} graphs live"))
    rows = [{"question_id": e.question.id, "difficulty": e.question.difficulty, "prompt": e.question.prompt,
             "answer": e.answer, "true_answer": run.task.true_answer(e.question), "graph": e.graph.to_json(),
             "provenance": {**e.provenance, "error": e.error}} for e in examples]
    right = sum(r["answer"] == r["true_answer"] for r in rows)
    result = {"examples": len(rows), "usable": sum(e.usable for e in examples),
              "failed": sum(e.answer is None for e in examples), "targets_right": right,
              "seconds": time.perf_counter() - start}
    run.store.finish_phase(run.id, cycle, "amplify", result, examples=rows)


def review_phase(run: Run, cycle: int) -> None:
    start = time.perf_counter()
    by_id = {q.id: q for q in run.task.questions("train")}
    rows = run.store.examples(run.id, cycle)
    items = [(by_id[r["question_id"]], r["answer"]) for r in rows]
    reviews = review_examples(items, run.task, run.config.review, seed=run.config.seed * 7919 + cycle)
    verdicts = {r.question_id: r for r in reviews}
    dataset = [Example(by_id[qid].prompt, r.target, qid, by_id[qid].difficulty)
               for qid, r in verdicts.items() if r.verdict != "reject" and r.target is not None]
    path = run.dir / f"cycle-{cycle}" / "dataset.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = write_jsonl(dataset, path)
    updates = [{**r, "verdict": verdicts[r["question_id"]].verdict if r["question_id"] in verdicts else None,
                "target": verdicts[r["question_id"]].target if r["question_id"] in verdicts else None}
               for r in rows]
    counts = {v: sum(r.verdict == v for r in reviews) for v in ("accept", "edit", "reject")}
    result = {**counts, "train_examples": len(dataset), "dataset_sha256": digest, "policy": run.config.review.policy,
              "seconds": time.perf_counter() - start}
    run.store.finish_phase(run.id, cycle, "review", result, examples=updates)


def distill_phase(run: Run, cycle: int) -> None:
    cfg = run.config
    if cfg.distill.init == "fresh":
        model = LocalModel.build(cfg.model, run.task.vocabulary(), seed=cfg.seed * 10007 + cycle)
    else:
        model = run.load_model(run.checkpoint(cycle - 1), f"M{cycle - 1}")
    dataset = read_jsonl(run.dir / f"cycle-{cycle}" / "dataset.jsonl")
    result = _train_and_save(run, model, dataset, cfg.distill.steps, seed=cfg.seed * 10007 + cycle,
                             out=run.checkpoint(cycle), label=f"cycle {cycle} · distill")
    run.store.finish_phase(run.id, cycle, "distill", result, metrics={"train_loss": {"final": result["final_loss"]}})


def _train_and_save(run: Run, model: LocalModel, dataset: list[Example], steps: int, seed: int, out: Path,
                    label: str) -> dict:
    with run.progress.phase(label, total=steps) as bar:
        trained = train(model.model, model.tokenizer, dataset, run.config.distill, seed=seed, steps=steps,
                        on_step=lambda s, loss: bar.update(completed=s, info=f"loss {loss:.3f}"))
    digest = save_atomic(model, out)
    return {"train_steps": trained.steps, "train_examples": len(dataset), "final_loss": trained.final_loss,
            "checkpoint_sha256": digest, "seconds": trained.seconds}


def evaluate_phase(run: Run, cycle: int) -> None:
    start = time.perf_counter()
    model = run.load_model(run.checkpoint(cycle), f"M{cycle}")
    questions = run.task.questions("eval")
    with run.progress.phase(f"cycle {cycle} · evaluate", total=None):
        metrics = {"student": evaluate_student(run.task, model, questions)}
        if run.config.eval.amplified:
            metrics["amplified"] = evaluate_amplified(run.task, model, questions, run.config.amplify)
    run.store.finish_phase(run.id, cycle, "evaluate", {"seconds": time.perf_counter() - start}, metrics=metrics)


def promote_phase(run: Run, cycle: int) -> None:
    run.store.finish_phase(run.id, cycle, "promote", {"promoted": True, "checkpoint": str(run.checkpoint(cycle))})
    accuracies = run.store.metrics(run.id, "student").get(cycle, {}).get("student", {})
    hardest = max(accuracies, key=int) if accuracies else None
    if hardest is not None:
        run.progress.log(f"cycle {cycle}: M_{cycle} promoted; student accuracy at difficulty {hardest}: "
                         f"{accuracies[hardest]:.2f}")


def supervised_examples(task: Task, questions: list[Question]) -> list[Example]:
    """The baseline's training set: the same train questions with their true answers."""
    return [Example(q.prompt, task.true_answer(q), q.id, q.difficulty) for q in questions]


def run_baseline(run: Run) -> None:
    """Supervised learning on true answers with (by default) as many steps as the whole IDA run."""
    cfg = run.config
    steps = cfg.eval.baseline_steps or cfg.max_cycles * cfg.distill.steps
    model = run.load_model(run.checkpoint(0), "M0")
    dataset = supervised_examples(run.task, run.task.questions("train"))
    result = _train_and_save(run, model, dataset, steps, seed=cfg.seed * 10007 + 99991,
                             out=run.dir / "baseline" / "checkpoint", label="baseline · supervised")
    trained = run.load_model(run.dir / "baseline" / "checkpoint", "supervised")
    accuracy = evaluate_student(run.task, trained, run.task.questions("eval"))
    run.store.finish_phase(run.id, BASELINE_CYCLE, "baseline", result, metrics={"supervised": accuracy})


def save_atomic(model: LocalModel, out: Path) -> str:
    """Save into a temp dir then rename, so a kill mid-save never leaves a half checkpoint at `out`."""
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    digest = model.save(tmp)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return digest
