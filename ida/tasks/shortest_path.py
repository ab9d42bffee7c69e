"""Shortest path: a random strongly connected directed graph on nodes 0..N-1 (a random Hamiltonian cycle plus
`extra_edges` random edges; fact `a > b`: an edge a→b). Three kinds of question, D = the shortest distance:

- `dist A B`: D(A, B); difficulty D(A, B). H: an edge A→B gives 1 directly; else c = `next A B` (which must be an
  out-neighbour of A), then `dist c B` + 1.
- `next A B`: the out-neighbour of A that starts a shortest path to B (ties: smallest id); difficulty 0 if
  D(A, B) ≤ 2, else D(A, B) - 1. H: B itself if it is an out-neighbour, else the smallest out-neighbour with an
  edge to B (its own lookups); else rounds j = 2, 3, ...: it asks `within c B j` for every out-neighbour c and
  returns the smallest c answered `yes` in the first round with one.
- `within C B J`: `yes` if D(C, B) ≤ J else `no`; difficulty 0 if J = 1 or there is an edge C→B, else J - 1.
  H: an edge C→B gives yes, J = 1 gives no (its own lookups); else `yes` iff `within c B J-1` is yes for some
  out-neighbour c.

`within` bounds the search for the next step: the obvious H for `next` (ask `dist c B` of every out-neighbour c)
asks questions of larger distance than the one it decomposes, and `dist` asks `next` of the same pair, so no
difficulty could shrink from a question to its subquestions. With `within`, every subquestion is strictly easier.
The eval split holds `dist` questions only; the train split holds all three kinds (`within` up to
J = max_dist - 1, enough for everything H asks about a question of the space).
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass

from ida.tasks.base import UNKNOWN, Form, HProgram, ask, parse_int
from ida.tasks.world_task import Sub, WorldTask, check_int, numbers, per_form, token_int

KINDS = ("dist", "next", "within")


@dataclass(frozen=True)
class Graph:
    out: tuple[tuple[int, ...], ...]  # sorted out-neighbours per node
    order: tuple[tuple[int, int], ...]  # the order the edge facts are written in
    dist: tuple[tuple[int, ...], ...]  # dist[a][b]; -1 when b is unreachable from a

    @property
    def diameter(self) -> int:
        return max(max(row) for row in self.dist)


class ShortestPathTask(WorldTask[Graph, tuple[str, int, int, int]]):
    """Defaults: in the in-weights form 12 nodes and 18 extra edges (mean out-degree 2.5, diameter about 5, about
    800 questions); in the in-context form 8 nodes and 8 extra edges (16 edge facts, contexts of 63 tokens).
    `max_dist`, the largest distance asked about, defaults to no limit in the in-weights form and to
    min(4, n_nodes - 1) in the in-context form, where it also fixes the difficulties: 0..max_dist."""

    name = "shortest_path"
    # For reviewers: what the evidence's symbols mean (one line), and how to judge an answer.
    legend = (
        'u > v: an edge from u to v; first the edges out of A, then a shortest path from A to B, '
        'one edge per step')
    review_guidelines = (
        'A distance is the number of edges on the listed path; Edit to it if the answer differs (no'
        " path: the task's no-path answer).")

    def __init__(self, *, form: Form = "weights", seed: int = 0, n_nodes: int | None = None,
                 extra_edges: int | None = None, max_dist: int | None = None, eval_per_difficulty: int = 16,
                 n_train: int = 2000) -> None:
        super().__init__(form=form, seed=seed, eval_per_difficulty=eval_per_difficulty, n_train=n_train)
        owner = type(self).__name__
        self.n_nodes = check_int(owner, "n_nodes", per_form(self.form, n_nodes, 12, 8), 2, 200)
        n = self.n_nodes
        extra_edges = per_form(self.form, extra_edges, n * 3 // 2, n)
        self.extra_edges = check_int(owner, "extra_edges", extra_edges, 0, n * (n - 2))
        if max_dist is None and self.form == "context":
            max_dist = min(4, n - 1)
        self.max_dist = None if max_dist is None else check_int(owner, "max_dist", max_dist, 1, n - 1)
        self._build()

    # ---- worlds ---------------------------------------------------------------------------------------------
    def _graph(self, edges: list[tuple[int, int]]) -> Graph:
        n = self.n_nodes
        out: list[list[int]] = [[] for _ in range(n)]
        for a, b in edges:
            out[a].append(b)
        dist = []
        for target in range(n):  # BFS backwards from every target
            row = [-1] * n
            row[target] = 0
            queue = deque([target])
            while queue:
                b = queue.popleft()
                for a in range(n):
                    if row[a] < 0 and b in out[a]:
                        row[a] = row[b] + 1
                        queue.append(a)
            if min(row) < 0:
                raise ValueError(f"{self.name}: the graph is not strongly connected")
            dist.append(row)
        by_source = tuple(tuple(dist[b][a] for b in range(n)) for a in range(n))
        return Graph(tuple(tuple(sorted(o)) for o in out), tuple(edges), by_source)

    def _make_world(self, rng: random.Random) -> Graph:
        n = self.n_nodes
        cycle = list(range(n))
        rng.shuffle(cycle)
        edges = {(cycle[i], cycle[(i + 1) % n]) for i in range(n)}
        others = [(a, b) for a in range(n) for b in range(n) if a != b and (a, b) not in edges]
        edges |= set(rng.sample(others, self.extra_edges))
        order = sorted(edges)
        rng.shuffle(order)
        return self._graph(order)

    def _facts(self, world: Graph) -> tuple[str, ...]:
        return tuple(f"{a} > {b}" for a, b in world.order)

    def _parse_facts(self, facts: tuple[str, ...]) -> Graph:
        edges: list[tuple[int, int]] = []
        for fact in facts:
            parts = fact.split()
            a = token_int(parts[0], 0, self.n_nodes - 1) if len(parts) == 3 and parts[1] == ">" else None
            b = token_int(parts[2], 0, self.n_nodes - 1) if a is not None else None
            if a is None or b is None or a == b or (a, b) in edges:
                raise ValueError(f"{self.name}: bad fact {fact!r}")
            edges.append((a, b))
        return self._graph(edges)

    # ---- questions ------------------------------------------------------------------------------------------
    def _cap(self, world: Graph) -> int:
        return world.diameter if self.max_dist is None else self.max_dist

    def _space(self, world: Graph) -> list[tuple[str, int]]:
        n, cap = self.n_nodes, self._cap(world)
        pairs = [(a, b) for a in range(n) for b in range(n) if a != b]
        out = [(f"{kind} {a} {b}", self._difficulty(world, (kind, a, b, 0)))
               for kind in ("dist", "next") for a, b in pairs if world.dist[a][b] <= cap]
        out += [(f"within {c} {b} {j}", self._difficulty(world, ("within", c, b, j)))
                for j in range(1, cap) for c, b in pairs]
        return out

    def _parse_text(self, world: Graph, text: str) -> tuple[str, int, int, int]:
        parts = text.split()
        last = self.n_nodes - 1
        if len(parts) == (4 if parts[:1] == ["within"] else 3) and parts[0] in KINDS:
            a, b = token_int(parts[1], 0, last), token_int(parts[2], 0, last)
            j = token_int(parts[3], 1, last) if parts[0] == "within" else 0
            if a is not None and b is not None and j is not None and a != b:
                return parts[0], a, b, j
        raise ValueError(f"{self.name}: not a question: {text!r}")

    def _difficulty(self, world: Graph, parsed: tuple[str, int, int, int]) -> int:
        kind, a, b, j = parsed
        d = world.dist[a][b]
        if kind == "dist":
            return d
        if kind == "next":
            return 0 if d <= 2 else d - 1
        return 0 if j == 1 or b in world.out[a] else j - 1

    def _answer(self, world: Graph, parsed: tuple[str, int, int, int]) -> str:
        kind, a, b, j = parsed
        d = world.dist[a][b]
        if kind == "dist":
            return str(d)
        if kind == "next":
            return str(min(c for c in world.out[a] if world.dist[c][b] == d - 1))
        return "yes" if d <= j else "no"

    def _program(self, world: Graph, parsed: tuple[str, int, int, int], sub: Sub) -> HProgram:
        kind, a, b, j = parsed
        out = world.out
        if kind == "dist":
            if b in out[a]:
                return "1"
            answers = yield from ask([sub(f"next {a} {b}")])
            c = parse_int(answers[0], 0, self.n_nodes - 1) if answers else None
            if c is None or c not in out[a]:
                return UNKNOWN
            answers = yield from ask([sub(f"dist {c} {b}")])
            e = parse_int(answers[0], 1, self.n_nodes - 2) if answers else None
            return UNKNOWN if e is None else str(e + 1)
        if kind == "next":
            if b in out[a]:
                return str(b)
            direct = [c for c in out[a] if b in out[c]]
            if direct:
                return str(direct[0])
            for round_j in range(2, self.n_nodes - 1):
                answers = yield from ask([sub(f"within {c} {b} {round_j}") for c in out[a]])
                flags = [_yes_no(s) for s in answers] if answers else [None]
                if None in flags:
                    return UNKNOWN
                hits = [c for c, yes in zip(out[a], flags) if yes]
                if hits:
                    return str(hits[0])
            return UNKNOWN
        if b in out[a]:
            return "yes"
        if j == 1:
            return "no"
        answers = yield from ask([sub(f"within {c} {b} {j - 1}") for c in out[a]])
        flags = [_yes_no(s) for s in answers] if answers else [None]
        if None in flags:
            return UNKNOWN
        return "yes" if any(flags) else "no"

    def _evidence(self, world: Graph, parsed: tuple[str, int, int, int]) -> list[str]:
        """The edges H looks up (out of A) and a shortest path A -> B; for `within`, every edge out of the nodes
        closer than J to C (what shows there is no short path when the answer is no)."""
        kind, a, b, j = parsed
        edges = [(a, c) for c in world.out[a]]
        if kind == "within":
            ball = [c for c in range(self.n_nodes) if 0 <= world.dist[a][c] < j]
            edges += [(c, e) for c in sorted(ball, key=lambda c: world.dist[a][c]) for e in world.out[c]]
        if world.dist[a][b] >= 0 and (kind != "within" or world.dist[a][b] <= j):
            x = a
            while x != b:
                nxt = min(c for c in world.out[x] if world.dist[c][b] == world.dist[x][b] - 1)
                edges.append((x, nxt))
                x = nxt
        return [f"{u} > {v}" for u, v in edges]

    def _eval_eligible(self, text: str) -> bool:
        return text.startswith("dist ")

    def _tokens(self) -> list[str]:
        return [*KINDS, "yes", "no", ">", *numbers(0, self.n_nodes - 1)]

    def _context_difficulties(self) -> list[int]:
        return list(range(self.max_dist + 1))  # type: ignore[operator]

    def _context_eval_difficulties(self) -> list[int]:
        return list(range(1, self.max_dist + 1))  # type: ignore[operator]


def _yes_no(text: str) -> bool | None:
    answer = text.strip()
    return True if answer == "yes" else False if answer == "no" else None
