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

from ida.amplifiers import Amplifier, phase_record, preflight
from ida.config import DistillConfig, RunConfig, dump_config, load_config
from ida.distill.data import Example, read_jsonl, supervised_examples, write_jsonl
from ida.distill.teachers import amplified_prompt, teacher_checkpoint
from ida.distill.trainer import needs_teacher, supervised, train
from ida.evaluate import evaluate_amplified, evaluate_student, is_right
from ida.models.checkpoint import AdapterCheckpoint
from ida.models.local import LocalModel
from ida.progress import RunProgress
from ida.review import review_examples
from ida.review_human import UNREVIEWED, human_review
from ida.safety import (check_safety_unchanged, inject_diversity, monitor_phase, promotion_held, signoffs,
                        wait_for_signoff)
from ida.store import Store
from ida.tasks import Task, make_task
from ida.tasks.answers import lenient_answers

PHASES = ("amplify", "review", "distill", "evaluate", "monitor", "promote")
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
                               batch_size=m.answer_batch_size, cfg=m)

    def phase_done(self, cycle: int, phase: str) -> dict | None:
        return self.store.phase_result(self.id, cycle, phase)


def start_run(config: RunConfig, runs_root: Path, progress: RunProgress | None = None) -> Run:
    """Create `runs_root/<run id>/` with its config, store and M_0."""
    run_id = f"{config.task.name}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"
    task = build_task(config)
    preflight(config, task)  # a config this task cannot run fails here, before the run dir exists
    run_dir = Path(runs_root) / run_id
    run_dir.mkdir(parents=True)
    (run_dir / "config.yaml").write_text(dump_config(config))
    model = LocalModel.build(config.model, task.vocabulary(), seed=config.seed)
    save_atomic(model, run_dir / "cycle-0" / "checkpoint")
    store = Store(run_dir / "ida.sqlite")
    store.create_run(run_id, config.task.name, dump_config(config))
    return Run(run_dir, run_id, config, task, store, progress or RunProgress())


def open_run(run_dir: Path, progress: RunProgress | None = None) -> Run:
    run_dir = Path(run_dir)
    if not (run_dir / "ida.sqlite").exists():
        raise FileNotFoundError(f"{run_dir} is not a run dir (no ida.sqlite)")
    config = load_config(run_dir / "config.yaml")
    store = Store(run_dir / "ida.sqlite")
    return Run(run_dir, store.run()["id"], config, build_task(config), store, progress or RunProgress())


def build_task(config: RunConfig) -> Task:
    t = config.task
    task = make_task(t.name, form=t.form, seed=t.seed, **t.params)
    if config.model.pretrained is not None:
        lenient_answers(task)  # a pretrained LM's "The answer is 17." scores as 17 where the task allows it
    return task


def execute(run: Run, wait: bool = False, poll_s: float = 2.0) -> str:
    """Run (or continue) every cycle, then the baseline; marks the run finished and returns its status. A cycle
    with a tripped wire pauses the run: returns "paused" (with `wait`: blocks until an admin signs off)."""
    check_safety_unchanged(run.config, run.store, run.id, run.dir / "config.yaml")
    run.store.set_status(run.id, "running")
    for cycle in range(1, run.config.max_cycles + 1):
        while not run_cycle(run, cycle):
            if not wait:
                return "paused"
            wait_for_signoff(run, cycle, poll_s)
    if run.config.eval.baseline and not run.phase_done(BASELINE_CYCLE, "baseline"):
        run_baseline(run)
    run.store.set_status(run.id, "finished")
    return "finished"


def run_cycle(run: Run, cycle: int) -> bool:
    """The cycle's phases not done yet; False when its promotion is held by alerts nobody signed off."""
    steps = {"amplify": amplify_phase, "review": review_phase, "distill": distill_phase,
             "evaluate": evaluate_phase, "monitor": monitor_phase, "promote": promote_phase}
    for phase in PHASES:
        if run.phase_done(cycle, phase) is None and steps[phase](run, cycle) is False:
            return False
    return True


def amplify_phase(run: Run, cycle: int) -> None:
    start = time.perf_counter()
    model = run.load_model(run.checkpoint(cycle - 1), f"M{cycle - 1}")
    questions = run.task.questions("train")
    with Amplifier(run.config.amplify, run.task, model, filter_unsure=True) as amp, \
            run.progress.phase(f"cycle {cycle} · amplify", total=None) as bar:
        amp.take_usage()  # usage is counted per cycle
        examples = amp.amplify(questions,
                               on_wave=lambda w: bar.update(info=f"wave {w.wave}, {w.live_graphs} graphs live"))
        vocabulary = None if run.config.model.pretrained else set(model.tokenizer.get_vocab())
        extra, metrics, events = phase_record(amp, examples, vocabulary, run.id, cycle, "amplify")
    rows = [{"question_id": e.question.id, "difficulty": e.question.difficulty, "prompt": e.question.prompt,
             "answer": e.answer, "true_answer": run.task.true_answer(e.question), "graph": e.graph.to_json(),
             "provenance": {**e.provenance, "error": e.error}} for e in examples]
    right = sum(is_right(run.task, e.question, e.answer) for e in examples)
    result = {"examples": len(rows), "usable": sum(e.usable for e in examples),
              "failed": sum(e.answer is None for e in examples), "targets_right": right,
              "seconds": time.perf_counter() - start, **extra}
    run.store.finish_phase(run.id, cycle, "amplify", result, metrics=metrics, examples=rows, also=events)


def review_phase(run: Run, cycle: int) -> None:
    start = time.perf_counter()
    by_id = {q.id: q for q in run.task.questions("train")}
    rows = run.store.examples(run.id, cycle)
    items = [(by_id[r["question_id"]], r["answer"]) for r in rows]
    seed = run.config.seed * 7919 + cycle
    if run.config.review.policy == "human":
        reviews, extra = human_review(run.store, run.id, cycle, rows, run.config.review, seed, run.progress,
                                      app_hint=f"ida review {run.dir}")
    else:
        reviews, extra = review_examples(items, run.task, run.config.review, seed=seed), {}
    verdicts = {r.question_id: r for r in reviews}
    graphs = {r["question_id"]: r.get("graph") for r in rows}
    dataset = [Example(by_id[qid].prompt, r.target, qid, by_id[qid].difficulty,
                       teacher_prompt=amplified_prompt(graphs[qid], by_id[qid].prompt) if graphs.get(qid) else None)
               for qid, r in verdicts.items() if r.verdict != "reject" and r.target is not None]
    dataset, diversity = inject_diversity(run, cycle, dataset)
    path = run.dir / f"cycle-{cycle}" / "dataset.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = write_jsonl(dataset, path)
    updates = [{**r, "verdict": verdicts[r["question_id"]].verdict if r["question_id"] in verdicts else None,
                "target": verdicts[r["question_id"]].target if r["question_id"] in verdicts else None}
               for r in rows]
    counts = {v: sum(r.verdict == v and r.reviewer != UNREVIEWED for r in reviews)
              for v in ("accept", "edit", "reject")}
    result = {**counts, "train_examples": len(dataset), "dataset_sha256": digest, "policy": run.config.review.policy,
              "diversity": diversity, "seconds": time.perf_counter() - start, **extra}
    run.store.finish_phase(run.id, cycle, "review", result, examples=updates)


def distill_phase(run: Run, cycle: int) -> None:
    cfg = run.config
    if cfg.distill.init == "fresh" and cfg.model.pretrained is not None:
        model = run.load_model(run.checkpoint(0), "M0")  # fresh for a pretrained student: back to M_0
    elif cfg.distill.init == "fresh":
        model = LocalModel.build(cfg.model, run.task.vocabulary(), seed=cfg.seed * 10007 + cycle)
    else:
        model = run.load_model(run.checkpoint(cycle - 1), f"M{cycle - 1}")
    dataset = read_jsonl(run.dir / f"cycle-{cycle}" / "dataset.jsonl")
    teacher = None
    if needs_teacher(cfg.distill):  # kd / on_policy: a frozen M_n (amplified) or an anchor checkpoint
        teacher = run.load_model(teacher_checkpoint(cfg.distill.teacher, run.checkpoint, cycle), "teacher").model
    result = _train_and_save(run, model, dataset, cfg.distill.steps, seed=cfg.seed * 10007 + cycle,
                             out=run.checkpoint(cycle), label=f"cycle {cycle} · distill", teacher=teacher)
    run.store.finish_phase(run.id, cycle, "distill", result, metrics={"train_loss": {"final": result["final_loss"]}})


def _train_and_save(run: Run, model: LocalModel, dataset: list[Example], steps: int, seed: int, out: Path,
                    label: str, teacher=None, distill: DistillConfig | None = None) -> dict:
    with run.progress.phase(label, total=steps) as bar:
        trained = train(model.model, model.tokenizer, dataset, distill or run.config.distill, seed=seed,
                        steps=steps, on_step=lambda s, loss: bar.update(completed=s, info=f"loss {loss:.3f}"),
                        teacher=teacher)
    saved = model if trained.adapter is None else AdapterCheckpoint(trained.adapter, model.tokenizer, model.path, out)
    digest = save_atomic(saved, out)
    return {"train_steps": trained.steps, "train_examples": len(dataset), "final_loss": trained.final_loss,
            "checkpoint_sha256": digest, "seconds": trained.seconds}


def evaluate_phase(run: Run, cycle: int) -> None:
    start = time.perf_counter()
    model = run.load_model(run.checkpoint(cycle), f"M{cycle}")
    questions = run.task.questions("eval")
    with run.progress.phase(f"cycle {cycle} · evaluate", total=None):
        metrics = {"student": evaluate_student(run.task, model, questions)}
        result, events = {}, None
        if run.config.eval.amplified:
            with Amplifier(run.config.amplify, run.task, model) as amp:
                amp.take_usage()
                metrics["amplified"] = evaluate_amplified(run.task, questions, amp)
                if run.config.amplify.answerer.kind != "local" or run.config.amplify.decomposer != "task":
                    result, more, events = phase_record(amp, [], set(), run.id, cycle, "evaluate")
                    metrics.update(more)
    run.store.finish_phase(run.id, cycle, "evaluate", {**result, "seconds": time.perf_counter() - start},
                           metrics=metrics, also=events)


def promote_phase(run: Run, cycle: int) -> bool:
    if promotion_held(run, cycle):
        return False
    signed = [{"by": s["signed_by"], "note": s["note"]} for s in signoffs(run.store, run.id, cycle)]
    run.store.finish_phase(run.id, cycle, "promote", {"promoted": True, "checkpoint": str(run.checkpoint(cycle)),
                                                      **({"signed_off": signed} if signed else {})})
    accuracies = run.store.metrics(run.id, "student").get(cycle, {}).get("student", {})
    hardest = max(accuracies, key=int) if accuracies else None
    if hardest is not None:
        run.progress.log(f"cycle {cycle}: M_{cycle} promoted; student accuracy at difficulty {hardest}: "
                         f"{accuracies[hardest]:.2f}")
    return True


def run_baseline(run: Run) -> None:
    """Supervised learning on true answers with (by default) as many steps as the whole IDA run."""
    cfg = run.config
    steps = cfg.eval.baseline_steps or cfg.max_cycles * cfg.distill.steps
    model = run.load_model(run.checkpoint(0), "M0")
    dataset = supervised_examples(run.task, run.task.questions("train"))
    result = _train_and_save(run, model, dataset, steps, seed=cfg.seed * 10007 + 99991,
                             out=run.dir / "baseline" / "checkpoint", label="baseline · supervised",
                             distill=supervised(cfg.distill))
    trained = run.load_model(run.dir / "baseline" / "checkpoint", "supervised")
    accuracy = evaluate_student(run.task, trained, run.task.questions("eval"))
    run.store.finish_phase(run.id, BASELINE_CYCLE, "baseline", result, metrics={"supervised": accuracy})


def save_atomic(model: LocalModel | AdapterCheckpoint, out: Path) -> str:
    """Save into a temp dir then rename, so a kill mid-save never leaves a half checkpoint at `out`."""
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    digest = model.save(tmp)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return digest
