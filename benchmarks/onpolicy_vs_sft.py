"""Gradient steps for a small student to reach 90% of a teacher's accuracy: `on_policy` (the student samples, the
frozen teacher scores its tokens, reverse KL) with each of its two estimators (`full`: the exact reverse KL over
the vocabulary at every visited state; `sampled`: the one-sample estimate of the sampled token) against `sft` on
the teacher's greedy answers, side by side in one run, same student init, questions, batch size and learning rate.

    python benchmarks/onpolicy_vs_sft.py               # CPU, a few minutes on 2 cores

The teacher is a 2x128 GPT-2 trained with SFT on the true answers of permutation powering (in-weights form); the
student a fresh, smaller GPT-2 (`--student-layers` x `--student-width`, 2x64 by default). Accuracy is greedy
exact match on the task's eval questions (true answers), checked every `--eval-every` steps. The published
claim for LLMs is 7-10x fewer steps for on-policy distillation; this prints what this harness measures, and the
wall time per step, since an on-policy step also samples. Two starts: a cold student (random init) and a warm
one (`--warm-steps` of sft on the teacher's answers first), as on-policy distillation is usually run after SFT.
"""

from __future__ import annotations

import argparse
import copy
import time
import warnings

from ida.config import DistillConfig, ModelConfig
from ida.distill.data import Example, supervised_examples
from ida.distill.trainer import train
from ida.evaluate import is_right
from ida.models import LocalModel
from ida.tasks import make_task


RUNS = (("sft", "sft", "full"), ("on_policy (full)", "on_policy", "full"),
        ("on_policy (sampled)", "on_policy", "sampled"))  # (label, objective, on_policy estimator)


class Reached(Exception):
    """Raised from the step callback once the student reaches the target accuracy."""


def accuracy(task, model: LocalModel, questions) -> float:
    answers = model.answer([q.prompt for q in questions])
    return sum(is_right(task, q, None if a.failed else a.text) for a, q in zip(answers, questions)) / len(questions)


def steps_to_target(objective: str, estimator: str, student: LocalModel, teacher: LocalModel, examples, task, questions,
                    target: float, args) -> tuple[int | None, float, list[tuple[int, float]]]:
    """First checked step at which the student's accuracy >= target (None if not within max steps)."""
    curve: list[tuple[int, float]] = []

    def check(step: int, _loss: float) -> None:
        if step % args.eval_every == 0:
            curve.append((step, accuracy(task, student, questions)))
            student.model.train()  # answering switched it to eval mode
            if curve[-1][1] >= target:
                raise Reached

    cfg = DistillConfig(objective=objective, steps=args.max_steps, batch_size=args.batch_size, lr=args.lr,
                        teacher={"kind": "anchor"}, stop_when_fit=False,
                        on_policy={"sampling_temperature": 1.0, "loss_temperature": 1.0, "estimator": estimator})
    start = time.perf_counter()
    try:
        train(student.model, student.tokenizer, examples, cfg, seed=0, on_step=check, teacher=teacher.model)
        reached = None
    except Reached:
        reached = curve[-1][0]
    seconds = time.perf_counter() - start
    return reached, seconds / (curve[-1][0] if curve else 1), curve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-items", type=int, default=12)
    parser.add_argument("--max-k", type=int, default=3)
    parser.add_argument("--teacher-steps", type=int, default=400)
    parser.add_argument("--max-steps", type=int, default=400)
    parser.add_argument("--eval-every", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--warm-steps", type=int, default=60, help="sft steps before the warm start")
    parser.add_argument("--student-layers", type=int, default=2)
    parser.add_argument("--student-width", type=int, default=64, help="a 1x64 student plateaus near 0.69 here")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    task = make_task("permutation", n_items=args.n_items, max_k=args.max_k)
    train_q, eval_q = task.questions("train"), task.questions("eval")
    teacher = LocalModel.build(ModelConfig(), task.vocabulary(), seed=0, version="teacher")
    train(teacher.model, teacher.tokenizer, supervised_examples(task, train_q),
          DistillConfig(steps=args.teacher_steps, batch_size=args.batch_size, lr=args.lr, stop_when_fit=False), seed=0)
    teacher_acc = accuracy(task, teacher, eval_q)
    target = 0.9 * teacher_acc
    # sft learns the teacher's own greedy answers (right or wrong), which is what on_policy's teacher prefers too.
    answers = teacher.answer([q.prompt for q in train_q])
    examples = [Example(q.prompt, a.text, q.id, q.difficulty) for q, a in zip(train_q, answers)]
    student_cfg = ModelConfig(n_layer=args.student_layers, n_embd=args.student_width, n_head=2)
    cold = LocalModel.build(student_cfg, task.vocabulary(), seed=1)
    warm = LocalModel(copy.deepcopy(cold.model), cold.tokenizer, "warm")
    train(warm.model, warm.tokenizer, examples, DistillConfig(steps=args.warm_steps, batch_size=args.batch_size,
                                                              lr=args.lr, stop_when_fit=False), seed=2)
    print(f"onpolicy_vs_sft: permutation N={args.n_items} k=1..{args.max_k}, {len(train_q)} train / {len(eval_q)} "
          f"eval questions; teacher GPT-2 2x128 ({args.teacher_steps} SFT steps on true answers), student "
          f"{args.student_layers}x{args.student_width}; batch {args.batch_size}, lr {args.lr}, checked every "
          f"{args.eval_every} steps, at most {args.max_steps}")
    print(f"teacher accuracy {teacher_acc:.3f}; target (90%) {target:.3f}")
    for start, student0 in (("cold (random init)", cold), (f"warm ({args.warm_steps} sft steps first)", warm)):
        print(f"\nstudent start: {start}, accuracy {accuracy(task, student0, eval_q):.3f}")
        rows = {}
        for label, objective, estimator in RUNS:
            student = LocalModel(copy.deepcopy(student0.model), student0.tokenizer, label)
            rows[label] = steps_to_target(objective, estimator, student, teacher, examples, task, eval_q, target, args)
        print_rows(rows)


def print_rows(rows: dict) -> None:
    print(f"{'objective':<22}{'steps to target':>16}{'s/step':>8}  accuracy curve (step: acc)")
    for label, (reached, per_step, curve) in rows.items():
        shown = "not reached" if reached is None else str(reached)
        points = " ".join(f"{s}:{a:.2f}" for s, a in curve[:: max(1, len(curve) // 8)])
        print(f"{label:<22}{shown:>16}{per_step:>8.3f}  {points}")
    sft = rows["sft"][0]
    for label, (reached, per_step, _) in list(rows.items())[1:]:
        if sft and reached:
            print(f"steps ratio sft / {label}: {sft / reached:.2f}x (published claim for LLMs: 7-10x); "
                  f"wall-time ratio: {sft * rows['sft'][1] / (reached * per_step):.2f}x")
        else:
            print(f"steps ratio sft / {label}: n/a (one of the two did not reach the target within the step limit)")

if __name__ == "__main__":
    main()
