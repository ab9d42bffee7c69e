"""Your own task in a cycle script: "count the ones" in a bit string, with its overseer H, run through IDA and
the supervised baseline with the public API, then the per-cycle table.

    python examples/own_task.py              # about a minute on two CPU cores
    python examples/own_task.py --tiny       # a few seconds (what the test runs)

The run's config names the task by import path (`own_task:CountOnesTask`), so the run dir can be resumed and
reported later with the examples folder on the path:  PYTHONPATH=examples ida report runs/<id>
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import ida
from ida import UNKNOWN, Question, ask, parse_int


class CountOnesTask(ida.Task):
    """Questions `count 1 0 1 1` -> `3`. Difficulty = length of the bit string (1..max_len). H splits the string
    in halves, asks both counts and adds them; it answers a single bit itself. Facts in the weights: the question
    space is every bit string up to max_len, so both splits cover it (a memorisation task, like the built-ins)."""

    name = "count_ones"
    form = "weights"

    def __init__(self, max_len: int = 5, seed: int = 0) -> None:
        self.max_len = max_len
        self._questions = [self._question(bits) for n in range(1, max_len + 1)
                           for bits in itertools.product("01", repeat=n)]

    def _question(self, bits: tuple[str, ...]) -> Question:
        return Question(id=f"count_ones:{''.join(bits)}", text="count " + " ".join(bits), difficulty=len(bits),
                        task=self.name)

    def questions(self, split: str) -> list[Question]:
        return list(self._questions)

    def difficulties(self) -> list[int]:
        return list(range(1, self.max_len + 1))

    def decompose(self, question: Question):
        bits = tuple(question.text.split()[1:])
        if len(bits) == 1:
            return bits[0]  # H answers a single bit itself: "1" has one one
        half = len(bits) // 2
        answers = yield from ask([self._question(bits[:half]), self._question(bits[half:])])
        counts = [parse_int(a, 0, len(bits)) for a in answers or []]
        if len(counts) != 2 or None in counts:
            return UNKNOWN  # a subanswer that is not a count: H cannot recompose
        return str(sum(counts))

    def true_answer(self, question: Question) -> str:
        return str(question.text.split()[1:].count("1"))

    def vocabulary(self) -> list[str]:
        return ["count", "=", UNKNOWN, *(str(i) for i in range(self.max_len + 1))]


SIZES = {  # (settings, max_len)
    "tiny": (["model.n_layer=1", "model.n_embd=32", "model.n_head=2", "distill.steps=20", "distill.batch_size=16",
              "distill.lr=0.005", "max_cycles=2", "eval.baseline_steps=40", "tracking.plot=false"], 3),
    "default": (["model.n_layer=2", "model.n_embd=64", "model.n_head=2", "distill.steps=200", "distill.batch_size=32",
                 "distill.lr=0.003", "max_cycles=4", "tracking.plot=false"], 5),
}


def table(run: ida.RunRecord) -> str:
    """Student and Amp(H, student) accuracy per difficulty for each cycle, then the supervised baseline."""
    report = ida.report(run.dir)
    difficulties = sorted({d for c in report["cycles"] for d in c["student"]}, key=int)
    lines = ["cycle     " + "".join(f"  {'d=' + d:<9}" for d in difficulties) + "  (student / Amp)"]
    for c in report["cycles"]:
        cells = "".join(f"  {c['student'][d]:.2f}/{c['amplified'].get(d, 0):.2f}" for d in difficulties)
        lines.append(f"{c['index']:<10}{cells}")
    if report["baseline"]:
        cells = "".join(f"  {report['baseline']['supervised'].get(d, 0):.2f}     " for d in difficulties)
        lines.append(f"supervised{cells}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> ida.Run:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="smallest sizes (seconds)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--runs", type=Path, default=Path("runs"), help="folder of the run dirs")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # so that `own_task:CountOnesTask` imports
    settings, max_len = SIZES["tiny" if args.tiny else "default"]
    config = ida.load_config(None, ["task.name=own_task:CountOnesTask", f"task.params={{max_len: {max_len}}}",
                                    *settings])
    run = ida.start_run(config, args.runs, ida.RunProgress(quiet=args.quiet))
    ida.execute(run, on_phase_end=lambda r, cycle, phase, result: print(
        f"cycle {cycle} {phase:<8} done in {result.get('seconds', 0):.1f}s") if phase in ("distill", "baseline")
        else None)
    print(table(run))
    return run


if __name__ == "__main__":
    main()
