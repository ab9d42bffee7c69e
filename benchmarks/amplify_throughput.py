"""Subquestions/s of the batched `Executor` (waves + memo) against a naive node-by-node loop
(`run_sequential`: one prompt per model call, no memo), same model, same questions, measured side by side.

    python benchmarks/amplify_throughput.py            # default task: permutation, N=32, k=1..8
Goal (issue 2): at least 20x.
"""

from __future__ import annotations

import argparse
import platform
import time

import torch

from decomposition import Executor, run_sequential
from ida.config import DistillConfig, ModelConfig
from ida.distill.data import supervised_examples
from ida.distill.trainer import train
from ida.models import LocalModel
from ida.tasks import make_task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", default="permutation")
    parser.add_argument("--warmup-steps", type=int, default=300,
                        help="supervised steps first, so the model answers with parseable values and H builds "
                             "full graphs")
    args = parser.parse_args()
    task = make_task(args.task)
    model = LocalModel.build(ModelConfig(), task.vocabulary(), seed=0, version="bench")
    questions = task.questions("train")
    train(model.model, model.tokenizer, supervised_examples(task, questions),
          DistillConfig(steps=args.warmup_steps, stop_when_fit=False), seed=0)

    start = time.perf_counter()
    executor = Executor(model)
    batched = executor.run(questions, [task.decompose(q) for q in questions])
    t_batched = time.perf_counter() - start
    start = time.perf_counter()
    naive = run_sequential(model, questions, [task.decompose(q) for q in questions])
    t_naive = time.perf_counter() - start

    n_sub = sum(len(e.graph) - 1 for e in batched)
    assert [e.answer for e in batched] == [e.answer for e in naive], "both loops must give the same answers"
    print(f"# amplify_throughput · {args.task} · {len(questions)} questions · {n_sub} subquestions · "
          f"{platform.processor() or platform.machine()}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    print("| loop | seconds | subquestions/s | model calls |")
    print("|---|---|---|---|")
    print(f"| naive node-by-node (baseline) | {t_naive:.2f} | {n_sub / t_naive:.0f} | {n_sub} |")
    print(f"| Executor (waves, batched, memo) | {t_batched:.2f} | {n_sub / t_batched:.0f} | "
          f"{executor.stats.answerer_calls} |")
    print(f"speed-up: {t_naive / t_batched:.1f}x (memo hits: {executor.stats.memo_hits}/{n_sub})")


if __name__ == "__main__":
    main()
