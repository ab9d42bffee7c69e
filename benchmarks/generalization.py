"""Generalization, not memorization: on multi-digit addition (held-out eval questions, eval lengths beyond the
trained ones), IDA against self-improvement by majority vote against supervised learning on true answers, with
the same steps per cycle and the same total steps for each, side by side in one run (three processes of one thread).

    python benchmarks/generalization.py                  # the README's sizes: about 6 min on 2 idle cores
    python benchmarks/generalization.py --max-digits 4 --eval-max-digits 6 --cycles 6 --steps 800

- IDA: H halves each sum (`split: halve`), M_n answers the halves, `amplify.min_confidence` filters targets built
  on unsure subanswers; M_(n+1) is distilled from Amp(H, M_n).
- self-improvement: `amplify.decomposer: direct` with `amplify.vote` (k samples of the student's own answer, the
  majority becomes the target when enough agree) and `amplify.leaves_by_h` (H answers one-digit sums, as in IDA:
  both loops start from the same knowledge).
- supervised: the true answers of the same train questions, trained in the same chunks of steps (a fresh optimiser
  per chunk, as a cycle has), evaluated after each chunk.

Printed per method: the frontier after each cycle (largest length at >= 90% with every shorter one), accuracy at
the hardest trained length, mean accuracy beyond it (extrapolation), and the ratios to supervised.
Goal (issue 14): IDA/supervised >= 0.95 at the hardest trained length.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import platform
import tempfile
import time
from pathlib import Path

ARMS = ("IDA", "self-improvement (vote)", "supervised")


def base_overrides(a: argparse.Namespace) -> list[str]:
    return ["task.name=addition", f"task.params={{max_digits: {a.max_digits}, eval_max_digits: {a.eval_max_digits}, "
            f"n_train: {a.n_train}, eval_per_difficulty: {a.eval_per_difficulty}, split: halve}}",
            f"model.max_answer_tokens={a.eval_max_digits + 1}", f"model.n_embd={a.n_embd}",
            f"max_cycles={a.cycles}", f"distill.steps={a.steps}", "distill.stop_when_fit=false", f"distill.lr={a.lr}",
            f"distill.batch_size={a.batch_size}", "eval.baseline=false", "safety.probe_size=16",
            "safety.retention_size=16", *a.extra]


ARM_OVERRIDES = {
    "IDA": ["amplify.min_confidence=0.9"],
    "self-improvement (vote)": ["amplify.decomposer=direct", "amplify.leaves_by_h=true"],
}


def run_arm(arm: str, args: argparse.Namespace, root: str) -> dict:
    import torch

    torch.set_num_threads(1)
    from ida.config import load_config
    from ida.cycle import execute
    from ida.run import start_run
    from ida.evaluate import evaluate_student, frontier
    from ida.progress import RunProgress
    from ida.reporting.capability import build_report

    start = time.perf_counter()
    overrides = base_overrides(args) + ARM_OVERRIDES.get(arm, [])
    if arm == "self-improvement (vote)":
        overrides.append(f"amplify.vote={{samples: {args.vote_samples}, temperature: {args.vote_temperature}, "
                         f"min_agreement: {args.min_agreement}}}")
    config = load_config(None, overrides)
    if arm != "supervised":
        run = start_run(config, Path(root), RunProgress(quiet=True))
        execute(run)
        cycles = [c["student"] for c in build_report(run.dir)["cycles"]]
    else:
        from ida.run import build_task
        from ida.distill.data import supervised_examples
        from ida.distill.trainer import supervised, train
        from ida.models.local import LocalModel

        task = build_task(config)
        model = LocalModel.build(config.model, task.vocabulary(), seed=config.seed)
        data = supervised_examples(task, task.questions("train"))
        cycles = []
        for cycle in range(1, config.max_cycles + 1):
            train(model.model, model.tokenizer, data, supervised(config.distill), seed=config.seed * 10007 + cycle)
            acc = evaluate_student(task, model, task.questions("eval"))
            cycles.append({str(k): v for k, v in acc.items()})
    return {"arm": arm, "frontiers": [frontier(c) for c in cycles], "last": cycles[-1],
            "seconds": time.perf_counter() - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-digits", type=int, default=3, help="longest trained length")
    parser.add_argument("--eval-max-digits", type=int, default=5, help="longest eval length (extrapolation above)")
    parser.add_argument("--cycles", type=int, default=5)
    parser.add_argument("--steps", type=int, default=700, help="distillation steps per cycle (each method)")
    parser.add_argument("--n-train", type=int, default=10000)
    parser.add_argument("--eval-per-difficulty", type=int, default=32)
    parser.add_argument("--n-embd", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.001)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--vote-samples", type=int, default=4)
    parser.add_argument("--vote-temperature", type=float, default=1.0)
    parser.add_argument("--min-agreement", type=float, default=0.75)
    parser.add_argument("--set", dest="extra", action="append", default=[], help="extra override for every arm")
    args = parser.parse_args()
    print(f"# generalization · {platform.machine()} · addition, trained lengths 1..{args.max_digits}, eval "
          f"1..{args.eval_max_digits} ({args.eval_per_difficulty} held-out questions each) · {args.cycles} cycles x "
          f"{args.steps} steps for each method · 2x{args.n_embd} GPT-2, lr {args.lr}, batch {args.batch_size}")
    hardest = str(args.max_digits)
    beyond = [str(d) for d in range(args.max_digits + 1, args.eval_max_digits + 1)]
    print(f"| method | frontier per cycle | acc. at {hardest} digits | acc. beyond (extrapolation) | s |")
    print("|---|---|---|---|---|", flush=True)
    by_arm = {}
    with tempfile.TemporaryDirectory() as tmp, mp.get_context("spawn").Pool(len(ARMS)) as pool:
        for r in pool.imap_unordered(_run_arm, [(arm, args, tmp) for arm in ARMS]):
            by_arm[r["arm"]] = r
            extra = sum(r["last"][d] for d in beyond) / len(beyond) if beyond else float("nan")
            print(f"| {r['arm']} | {', '.join(map(str, r['frontiers']))} | {r['last'][hardest]:.2f} | {extra:.2f} | "
                  f"{r['seconds']:.0f} |", flush=True)
    supervised = by_arm["supervised"]["last"][hardest]
    for arm in ARMS[:2]:
        acc = by_arm[arm]["last"][hardest]
        ratio = f"{acc / supervised:.2f}" if supervised else "undefined (supervised 0.00)"
        print(f"{arm}/supervised at {hardest} digits: {ratio}")


def _run_arm(item: tuple) -> dict:
    return run_arm(*item)

if __name__ == "__main__":
    main()
