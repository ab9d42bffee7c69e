"""The difficulty curriculum: which train difficulties a cycle amplifies (`amplify.curriculum`), its window.

A window is [the task's lowest train difficulty, high]; train questions outside it are not amplified that cycle.

- `all` (default): every train difficulty, every cycle (the harness before curricula).
- `schedule`: high = start + step x (cycle - 1), or floor(start x factor^(cycle - 1)) (Lee et al.'s recipe).
- `frontier`: high = floor(ahead x F), or F + step, where F is M_(n-1)'s frontier estimated WITHOUT labels
  (`start` while F is 0). The estimate samples `probe_questions` unlabelled train questions per difficulty (seeded
  by the run's seed and the cycle: a resumed phase gets the same window) and asks the student alone:
  `probe_samples` >= 2 answers sampled at temperature 1 give each question a self-consistency score (share of
  samples that give the most common well-formed, complete answer), 1 gives the greedy answer's confidence (its
  probability; 0 when not well-formed or cut). A difficulty is known when its mean score reaches `threshold`;
  F is the largest difficulty known together with every easier one. Only train questions and the student's own
  outputs are read: never an eval question, never a true answer.

The window is clipped to the train difficulties; `check_curriculum` rejects, before any work, a curriculum on a
task with one train difficulty or one whose first window holds no train question.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from ida.config import CurriculumConfig, RunConfig
from ida.tasks import Question
from ida.tasks.answers import well_formed

FIELD = "amplify.curriculum"


@dataclass(frozen=True)
class Window:
    """The difficulties one cycle amplifies; `estimated_frontier` is set by the frontier curriculum only,
    `probe` holds its label-free score per difficulty probed."""

    kind: str
    low: int
    high: int
    estimated_frontier: int | None = None
    probe: dict[int, float] = field(default_factory=dict)

    def contains(self, question: Question) -> bool:
        return self.low <= question.difficulty <= self.high

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["probe"] = {str(d): round(s, 4) for d, s in self.probe.items()}
        return out


def train_difficulties(task: Any) -> list[int]:
    return sorted({q.difficulty for q in task.questions("train")})


class Curriculum(Protocol):
    def window(self, cycle: int, task: Any, student: Any, seed: int) -> Window: ...


@dataclass(frozen=True)
class AllCurriculum:
    cfg: CurriculumConfig

    def window(self, cycle: int, task: Any, student: Any, seed: int) -> Window:
        ds = train_difficulties(task)
        return Window("all", ds[0], ds[-1])


@dataclass(frozen=True)
class ScheduleCurriculum:
    cfg: CurriculumConfig

    def high(self, cycle: int) -> int:
        c = self.cfg
        if c.step is not None:
            return c.start + c.step * (cycle - 1)
        return math.floor(c.start * (c.factor or 1.0) ** (cycle - 1) + 1e-9)

    def window(self, cycle: int, task: Any, student: Any, seed: int) -> Window:
        ds = train_difficulties(task)
        return Window("schedule", ds[0], max(ds[0], min(self.high(cycle), ds[-1])))


@dataclass(frozen=True)
class FrontierCurriculum:
    cfg: CurriculumConfig

    def window(self, cycle: int, task: Any, student: Any, seed: int) -> Window:
        ds = train_difficulties(task)
        estimated, probe = estimate_frontier(task, student, self.cfg, seed)
        c = self.cfg
        if estimated == 0:
            high = c.start
        else:
            high = estimated + c.step if c.step is not None else math.floor(c.ahead * estimated + 1e-9)
        return Window("frontier", ds[0], max(ds[0], min(high, ds[-1])), estimated, probe)


CURRICULA: dict[str, type] = {"all": AllCurriculum, "schedule": ScheduleCurriculum, "frontier": FrontierCurriculum}


def make_curriculum(cfg: CurriculumConfig) -> Curriculum:
    return CURRICULA[cfg.kind](cfg)


def estimate_frontier(task: Any, student: Any, cfg: CurriculumConfig, seed: int) -> tuple[int, dict[int, float]]:
    """(the estimated frontier, the label-free score per difficulty probed); see the module docstring. Probing
    stops at the first difficulty not known."""
    by_difficulty: dict[int, list[Question]] = {}
    for q in task.questions("train"):
        by_difficulty.setdefault(q.difficulty, []).append(q)
    reached, scores = 0, {}
    for d in sorted(by_difficulty):
        pool = by_difficulty[d]
        probes = random.Random(f"curriculum:{seed}:{d}").sample(pool, min(cfg.probe_questions, len(pool)))
        scores[d] = _score(task, student, probes, cfg, seed * 1009 + d)
        if scores[d] < cfg.threshold:
            break
        reached = d
    return reached, scores


def _score(task: Any, student: Any, probes: list[Question], cfg: CurriculumConfig, seed: int) -> float:
    """Mean label-free score of the probe questions (self-consistency, or confidence with one sample)."""
    k = cfg.probe_samples
    prompts = [q.prompt for q in probes for _ in range(k)]
    budget = student.max_answer_tokens + 1
    if k == 1:
        gens = student.generate(prompts, max_new_tokens=budget)
    else:
        gens = student.generate(prompts, max_new_tokens=budget, temperature=1.0, seed=seed)
    answers = student.answers(gens)
    parse = task.answer_parser or (lambda text: text)
    total = 0.0
    for i, q in enumerate(probes):
        texts = [None if a.truncated or a.failed else parse(a.text) for a in answers[i * k:(i + 1) * k]]
        formed = [t for t in texts if well_formed(task, q, t)]
        if k == 1:
            total += math.exp(sum(answers[i].logprobs or (0.0,))) if formed else 0.0
        else:
            total += Counter(formed).most_common(1)[0][1] / k if formed else 0.0
    return total / len(probes) if probes else 0.0


def check_curriculum(config: RunConfig, task: Any) -> None:
    """ValueError naming the field for a curriculum this task cannot run (see the module docstring)."""
    c = config.amplify.curriculum
    if c.kind == "all":
        return
    ds = train_difficulties(task)
    name = task.name
    if len(ds) < 2:
        raise ValueError(f"{FIELD}.kind: task {name!r} has {'one train difficulty' if ds else 'no train questions'}; "
                         f"a {c.kind} curriculum needs several (set {FIELD}.kind=all)")
    if c.start < ds[0]:
        raise ValueError(f"{FIELD}.start: {c.start} is below task {name!r}'s lowest train difficulty {ds[0]}, so "
                         f"the first window holds no train question; set {FIELD}.start >= {ds[0]}")


def window_event(events: Any, cycle: int, window: Window, filters: dict) -> Any:
    """`events` (a writer for `RunRecords.finish_phase(also=...)`) plus one `curriculum_window` event, so the window
    lands in the run's event log in the phase's transaction (a resumed phase does not log it twice)."""

    def write(records: Any) -> None:
        if events is not None:
            events(records)
        records.event("system", "curriculum_window", {"cycle": cycle, **window.as_dict(), "filters": filters})

    return write
