"""Where a small review budget catches wrong targets: random vs stratified vs uncertainty sampling, side by side.

A simulated overseer reviews 10% of each cycle's reviewable examples (`review.sample_rate=0.1`; examples H
answered alone are never reviewed, unreviewed ones are trained on: `review.unreviewed=include`) on a small
default-like run (permutation in the weights, N=16 items, k=1..6, a 2x64 GPT-2, few cycles). Two figures:

1. Wrong targets caught with the same budget on the same examples: for every cycle of every run below, each
   sampling rule picks its 10% from the same stored examples; a wrong target is caught when it is in the sample
   (a clean overseer rejects it). Goal (issue 13): uncertainty catches at least 3x what random does. The row
   "best possible" spends the same budget on wrong targets only: where a cycle's targets are mostly wrong, even
   that is less than 3x random (random already finds wrong ones), so it says what the budget allowed.
2. Final accuracy with a noisy overseer (`review.error_rate`, 0.2 by default): one run per rule, the rule
   deciding who is reviewed each cycle; the student's accuracy at the end, overall and at the hardest k, and the
   wrong targets that went into training.

    python benchmarks/oversight_budget.py                       # 3 seeds x 3 rules: a few minutes on 2 cores
    python benchmarks/oversight_budget.py --cycles 2 --steps 100
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

import torch

from ida.config import load_config
from ida.cycle import execute
from ida.progress import RunProgress
from ida.reporting.capability import build_report
from ida.review.outcome import plan_review
from ida.review.policies import ReviewRequest
from ida.run import open_run, start_run

RULES = ("random", "stratified", "uncertainty")


def overrides(rule: str, args: argparse.Namespace, seed: int) -> list[str]:
    return [f"task.params={{n_items: {args.n_items}, max_k: {args.max_k}, eval_per_difficulty: 16}}",
            "model.n_layer=2", "model.n_embd=64", "model.n_head=2", f"max_cycles={args.cycles}",
            f"distill.steps={args.steps}", "distill.stop_when_fit=false", "distill.batch_size=64",
            "eval.baseline=false", "eval.amplified=false",
            "review.policy=simulated", f"review.sample_rate={args.budget}", "review.unreviewed=include",
            f"review.error_rate={args.error_rate}", f"review.sampling={rule}", f"seed={seed}"]


def caught_on_same_items(run_dir: Path, budget: float) -> dict[str, tuple[int, int, int]]:
    """Per rule: (wrong targets caught, wrong targets, sampled), summed over the run's cycles, each rule sampling
    from the same stored examples."""
    run = open_run(run_dir, RunProgress(quiet=True))
    by_id = {q.id: q for q in run.task.questions("train")}
    out = {rule: (0, 0, 0) for rule in ("best possible", *RULES)}
    for cycle in range(1, run.config.max_cycles + 1):
        rows = run.records.examples(cycle)
        wrong = {r.question_id for r in rows if r.answer not in (None, "?") and r.true_answer is not None
                 and r.answer != r.true_answer}
        request = ReviewRequest(run.store, run.id, cycle, rows, by_id, run.task, run.config.seed * 7919 + cycle,
                                RunProgress(quiet=True), "")
        for rule in RULES:
            cfg = run.config.review.model_copy(update={"sampling": rule, "sample_rate": budget})
            sampled = {r.question_id for r in plan_review(request, cfg).examples}
            c, w, s = out[rule]
            out[rule] = (c + len(sampled & wrong), w + len(wrong), s + len(sampled))
        c, w, s = out["best possible"]  # an oracle spending the same budget on wrong targets only
        out["best possible"] = (c + min(len(sampled), len(wrong)), w + len(wrong), s + len(sampled))
    run.store.close()
    return out


def final_accuracy(run_dir: Path, max_k: int) -> tuple[float, float, int]:
    """(mean student accuracy over difficulties, accuracy at the hardest k, wrong targets trained on)."""
    report = build_report(run_dir)
    last = report["cycles"][-1]["student"]
    run = open_run(run_dir, RunProgress(quiet=True))
    trained_wrong = sum((run.records.phase_result(c, "review") or {}).get("wrong_trained", 0)
                        for c in range(1, run.config.max_cycles + 1))
    run.store.close()
    return sum(last.values()) / len(last), last[str(max_k)], trained_wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=4)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--n-items", type=int, default=16)
    parser.add_argument("--max-k", type=int, default=6)
    parser.add_argument("--budget", type=float, default=0.1, help="share of reviewable examples reviewed")
    parser.add_argument("--error-rate", type=float, default=0.2, help="the noisy overseer's error rate")
    parser.add_argument("--seeds", type=int, default=3, help="runs per rule (seeds 0..n-1); counts are summed")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}; "
          f"permutation N={args.n_items} k=1..{args.max_k}, {args.cycles} cycles x {args.steps} steps, "
          f"budget {args.budget:.0%}, noisy overseer error rate {args.error_rate}, seeds 0..{args.seeds - 1}")
    caught = {rule: (0, 0, 0) for rule in ("best possible", *RULES)}
    finals: dict[str, list[tuple[float, float, int, float]]] = {rule: [] for rule in RULES}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.seeds):
            for rule in RULES:
                start = time.perf_counter()
                run = start_run(load_config(None, overrides(rule, args, seed)), Path(tmp) / f"{rule}-{seed}",
                                RunProgress(quiet=True))
                execute(run)
                run.store.close()
                for r, (c, w, s) in caught_on_same_items(run.dir, args.budget).items():
                    caught[r] = (caught[r][0] + c, caught[r][1] + w, caught[r][2] + s)
                finals[rule].append((*final_accuracy(run.dir, args.max_k), time.perf_counter() - start))
                print(f"seed {seed} · {rule}: {finals[rule][-1][3]:.0f} s", flush=True)
    print(f"\n1. wrong targets caught by the same budget on the same examples (all cycles of the "
          f"{args.seeds * len(RULES)} runs)")
    print(f"{'rule':<13} {'sampled':>8} {'wrong':>6} {'caught':>7} {'share of wrong':>15} {'vs random':>10}")
    base = max(caught["random"][0], 1)
    for rule in (*RULES, "best possible"):
        c, w, s = caught[rule]
        print(f"{rule:<13} {s:>8} {w:>6} {c:>7} {c / max(w, 1):>15.2f} {c / base:>9.2f}x")
    ratio = caught["uncertainty"][0] / base
    print(f"uncertainty / random = {ratio:.2f}x (goal >= 3x: {'met' if ratio >= 3 else 'missed'}); "
          f"stratified / random = {caught['stratified'][0] / base:.2f}x")
    print(f"\n2. final student accuracy with a noisy overseer (error rate {args.error_rate}), {args.seeds} run(s) "
          "per rule (mean over seeds; wrong targets trained on: summed)")
    print(f"{'rule':<12} {'mean acc':>9} {'acc k=' + str(args.max_k):>9} {'wrong trained':>14} {'seconds':>8}")
    summary = {}
    for rule in RULES:
        rows = finals[rule]
        summary[rule] = (sum(r[0] for r in rows) / len(rows), sum(r[1] for r in rows) / len(rows),
                         sum(r[2] for r in rows), sum(r[3] for r in rows))
        mean, hard, wrong, secs = summary[rule]
        print(f"{rule:<12} {mean:>9.3f} {hard:>9.3f} {wrong:>14} {secs:>8.0f}")
    base_wrong = max(summary["random"][2], 1)
    print(f"wrong targets trained on, uncertainty / random = {summary['uncertainty'][2] / base_wrong:.2f}x; "
          f"final mean accuracy uncertainty - random = {summary['uncertainty'][0] - summary['random'][0]:+.3f}")


if __name__ == "__main__":
    main()
