"""Can the stored verdicts be trusted? A scripted panel of overseers on node review, the old policy and the new
side by side on the same verdicts, plus the review budget's uncertainty-vs-random ratio.

1. Panel (no training, seconds): `--cycles` cycles of the permutation task (N=8, k=1..4), each with its own
   scripted M_n that answers some subquestions wrong; every node item is judged by two overseers of a panel
   (two always right, one wrong with probability `--wrong-rate`: accepts a wrong subanswer or edits a right one
   to a wrong value), through the real queue. The same verdicts are settled twice:
   - old: strictest verdict wins, a target built from node verdicts counts as the person's own verdict;
   - new (this code): disputes held for an admin (`review.disputes: hold`), provenance per target.
   Printed: wrong targets stored as a person's verdict (`verified`; goal 0), wrong targets trained in total,
   disputes held, and training targets per overseer-minute at `--seconds-per-item` (the ~8 s per item seen in
   the browser: a modelled time, not measured here).
2. Budget (`--budget-seeds` training runs per rule, minutes): `benchmarks/oversight_budget.py`'s count of wrong
   targets caught by 10% of the examples, uncertainty vs random on the same stored examples.

    python benchmarks/oversight_integrity.py                    # panel + 1 seed of the budget part
    python benchmarks/oversight_integrity.py --budget-seeds 0 --json   # panel only; last line: one JSON object
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from decomposition import Answer  # noqa: E402
from ida.amplify.examples import amplify  # noqa: E402
from ida.config import AmplifyConfig, load_config  # noqa: E402
from ida.evaluate import is_right  # noqa: E402
from ida.progress import RunProgress  # noqa: E402
from ida.review.human import human_review  # noqa: E402
from ida.review.nodes import parse_memo_key  # noqa: E402
from ida.review.policies import ReviewRequest  # noqa: E402
from ida.review.queue import ReviewQueue  # noqa: E402
from ida.store import Store  # noqa: E402
from ida.tasks import make_task  # noqa: E402

PANEL = {"ann": 0.0, "ben": 0.0, "cat": None}  # None: the panel's wrong overseer (--wrong-rate)


class ScriptedModel:
    """M_n: the true answer, confident, except on `wrong` prompts: the next item, unsure."""

    version = "M0"
    usage = None

    def __init__(self, task, wrong: set[str]):
        self.by_prompt = {q.prompt: q for q in task.questions("train")}
        self.task, self.wrong = task, wrong

    def answer(self, prompts):
        out = []
        for p in prompts:
            true = self.task.true_answer(self.by_prompt[p])
            out.append(Answer(str((int(true) + 1) % 8), (-2.0,)) if p in self.wrong else Answer(true, (-0.01,)))
        return out

    def close(self):
        pass


def one_cycle(tmp: Path, cycle: int, args: argparse.Namespace) -> dict[str, dict[str, int]]:
    rng = random.Random(cycle)
    task = make_task("permutation", n_items=8, max_k=4, seed=5)
    questions = task.questions("train")
    prompts = sorted({q.prompt for q in questions if q.difficulty == 1})
    wrong = set(rng.sample(prompts, args.wrong_subanswers))
    rows = [e.to_row(task.true_answer(e.question)) for e in
            amplify(task, questions, ScriptedModel(task, wrong), AmplifyConfig())]
    store = Store(tmp / f"cycle-{cycle}.sqlite")
    records = store.run("r")
    records.create_run("permutation", "{}")
    records.finish_phase(1, "amplify", {}, examples=rows)
    rows = records.examples(1)
    by_id = {q.id: q for q in questions}
    by_prompt = {q.prompt: q for q in questions}
    request = ReviewRequest(store, "r", 1, rows, by_id, task, cycle, RunProgress(quiet=True), "")
    base = ["review.policy=human", "review.unit=node", "review.wait=false", "review.overlap=1.0"]
    human_review(request, load_config(None, base).review)  # queue every node item, twice
    judge(ReviewQueue(store), task, by_prompt, rng, args.wrong_rate)
    out = {}
    for name, extra in (("old", ["review.disputes=strictest"]), ("new", ["review.disputes=hold"])):
        reviews, record = human_review(request, load_config(None, base + extra).review)
        out[name] = score(reviews, record, task, by_id, name)
    out["verdicts"] = {"n": len(store.review_verdicts())}
    store.close()
    return out


def judge(queue: ReviewQueue, task, by_prompt, rng: random.Random, wrong_rate: float) -> None:
    """The panel takes turns (a seeded order each round) until every node item has its two verdicts."""
    while True:
        progressed = False
        for user in rng.sample(sorted(PANEL), len(PANEL)):
            lease = queue.claim(user)
            if lease is None:
                continue
            progressed = True
            sub = by_prompt[parse_memo_key(lease.key)[1]]
            node = next(n for n in queue.example(lease).graph["nodes"] if n["id"] == lease.node)
            truth, right = task.true_answer(sub), is_right(task, sub, node["answer"])
            errs = PANEL[user] if PANEL[user] is not None else wrong_rate
            if rng.random() < errs:  # the wrong overseer's mistake
                verdict = ("accept", None) if not right else ("edit", str((int(truth) + 3) % 8))
            else:
                verdict = ("accept", None) if right else ("edit", truth)
            queue.submit(lease.id, user, verdict[0], target=verdict[1])
        if not progressed:
            return


def score(reviews, record, task, by_id, policy: str) -> dict[str, int]:
    """Wrong trained targets, those stored as a person's verdict (old: any target a person's name is on; new:
    provenance verified), targets trained, disputes held."""
    trained = [r for r in reviews if r.target is not None and r.verdict not in ("reject", "dropped", "held")]
    wrong = [r for r in trained if not is_right(task, by_id[r.question_id], r.target)]
    as_person = [r for r in wrong if (r.provenance == "verified" if policy == "new" else r.reviewer != "H")]
    return {"trained": len(trained), "wrong_trained": len(wrong), "verified_wrong": len(as_person),
            "disputes": record["disputes"]["disputes"], "held": record["disputes"]["held"] if policy == "new" else 0}


def budget_ratio(seeds: int) -> float | None:
    if seeds <= 0:
        return None
    import oversight_budget as ob

    args = argparse.Namespace(cycles=4, steps=150, n_items=16, max_k=6, budget=0.1, error_rate=0.2, seeds=seeds)
    caught = {rule: 0 for rule in ("best possible", *ob.RULES)}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(seeds):
            for rule in ob.RULES:  # as oversight_budget.py: a run per rule, every rule sampling each run's examples
                run = ob.start_run(load_config(None, ob.overrides(rule, args, seed)), Path(tmp) / f"{rule}-{seed}",
                                   RunProgress(quiet=True))
                ob.execute(run)
                run.store.close()
                for r, (c, _, _) in ob.caught_on_same_items(run.dir, args.budget).items():
                    caught[r] += c
    return caught["uncertainty"] / max(caught["random"], 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--wrong-subanswers", type=int, default=3, help="wrong lookups of M_n per cycle")
    parser.add_argument("--wrong-rate", type=float, default=0.3, help="the panel's wrong overseer's error rate")
    parser.add_argument("--seconds-per-item", type=float, default=8.0, help="modelled time per verdict")
    parser.add_argument("--budget-seeds", type=int, default=1, help="training runs for the budget ratio (0: skip)")
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    args = parser.parse_args()
    totals = {p: {"trained": 0, "wrong_trained": 0, "verified_wrong": 0, "disputes": 0, "held": 0}
              for p in ("old", "new")}
    verdicts = 0
    with tempfile.TemporaryDirectory() as tmp:
        for cycle in range(1, args.cycles + 1):
            out = one_cycle(Path(tmp), cycle, args)
            verdicts += out.pop("verdicts")["n"]
            for policy, counts in out.items():
                for k, v in counts.items():
                    totals[policy][k] += v
    minutes = verdicts * args.seconds_per_item / 60
    print(f"panel: {args.cycles} cycles, node review, every item judged twice ({verdicts} verdicts, modelled "
          f"{args.seconds_per_item:g} s each); overseers ann, ben right, cat wrong {args.wrong_rate:.0%} of the time")
    print(f"{'policy':<6} {'trained':>8} {'wrong trained':>14} {'wrong stored as verified':>25} {'disputes':>9} "
          f"{'held':>5} {'targets/overseer-min':>21}")
    for policy, t in totals.items():
        print(f"{policy:<6} {t['trained']:>8} {t['wrong_trained']:>14} {t['verified_wrong']:>25} "
              f"{t['disputes']:>9} {t['held']:>5} {t['trained'] / max(minutes, 1e-9):>21.2f}")
    ratio = budget_ratio(args.budget_seeds)
    if ratio is not None:
        print(f"budget (oversight_budget.py, {args.budget_seeds} seed(s)): uncertainty / random = {ratio:.2f}x "
              f"(goal >= 3x: {'met' if ratio >= 3 else 'missed'})")
    if args.json:
        new, old = totals["new"], totals["old"]
        print(json.dumps({"verified_wrong": new["verified_wrong"], "verified_wrong_old": old["verified_wrong"],
                          "wrong_trained": new["wrong_trained"], "wrong_trained_old": old["wrong_trained"],
                          "disputes_held": new["held"], "targets_per_overseer_minute": round(
                              new["trained"] / max(minutes, 1e-9), 3), "uncertainty_vs_random": ratio}))


if __name__ == "__main__":
    main()
