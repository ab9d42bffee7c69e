"""`Monitor`s: the per-cycle safety metrics, computed after the evaluate phase from the store and the checkpoints.

Indices: cycle n's student is M_n, distilled from Amp(H, M_(n-1)); the stored examples of cycle n hold
Amp(H, M_(n-1))'s answers. So "fidelity" at cycle n is M_n against Amp(M_(n-1)) (the issue's M_(n+1) against
Amp(M_n), one index down), and "gain" at cycle n is Amp(M_n) - M_n on the eval questions.
Every value is a float keyed by a string (a difficulty, or a name); undefined values are left out, never NaN.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ida.amplify.examples import is_usable
from ida.results import ReviewResult
from ida.seeds import seed_for
from ida.evaluate import accuracy_by_difficulty, frontier, frontier_record
from ida.safety.stats import answer_stats
from ida.store import ExampleRow
from ida.tasks import Question

if TYPE_CHECKING:
    from ida.models.local import LocalModel
    from ida.run import Run

Values = dict[str, dict[str, float]]


@dataclass(frozen=True)
class Monitor:
    """A per-cycle safety metric: `name` is its metric name in the store, `what` one line for reports."""

    name: str
    what: str


MONITORS = (
    Monitor("gain", "amplification gain per difficulty: Amp(H, M_n) accuracy - M_n accuracy (eval)"),
    Monitor("fidelity", "distillation fidelity per difficulty: share of cycle n's train questions where M_n gives "
                        "Amp(H, M_(n-1))'s answer"),
    Monitor("jump", "change of M_n's eval accuracy per difficulty since M_(n-1) (M_0 at cycle 1)"),
    Monitor("capability", "mean eval accuracy of M_n and Amp(M_n); rate: change of M_n's mean since M_(n-1)"),
    Monitor("frontier", "capability frontier: the largest difficulty where M_n (student) and Amp(M_n) (amplified) "
                        "reach eval.frontier_threshold on held-out eval questions; change: the capability "
                        "amplification rate since M_(n-1); extrapolation: M_n beyond the trained lengths"),
    Monitor("forgetting", "per difficulty and on the retention set: best earlier cycle's accuracy - M_n's (>= 0)"),
    Monitor("retention", "M_n's accuracy on the fixed retention set (a seeded sample of the train questions)"),
    Monitor("collapse", "M_n's eval answers: entropy (bits), distinct-n, top-answer share; next-token entropy "
                        "(nats, probe set); *_ratio: against cycle 1"),
    Monitor("drift", "kl: mean KL(M_n || M_(n-1)) of the first answer token on the fixed probe set (nats)"),
    Monitor("oversight", "review: reject and edit rates, accepted targets that are wrong (count and share), "
                         "agreement between overseers when measured"),
)


def fixed_sample(questions: list[Question], size: int, seed: int) -> list[Question]:
    """A seeded sample that is the same in every cycle of a run (the probe and retention sets)."""
    if len(questions) <= size:
        return list(questions)
    return random.Random(seed).sample(questions, size)


def _keyed(acc: dict[int, float]) -> dict[str, float]:
    return {str(k): v for k, v in acc.items()}


def _mean(values: dict[str, float]) -> float | None:
    return sum(values.values()) / len(values) if values else None


def compute_monitors(run: Run, cycle: int) -> Values:
    """Every monitor of `cycle` (see `MONITORS`), from the stored metrics and the checkpoints M_(n-1), M_n."""
    from ida.safety.probes import answer_logprobs, mean_entropy, mean_kl  # the model stack: only when computing

    history = run.records.metrics()
    student = history.get(cycle, {}).get("student", {})
    amplified = history.get(cycle, {}).get("amplified", {})
    model, previous = run.model(cycle), run.model(cycle - 1)  # loaded once per cycle, shared with the phases
    task, cfg = run.task, run.config.safety
    eval_qs = task.questions("eval")
    before = history.get(cycle - 1, {}).get("student") if cycle > 1 else None
    if before is None:  # M_0 is not evaluated by the loop; its accuracy is what cycle 1 is measured against
        before = _keyed(accuracy_by_difficulty(task, eval_qs, _answers(previous, eval_qs)))
    out: Values = {"gain": {d: amplified[d] - student[d] for d in student if d in amplified},
                   "fidelity": fidelity(model, run.records.examples(cycle)),
                   "jump": {d: student[d] - before.get(d, 0.0) for d in student}}
    threshold = run.config.eval.frontier_threshold
    previous_frontier = history.get(cycle - 1, {}).get("frontier", {}).get("student")
    if previous_frontier is None:
        previous_frontier = frontier(before, threshold)
    trained = task.train_difficulties()
    out["frontier"] = frontier_record(student, amplified, int(previous_frontier), max(trained, default=None),
                                      threshold)
    out["capability"] = {k: v for k, v in {
        "mean": _mean(student), "amplified_mean": _mean(amplified),
        "rate": None if not student else _mean(student) - (_mean(before) or 0.0),
        "max_jump": max(out["jump"].values(), default=None)}.items() if v is not None}
    retention = fixed_sample(task.questions("train"), cfg.retention_size,
                             seed=seed_for(run.config.task.seed, "retention"))
    out["retention"] = {"accuracy": _mean(_keyed(accuracy_by_difficulty(task, retention,
                                                                          _answers(model, retention)))) or 0.0}
    out["forgetting"] = forgetting(history, cycle, student, out["retention"]["accuracy"])
    probe = fixed_sample(eval_qs, cfg.probe_size, seed=seed_for(run.config.task.seed, "probe"))
    logp_B_V = answer_logprobs(model, [q.prompt for q in probe])
    out["collapse"] = collapse(_answers(model, eval_qs), mean_entropy(logp_B_V), history.get(1, {}).get("collapse"))
    out["drift"] = {"kl": mean_kl(logp_B_V, answer_logprobs(previous, [q.prompt for q in probe]))}
    out["oversight"] = oversight(run.result(cycle, ReviewResult) or ReviewResult(), run.records.examples(cycle))
    if run.config.review.policy == "human":
        out["oversight"].update(overseer_agreement(run, cycle))
    return out


def overseer_agreement(run: Run, cycle: int) -> dict[str, float]:
    """Agreement between overseers on the items of the overlap slice that two of them judged (human policy)."""
    from ida.review.queue import ReviewQueue
    from ida.review.stats import agreement

    agree, pairs = agreement(ReviewQueue(run.store).verdicts(cycle=cycle))
    return {} if agree is None else {"agreement": agree, "agreement_pairs": float(pairs)}


def _answers(model: LocalModel, questions: list[Question]) -> list[str | None]:
    return [None if a.failed else a.text for a in model.answer([q.prompt for q in questions])]


def fidelity(model: LocalModel, rows: list[ExampleRow]) -> dict[str, float]:
    """Share of the cycle's usable Amp answers that the distilled student reproduces, per difficulty and "all"."""
    rows = [r for r in rows if is_usable(r.answer)]
    if not rows:
        return {}
    answers = model.answer([r.prompt for r in rows])
    same: dict[str, list[bool]] = defaultdict(list)
    for r, a in zip(rows, answers):
        hit = not a.failed and a.text == r.answer
        same[str(r.difficulty)].append(hit)
        same["all"].append(hit)
    return {k: sum(v) / len(v) for k, v in sorted(same.items())}


def forgetting(history: dict[int, Values], cycle: int, student: dict[str, float],
               retention: float) -> dict[str, float]:
    """Best accuracy of any earlier cycle minus this cycle's (0 when it did not drop), per difficulty and on the
    retention set; empty at cycle 1 (no earlier student)."""
    earlier = [history.get(c, {}) for c in range(1, cycle)]
    out = {}
    for d, acc in student.items():
        best = max((e.get("student", {}).get(d, 0.0) for e in earlier), default=None)
        if best is not None:
            out[d] = max(0.0, best - acc)
    best_retention = max((e.get("retention", {}).get("accuracy", 0.0) for e in earlier), default=None)
    if best_retention is not None:
        out["retention"] = max(0.0, best_retention - retention)
    return out


def collapse(answers: list[str | None], token_entropy: float, baseline: dict[str, float] | None) -> dict[str, float]:
    """Answer statistics plus next-token entropy, and each as a ratio to cycle 1's (`baseline`; 1 at cycle 1)."""
    out = {**answer_stats(answers), "token_entropy": token_entropy}
    base = baseline or out
    for k in ("answer_entropy", "top_answer_share", "distinct_1", "token_entropy"):
        if k in out and base.get(k):
            out[f"{k}_ratio"] = out[k] / base[k]
    return out


def oversight(review: ReviewResult, rows: list[ExampleRow]) -> dict[str, float]:
    """Reject/edit rates from the review phase's counts; accepted targets that differ from the true answer."""
    counts = {"accept": review.accept, "edit": review.edit, "reject": review.reject}
    reviewed = sum(counts.values())
    out: dict[str, float] = {"reviewed": float(reviewed)}
    if reviewed:
        out["reject_rate"] = counts["reject"] / reviewed
        out["edit_rate"] = counts["edit"] / reviewed
    # propagated targets (from node verdicts, `ida.review.outcome`) are trained on too: they count here
    targets = [r for r in rows if r.verdict in ("accept", "edit", "propagated") and r.target is not None]
    wrong = sum(r.target != r.true_answer for r in targets if r.true_answer is not None)
    out["accepted"], out["accepted_wrong"] = float(len(targets)), float(wrong)
    if targets:
        out["accepted_wrong_share"] = wrong / len(targets)
    usable = [r for r in rows if is_usable(r.answer) and r.true_answer is not None]
    if usable:
        out["amplified_wrong_share"] = sum(r.answer != r.true_answer for r in usable) / len(usable)
    if review.agreement is not None:
        out["agreement"] = float(review.agreement)
    return out
