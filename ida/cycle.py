"""The IDA loop: cycles of amplify -> review -> distill -> evaluate -> promote, then the supervised baseline.

Each phase writes its result to the store (in one transaction with its examples and metrics) before the next
phase starts, and reads its inputs from disk, so `resume` after a SIGKILL repeats at most the phase that was
cut off and gives the same numbers. Cycle n distills M_n from Amp(H, M_{n-1}); M_0 is the fresh student.

CPU-sized run (the embedded default, about two minutes on two cores):  `ida run`
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from ida.amplify import Amplifier, AmplifyContext, amplify_with_vote, phase_record
from ida.amplify.curriculum import make_curriculum, window_event
from ida.amplify.filters import apply_filters, target_filters
from ida.config import DistillConfig
from ida.distill.cache import BaselineCache, run_baseline_key
from ida.distill.diversity import inject_diversity
from ida.distill.data import Example, read_jsonl, supervised_examples, write_jsonl
from ida.distill.teachers import amplified_prompt, teacher_checkpoint
from ida.distill.trainer import needs_teacher, supervised, train
from ida.errors import EmptyPhase, one_line
from ida.evaluate import evaluate_amplified, evaluate_student
from ida.faults import kill_point
from ida.models.checkpoint import AdapterCheckpoint
from ida.models.local import LocalModel, use_threads
from ida.recovery import check_run_files
from ida.review.human import UNREVIEWED
from ida.review.outcome import provenance_counts
from ida.review.policies import ReviewRequest
from ida.results import (AmplifyResult, BaselineResult, DistillResult, EvaluateResult, FilterCount, PromoteResult,
                         ReviewResult, SignOff)
from ida.review.recompose import review_recomposer
from ida.safety import check_safety_unchanged, monitor_phase, promotion_held, signoffs, wait_for_signoff
from ida.run import BASELINE_CYCLE, Run, save_atomic
from ida.runlock import RunLock
from ida.seeds import seed_for
from ida.tasks.labels import label_free, measured_right, reference_answer

PHASES = ("amplify", "review", "distill", "evaluate", "monitor", "promote")
# Called after each phase that ran (not after those a resumed run finds done): (run, cycle, phase, its result).
PhaseHook = Callable[[Run, int, str, dict], None]


def execute(run: Run, wait: bool = False, poll_s: float = 2.0, on_phase_end: PhaseHook | None = None) -> str:
    """Run (or continue) every cycle, then the baseline; marks the run finished and returns its status. A cycle
    with a tripped wire pauses the run: returns "paused" (with `wait`: blocks until an admin signs off).

    Holds the run lock throughout (`RunLocked` when another process writes the run; the lock `start_run` took is
    used and given back at the end). An error mid-run marks the run `failed` with a one-line reason (Ctrl-C:
    `interrupted`) and is raised again; `ida resume` continues."""
    if run.lock is None:
        run.lock = RunLock.acquire(run.dir)
    try:
        check_safety_unchanged(run.config, run.records, run.paths.config)
        use_threads(run.config.model.threads)
        _note_dead_writer(run)
        check_run_files(run)
        run.records.set_status("running", pid=os.getpid())
        try:
            return _cycles(run, wait, poll_s, on_phase_end)
        except KeyboardInterrupt:
            run.records.set_status("interrupted", "stopped by Ctrl-C; `ida resume` continues it")
            raise
        except Exception as err:
            reason = one_line(err) or f"{type(err).__name__}: {err}".splitlines()[0]
            run.records.set_status("failed", reason)
            raise
    finally:
        run.lock.release()
        run.lock = None


def _note_dead_writer(run: Run) -> None:
    """A run stored `running` whose lock was free: its writer died; record that before continuing."""
    if run.records.run_row()["status"] == "running" and run.lock.previous_pid:
        run.records.set_status("interrupted", f"writer {run.lock.previous_pid} stopped mid-run",
                               pid=run.lock.previous_pid)


def _cycles(run: Run, wait: bool, poll_s: float, on_phase_end: PhaseHook | None) -> str:
    for cycle in range(1, run.config.max_cycles + 1):
        while not run_cycle(run, cycle, on_phase_end):
            if not wait:
                return "paused"
            wait_for_signoff(run, cycle, poll_s)
    if run.config.eval.baseline and not run.phase_done(BASELINE_CYCLE, "baseline"):
        kill_point(f"before:{BASELINE_CYCLE}:baseline")
        run_phase(run, BASELINE_CYCLE, "baseline", on_phase_end)
    kill_point("before:finish")
    run.records.set_status("finished")
    return "finished"


def run_cycle(run: Run, cycle: int, on_phase_end: PhaseHook | None = None) -> bool:
    """The cycle's phases not done yet; False when its promotion is held by alerts nobody signed off."""
    for phase in PHASES:
        if run.phase_done(cycle, phase) is not None:
            continue
        kill_point(f"before:{cycle}:{phase}")
        if run_phase(run, cycle, phase, on_phase_end) is False:
            return False
    return True


def run_phase(run: Run, cycle: int, phase: str, on_phase_end: PhaseHook | None = None) -> bool:
    """One phase of `cycle` (or "baseline" with cycle 0), run even if it is done already (its stored result is
    replaced); False when promotion is held. Phases read their inputs from disk, so the earlier ones must be done."""
    steps = {"amplify": amplify_phase, "review": review_phase, "distill": distill_phase,
             "evaluate": evaluate_phase, "monitor": monitor_phase, "promote": promote_phase,
             "baseline": lambda r, c: run_baseline(r)}
    if phase not in steps:
        raise ValueError(f"unknown phase {phase!r}; phases: {', '.join(steps)}")
    if steps[phase](run, cycle) is False:
        return False
    if on_phase_end is not None:
        on_phase_end(run, cycle, phase, run.records.phase_result(cycle, phase) or {})  # as stored (JSON)
    return True


def amplify_phase(run: Run, cycle: int) -> None:
    start = time.perf_counter()
    model = run.model(cycle - 1)
    task, amp_cfg, seed = label_free(run.task), run.config.amplify, seed_for(run.config.seed, "amplify", cycle)
    context = AmplifyContext(run.store, run.id, run.dir, cycle, run.config.review, seed, run.progress,
                             app_hint=f"ida review {run.dir}")
    with Amplifier(amp_cfg, task, model, filter_unsure=True, context=context) as amp, \
            run.progress.phase(f"cycle {cycle} · amplify", total=None) as bar:
        amp.take_usage()  # usage is counted per cycle
        window = make_curriculum(amp_cfg.curriculum).window(cycle, task, model, seed)
        questions = [q for q in task.questions("train") if window.contains(q)]
        bar.update(info=f"window {window.low}..{window.high}")
        examples, vote = amplify_with_vote(
            amp, questions, amp_cfg.vote, seed=seed, earlier=_earlier_models(run, cycle),
            on_wave=lambda w: bar.update(info=f"wave {w.wave}, {w.live_graphs} graphs live"))
        examples, filters = apply_filters(examples, target_filters(amp_cfg.filters, task, amp.cut))
        vocabulary = None if run.config.model.pretrained else set(model.tokenizer.get_vocab())
        extra, metrics, events = phase_record(amp, examples, vocabulary, cycle, "amplify")
    rows = [e.to_row(reference_answer(run.task, e.question)) for e in examples]  # measurement, not training
    right = sum(measured_right(run.task, e.question, e.answer) for e in examples)
    kept_by_vote = {"vote": FilterCount(kept=vote["kept"], dropped=vote["dropped"])} if vote else {}
    result = AmplifyResult(examples=len(rows), usable=sum(e.usable for e in examples),
                           failed=sum(e.answer is None for e in examples), targets_right=right,
                           seconds=time.perf_counter() - start, **extra, **({"vote": vote} if vote else {}),
                           window=window.as_dict(), filters={**kept_by_vote, **filters})
    if result.usable == 0 and run.config.cycle.on_empty == "fail":
        errors = [e.error for e in examples if e.error]
        raise EmptyPhase(f"cycle {cycle} amplify: 0 usable examples of {len(examples)}"
                         f"{f' (first error: {errors[0]})' if errors else ''}; not stored as done: fix the cause, "
                         f"then `ida resume {run.dir}` retries amplify (or set cycle.on_empty=skip)")
    run.records.finish_phase(cycle, "amplify", result.stored(), metrics=metrics, examples=rows,
                             also=window_event(events, cycle, window, filters))


def _earlier_models(run: Run, cycle: int) -> list[LocalModel]:
    """M_(n-2), M_(n-3), ... for a vote over the last `amplify.vote.models` models (none without a vote)."""
    vote = run.config.amplify.vote
    count = 0 if vote is None else min(vote.models, cycle) - 1
    return [run.model(cycle - 1 - j) for j in range(1, count + 1)]


def review_phase(run: Run, cycle: int) -> None:
    start = time.perf_counter()
    by_id = {q.id: q for q in run.task.questions("train")}
    rows = run.records.examples(cycle)
    programs, fallback = review_recomposer(run.parts, cycle, lambda: run.model(cycle - 1))
    request = ReviewRequest(run.store, run.id, cycle, rows, by_id, run.task,
                            seed=seed_for(run.config.seed, "review", cycle), progress=run.progress,
                            app_hint=f"ida review {run.dir}", programs=programs, fallback=fallback)
    reviews, extra = run.review_policy.review(request)
    verdicts = {r.question_id: r for r in reviews}
    graphs = {r.question_id: r.graph for r in rows} | {r.question_id: r.graph for r in reviews if r.graph}
    dataset = [Example(by_id[qid].prompt, r.target, qid, by_id[qid].difficulty,
                       teacher_prompt=amplified_prompt(graphs[qid], by_id[qid].prompt) if graphs.get(qid) else None,
                       provenance=r.provenance)
               for qid, r in verdicts.items() if r.verdict not in ("reject", "dropped") and r.target is not None]
    dataset, diversity = inject_diversity(dataset, run.config.safety, run.task,
                                          [run.paths.dataset(c) for c in range(1, cycle)],
                                          seed_for(run.config.seed, "diversity", cycle))
    if not dataset and run.config.cycle.on_empty == "fail":
        raise EmptyPhase(f"cycle {cycle} review: the dataset is empty (of {len(rows)} examples none was accepted "
                         f"with a target; review.policy={run.config.review.policy}); not stored as done: change "
                         f"review.* with `ida resume {run.dir} --set ...`, or set cycle.on_empty=skip")
    path = run.paths.dataset(cycle)
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = write_jsonl(dataset, path)
    updates = [r.reviewed(v.verdict, v.target, v.provenance) if (v := verdicts.get(r.question_id))
               else r.reviewed(None, None) for r in rows]
    counts = {v: sum(r.verdict == v and r.reviewer != UNREVIEWED for r in reviews)
              for v in ("accept", "edit", "reject")}
    result = ReviewResult(**counts, train_examples=len(dataset), dataset_sha256=digest,
                          policy=run.config.review.policy, diversity=diversity, seconds=time.perf_counter() - start,
                          **{"provenance": provenance_counts(reviews), **extra})  # a policy's own count wins
    run.records.finish_phase(cycle, "review", result.stored(), examples=updates)


def distill_phase(run: Run, cycle: int) -> None:
    cfg = run.config
    if cfg.distill.init == "fresh":
        model = run.build_model(seed=seed_for(cfg.seed, "distill", cycle))
    else:
        model = run.load_model(run.checkpoint(cycle - 1), f"M{cycle - 1}")
    dataset = read_jsonl(run.paths.dataset(cycle))
    if not dataset:
        return _keep_previous(run, cycle)
    teacher = None
    if needs_teacher(cfg.distill):  # kd / on_policy: a frozen M_n (amplified) or an anchor checkpoint
        teacher = run.load_model(teacher_checkpoint(cfg.distill.teacher, run.checkpoint, cycle), "teacher").model
    result = _train_and_save(run, model, dataset, cfg.distill.steps, seed=seed_for(cfg.seed, "distill", cycle),
                             out=run.checkpoint(cycle), label=f"cycle {cycle} · distill", teacher=teacher)
    run.forget_model(cycle)  # a resumed cycle may have read an earlier M_cycle
    run.records.finish_phase(cycle, "distill", result.stored(),
                             metrics={"train_loss": {"final": result.final_loss}})


def _keep_previous(run: Run, cycle: int) -> None:
    """An empty dataset: with `cycle.on_empty: skip` M_n is M_(n-1) unchanged; otherwise the cycle stops here."""
    if run.config.cycle.on_empty == "fail":
        raise EmptyPhase(f"cycle {cycle} distill: {run.paths.dataset(cycle)} is empty; "
                         "nothing to train on (set cycle.on_empty=skip to keep M_(n-1) for this cycle)")
    digest = save_atomic(run.model(cycle - 1), run.checkpoint(cycle))
    run.forget_model(cycle)
    result = DistillResult(train_steps=0, train_examples=0, final_loss=None, checkpoint_sha256=digest, seconds=0.0,
                           skipped="empty dataset (cycle.on_empty: skip)")
    run.records.finish_phase(cycle, "distill", result.stored())


def _train_and_save(run: Run, model: LocalModel, dataset: list[Example], steps: int, seed: int, out: Path,
                    label: str, teacher=None, distill: DistillConfig | None = None) -> DistillResult:
    with run.progress.training(label, steps) as on_step:
        trained = train(model.model, model.tokenizer, dataset, distill or run.config.distill, seed=seed,
                        steps=steps, on_step=on_step, teacher=teacher)
    saved = model if trained.adapter is None else AdapterCheckpoint(trained.adapter, model.tokenizer, model.path, out)
    digest = save_atomic(saved, out)
    result = DistillResult(train_steps=trained.steps, train_examples=len(dataset), final_loss=trained.final_loss,
                           checkpoint_sha256=digest, seconds=trained.seconds)
    if trained.stopped_when_fit:  # distill.stop_when_fit: recorded where it changed the step count
        result.stopped_when_fit = trained.steps
    return result


def evaluate_phase(run: Run, cycle: int) -> None:
    start = time.perf_counter()
    model = run.model(cycle)
    questions = run.task.questions("eval")
    with run.progress.phase(f"cycle {cycle} · evaluate", total=None):
        metrics = {"student": evaluate_student(run.task, model, questions)}
        result, events = {}, None
        if run.config.eval.amplified:
            with Amplifier(run.config.amplify, run.task, model) as amp:
                amp.take_usage()
                metrics["amplified"] = evaluate_amplified(run.task, questions, amp)
                if not amp.plain:
                    result, more, events = phase_record(amp, [], set(), cycle, "evaluate")
                    metrics.update(more)
    stored = EvaluateResult(**result, seconds=time.perf_counter() - start).stored()
    run.records.finish_phase(cycle, "evaluate", stored, metrics=metrics, also=events)


def promote_phase(run: Run, cycle: int) -> bool:
    if promotion_held(run, cycle):
        return False
    signed = [SignOff(by=s["signed_by"], note=s["note"]) for s in signoffs(run.records, cycle)]
    result = PromoteResult(promoted=True, checkpoint=str(run.checkpoint(cycle)),
                           **({"signed_off": signed} if signed else {}))
    run.records.finish_phase(cycle, "promote", result.stored())
    accuracies = run.records.metrics("student").get(cycle, {}).get("student", {})
    hardest = max(accuracies, key=int) if accuracies else None
    if hardest is not None:
        run.progress.log(f"cycle {cycle}: M_{cycle} promoted; student accuracy at difficulty {hardest}: "
                         f"{accuracies[hardest]:.2f}")
    return True


def run_baseline(run: Run) -> None:
    """Supervised learning on true answers with (by default) as many steps as the whole IDA run; reused from the
    content-addressed cache beside the runs when an identical baseline was trained before (`ida.distill.cache`)."""
    cfg = run.config
    steps = cfg.eval.baseline_steps or cfg.max_cycles * cfg.distill.steps
    dataset = supervised_examples(run.task, run.task.questions("train"))
    seed, out, distill = seed_for(cfg.seed, "baseline"), run.paths.baseline_checkpoint, supervised(cfg.distill)
    cache = BaselineCache(run.paths.baseline_cache) if cfg.eval.baseline_cache else None
    key = run_baseline_key(run, dataset, steps, seed, distill) if cache else ""
    hit = cache.lookup(key) if cache else None
    if hit is not None:
        start = time.perf_counter()
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(hit.checkpoint, out)
        result = BaselineResult.model_validate({**hit.result, "reused_from": key,
                                                "seconds": time.perf_counter() - start})
        accuracy = hit.metrics
        run.progress.log(f"baseline: reused the identical supervised baseline {key[:12]} from the cache")
    else:
        model = run.load_model(run.checkpoint(0), "M0")
        trained_result = _train_and_save(run, model, dataset, steps, seed=seed, out=out,
                                         label="baseline · supervised", distill=distill)
        result = BaselineResult.model_validate(trained_result.stored())
        trained = run.load_model(out, "supervised")
        with run.progress.phase("baseline · evaluate", total=None):
            accuracy = evaluate_student(run.task, trained, run.task.questions("eval"))
        if cache:
            cache.store(key, out, result.stored(), {str(k): v for k, v in accuracy.items()})
    run.records.finish_phase(BASELINE_CYCLE, "baseline", result.stored(), metrics={"supervised": accuracy})

