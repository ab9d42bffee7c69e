"""Capability amplification past every label: on addition with train lengths 1..L, where H answers only
one-digit sums, five ways to train the same student with the same steps per cycle and the same total steps, side
by side in one run (one process per arm, `--jobs` at a time):

- IDA halve + curriculum: `configs/addition-long.yaml` as it is (H halves each sum, M_n answers the halves, the
  frontier curriculum amplifies only lengths near the estimated frontier, filters drop unsure and malformed
  targets); `ida run configs/addition-long.yaml` is this arm at L = 16.
- IDA peel + curriculum: the same with `split: peel` (H adds the top digit itself: one digit more per cycle),
  so its window is the estimated frontier + 1 (`amplify.curriculum.step=1`), not 2 x the frontier.
- self-improvement (Lee et al. 2025's recipe): `decomposer: direct` + `leaves_by_h` (H answers one-digit sums, as
  in IDA) + majority vote over the student's own samples + the same curriculum and filters.
- self-improvement from a labelled start, as Lee et al. begin (they train on labels of 1..10 digits first): the
  same, with H answering sums of up to `--si-h-digits` (K) digits itself (`task.params.h_digits`), a first window
  of 1..K (`amplify.curriculum.start`) and then one length past the frontier each cycle (`step=1`, their +1 per
  round). It has more labels than
  IDA's H; it shows whether the student's own answers carry it further once it can add a few digits.
- supervised, H-only labels: the true answers H can give (one-digit sums), trained in the same chunks of steps.
- supervised, all true labels (the ceiling): every train question's true answer, same chunks of steps; and the
  same with a length curriculum given by the labels (chunk c trains lengths 1..2^c). The ratios use the better.

    python benchmarks/amplification.py                        # L = 16, 6 cycles, every arm
    python benchmarks/amplification.py --arms ida-halve,ceiling --cycles 4 --steps 600
    python benchmarks/amplification.py --L 64 --cycles 8      # GPU-sized (the task's cap is 256 digits)

Printed per arm and cycle: the held-out frontier (largest length at >= 90% with every shorter length), the
curriculum's window, targets kept/dropped (and per filter), wall time; at the end the ratios IDA / ceiling and
IDA / self-improvement (frontier and accuracy at L), and accuracy on lengths L+1..L+8 (extrapolation).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

CONFIG = Path(__file__).resolve().parent.parent / "configs" / "addition-long.yaml"
ARMS = {"ida-halve": "IDA halve + curriculum", "ida-peel": "IDA peel + curriculum",
        "self-improvement": "self-improvement (Lee)",
        "self-improvement-start": "self-improvement (Lee) from labels of 1..K digits",
        "h-only": "supervised, H-only labels",
        "ceiling": "supervised, all labels (ceiling)",
        "ceiling-schedule": "supervised, all labels, lengths 1..2^cycle (ceiling with a curriculum)"}
CEILINGS = ("ceiling", "ceiling-schedule")
EXTRAPOLATION = 8
FINAL_EVAL = 512  # more held-out questions per length for the final students (--final-eval)


def base_config(a: argparse.Namespace) -> dict[str, Any]:
    """configs/addition-long.yaml sized for `a`."""
    data = yaml.safe_load(CONFIG.read_text())
    params = data["task"]["params"]
    params.update(max_digits=a.L, eval_max_digits=a.L + EXTRAPOLATION, n_train=a.n_train,
                  eval_per_difficulty=a.eval_per_difficulty)
    longest = a.L + EXTRAPOLATION
    data["model"].update(max_answer_tokens=longest + 1, n_positions=max(data["model"].get("n_positions", 0),
                                                                        3 * longest + 8))
    data["distill"].update(steps=a.steps, stop_when_fit=False)
    data.update(max_cycles=a.cycles)
    data.setdefault("eval", {}).update(baseline=False, amplified=False)
    return data


def arm_overrides(arm: str, a: argparse.Namespace) -> list[str]:
    if arm == "ida-peel":  # peeling adds one digit to what M_n answers: its window grows by one, not by doubling
        return ["task.params.split=peel", "amplify.curriculum.step=1"]
    if arm.startswith("self-improvement"):
        vote = f"samples: {a.vote_samples}, temperature: 1.0, min_agreement: {a.min_agreement}, models: {a.vote_models}"
        start = ([f"task.params.h_digits={a.si_h_digits}", f"amplify.curriculum.start={a.si_h_digits}",
                  "amplify.curriculum.step=1"] if arm.endswith("start") else [])
        return ["amplify.decomposer=direct", "amplify.leaves_by_h=true", "amplify.min_confidence=null",
                f"amplify.vote={{{vote}}}", *start]
    return []


def run_arm(arm: str, a: argparse.Namespace, root: str) -> dict:
    import torch

    torch.set_num_threads(a.threads)
    from ida.config.load import apply_overrides, validate

    config = validate(apply_overrides(base_config(a), arm_overrides(arm, a) + a.extra))
    start = time.perf_counter()
    cycles = (supervised_arm(config, arm, a.final_eval) if arm in ("h-only", *CEILINGS)
              else ida_arm(config, root, a.final_eval))
    return {"arm": arm, "cycles": cycles, "seconds": time.perf_counter() - start}


def ida_arm(config, root: str, final_eval: int) -> list[dict]:
    from ida.cycle import execute
    from ida.progress import RunProgress
    from ida.run import start_run

    ends: dict[int, float] = {0: time.perf_counter()}

    def mark(run, cycle: int, phase: str, result: dict) -> None:
        ends[cycle] = time.perf_counter()

    run = start_run(config, Path(root), RunProgress(quiet=True))
    execute(run, on_phase_end=mark)
    cycles = cycles_of(run, {c: ends.get(c, float("nan")) - ends.get(c - 1, float("nan"))
                             for c in range(1, config.max_cycles + 1)})
    cycles[-1]["final"] = final_of_run(config, run.dir, final_eval)
    return cycles


def final_accuracy(task, model, count: int) -> dict[int, float]:
    """The final student's accuracy on `count` more held-out questions per length L..L+8 (in the eval split's 32
    per length one question is 3 points; these give the ratios their precision)."""
    from ida.evaluate import evaluate_student

    top = task.eval_max_digits
    questions = [q for n in range(task.max_digits, top + 1) for q in task.more_eval_questions(n, count)]
    return evaluate_student(task, model, questions)


def final_of_run(config, run_dir: Path, count: int) -> dict[int, float]:
    """`final_accuracy` of a run's last checkpoint."""
    from ida.models.local import load_student
    from ida.paths import RunPaths
    from ida.run import build_task

    cycle = config.max_cycles
    model = load_student(config.model, RunPaths(Path(run_dir)).checkpoint(cycle), f"M{cycle}")
    return final_accuracy(build_task(config), model, count)


def cycles_of(run, seconds: dict[int, float]) -> list[dict]:
    """Per cycle of an IDA run: student accuracy per length, window, targets kept/dropped (per filter), seconds."""
    out = []
    accuracy = run.records.metrics("student")
    for cycle in range(1, run.config.max_cycles + 1):
        amp = run.records.phase_result(cycle, "amplify") or {}
        acc = {int(k): v for k, v in accuracy.get(cycle, {}).get("student", {}).items()}
        out.append({"accuracy": acc, "window": amp.get("window"), "filters": amp.get("filters"),
                    "kept": amp.get("usable"), "dropped": (amp.get("examples") or 0) - (amp.get("usable") or 0),
                    "seconds": seconds[cycle]})
    return out


def stored_arm(run_dir: Path, a: argparse.Namespace) -> dict:
    """The IDA halve arm from a finished `ida run configs/addition-long.yaml` (seconds: its phases' own); a run
    of another length or cycle count would not be this benchmark's arm (ValueError)."""
    from ida.run import read_run

    run = read_run(run_dir)
    try:
        params = run.config.task.params
        if (run.config.task.name, params.get("max_digits"), run.config.max_cycles) != ("addition", a.L, a.cycles):
            raise ValueError(f"--ida-run {run_dir}: a run of task {run.config.task.name!r}, max_digits "
                             f"{params.get('max_digits')}, {run.config.max_cycles} cycles; this benchmark compares "
                             f"addition at --L {a.L} over --cycles {a.cycles}")
        phases = run.records.phases()
        seconds = {c: sum(p["result"].get("seconds", 0.0) for p in phases if p["cycle"] == c)
                   for c in range(1, run.config.max_cycles + 1)}
        cycles = cycles_of(run, seconds)
        cycles[-1]["final"] = final_of_run(run.config, run_dir, a.final_eval)
    finally:
        run.store.close()
    return {"arm": "ida-halve", "cycles": cycles, "seconds": sum(seconds.values())}


def supervised_arm(config, arm: str, final_eval: int) -> list[dict]:
    """True labels (all, all up to length 2^cycle, or only the one-digit sums H answers), trained in chunks of
    `distill.steps` with a fresh optimiser per chunk, as a cycle has; evaluated after each chunk."""
    from ida.distill.data import supervised_examples
    from ida.distill.trainer import supervised, train
    from ida.evaluate import evaluate_student
    from ida.models.local import LocalModel
    from ida.models.positions import task_separators
    from ida.run import build_task

    task = build_task(config)
    model = LocalModel.build(config.model, task.vocabulary(), seed=config.seed,
                             separators=task_separators(config.model, task))
    questions = [q for q in task.questions("train") if arm in CEILINGS or q.difficulty == 1]
    out = []
    for cycle in range(1, config.max_cycles + 1):
        start = time.perf_counter()
        data = supervised_examples(task, [q for q in questions if arm != "ceiling-schedule"
                                          or q.difficulty <= 2 ** cycle])
        train(model.model, model.tokenizer, data, supervised(config.distill), seed=config.seed * 10007 + cycle)
        acc = evaluate_student(task, model, task.questions("eval"))
        out.append({"accuracy": acc, "window": None, "filters": None, "kept": len(data), "dropped": 0,
                    "seconds": time.perf_counter() - start})
    out[-1]["final"] = final_accuracy(task, model, final_eval)
    return out


def frontier_of(acc: dict[int, float]) -> int:
    from ida.evaluate import frontier

    return frontier(acc)


def window_text(window: dict | None) -> str:
    if not window:
        return "-"
    return f"{window.get('kind', '?')} {window.get('low', '?')}..{window.get('high', '?')}" + (
        f" (est. {window['estimated_frontier']})" if window.get("estimated_frontier") is not None else "")


def filters_text(filters: dict | None) -> str:
    if not filters:
        return ""
    return " · " + ", ".join(f"{name} {v.get('kept', '?')}/{v.get('dropped', '?')}" for name, v in filters.items()
                             if isinstance(v, dict))


def report(r: dict, a: argparse.Namespace) -> None:
    print(f"\n## {ARMS[r['arm']]} ({r['seconds']:.0f} s)")
    print("| cycle | frontier | window | targets kept / dropped | s |")
    print("|---|---|---|---|---|")
    for i, c in enumerate(r["cycles"], 1):
        print(f"| {i} | {frontier_of(c['accuracy'])} | {window_text(c['window'])} | {c['kept']} / {c['dropped']}"
              f"{filters_text(c['filters'])} | {c['seconds']:.0f} |")
    last = r["cycles"][-1]["accuracy"]
    beyond = [last.get(n, 0.0) for n in range(a.L + 1, a.L + EXTRAPOLATION + 1)]
    print(f"accuracy at L={a.L}: {last.get(a.L, 0.0):.2f}; at L+1..L+{EXTRAPOLATION}: "
          f"{' '.join(f'{v:.2f}' for v in beyond)} (mean {sum(beyond) / len(beyond):.2f})", flush=True)
    final = r["cycles"][-1].get("final", {})
    if final:
        print(f"final student on {a.final_eval} more held-out questions per length, L..L+{EXTRAPOLATION}: "
              + " ".join(f"{n}: {final[n]:.3f}" for n in sorted(final)), flush=True)


def ratio(x: float, y: float) -> str:
    return f"{x / y:.2f}" if y else "undefined (denominator 0)"


def summary(by_arm: dict[str, dict], a: argparse.Namespace) -> None:
    def final(arm: str) -> tuple[int, float]:
        last = by_arm[arm]["cycles"][-1]
        return frontier_of(last["accuracy"]), last.get("final", last["accuracy"]).get(a.L, 0.0)

    ceilings = [c for c in CEILINGS if c in by_arm]
    best = max(ceilings, key=lambda c: final(c)[::-1]) if ceilings else None
    print(f"\n## ratios (final cycle; accuracy on {a.final_eval} more held-out questions at L)")
    for ida in ("ida-halve", "ida-peel"):
        for other in (best, "self-improvement", "self-improvement-start"):
            if ida in by_arm and other in by_arm:
                (f1, a1), (f2, a2) = final(ida), final(other)
                print(f"{ARMS[ida]} / {ARMS[other]}: frontier {f1}/{f2} = {ratio(f1, f2)}; accuracy at L={a.L} "
                      f"{a1:.3f}/{a2:.3f} = {ratio(a1, a2)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arms", default=",".join(ARMS), help=f"comma-separated, of {', '.join(ARMS)}")
    parser.add_argument("--L", type=int, default=16, help="longest trained length (eval goes to L+8)")
    parser.add_argument("--cycles", type=int, default=6)
    parser.add_argument("--steps", type=int, default=None, help="steps per cycle (default: the config's)")
    parser.add_argument("--n-train", type=int, default=20000)
    parser.add_argument("--eval-per-difficulty", type=int, default=32)
    parser.add_argument("--final-eval", type=int, default=FINAL_EVAL, help=(
        "more held-out questions per length L..L+8 for each arm's final student (the ratios' accuracy)"))
    parser.add_argument("--si-h-digits", type=int, default=4, help=(
        "self-improvement-start: the longest sum H answers itself (its labelled start)"))
    parser.add_argument("--vote-samples", type=int, default=4)
    parser.add_argument("--vote-models", type=int, default=1)
    parser.add_argument("--min-agreement", type=float, default=0.75)
    parser.add_argument("--jobs", type=int, default=2, help="arms run at once (one process each)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per arm")
    parser.add_argument("--ida-run", type=Path, default=None, help=(
        "a finished run of `ida run configs/addition-long.yaml` (at --L 16): its stored cycles are the IDA halve arm, "
        "not run again"))
    parser.add_argument("--set", dest="extra", action="append", default=[], help="extra override for every arm")
    a = parser.parse_args()
    if not 1 <= a.si_h_digits <= a.L:
        parser.error(f"--si-h-digits: must be in 1..--L ({a.L}), got {a.si_h_digits}")
    if a.final_eval < 1:
        parser.error(f"--final-eval: must be at least 1, got {a.final_eval}")
    arms = [x.strip() for x in a.arms.split(",") if x.strip()]
    unknown = sorted(set(arms) - set(ARMS))
    if unknown:
        parser.error(f"--arms: unknown {unknown}; choose from {', '.join(ARMS)}")
    if a.steps is None:
        a.steps = int(yaml.safe_load(CONFIG.read_text())["distill"]["steps"])
    m = yaml.safe_load(CONFIG.read_text())["model"]
    print(f"# amplification · {platform.machine()} · addition, train lengths 1..{a.L}, eval 1..{a.L + EXTRAPOLATION} "
          f"({a.eval_per_difficulty} held-out questions each), H answers one-digit sums · {a.cycles} cycles x "
          f"{a.steps} steps per arm · {m.get('n_layer')}x{m.get('n_embd')} {m.get('architecture', 'gpt2')}, "
          f"{m.get('position_scheme', 'sequential')} positions · {a.jobs} arm(s) at a time, {a.threads} thread(s) "
          f"each" + (f" · K = {a.si_h_digits}" if "self-improvement-start" in arms else ""))
    by_arm = {}
    if a.ida_run is not None:  # the IDA halve arm as `ida run configs/addition-long.yaml` already ran it
        from ida.errors import IDAError

        try:
            by_arm["ida-halve"] = stored_arm(a.ida_run, a)
        except (OSError, ValueError, IDAError) as err:  # not a run dir, or not this benchmark's arm: one line, exit 2
            parser.error(str(err).splitlines()[0])
        report(by_arm["ida-halve"], a)
        arms = [arm for arm in arms if arm != "ida-halve"]
    with tempfile.TemporaryDirectory() as tmp, mp.get_context("spawn").Pool(max(1, min(a.jobs, len(arms)))) as pool:
        for r in pool.imap_unordered(_run_arm, [(arm, a, tmp) for arm in arms]):
            by_arm[r["arm"]] = r
            report(r, a)
    summary(by_arm, a)


def _run_arm(item: tuple) -> dict:
    return run_arm(*item)


if __name__ == "__main__":
    main()
