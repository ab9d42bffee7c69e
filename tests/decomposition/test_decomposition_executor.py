"""Executor: waves batch every ready node of every graph into one call; memo, failures, budgets, baseline."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from decomposition import Answer, Answerer, Budget, Executor, WaveStats, run_sequential


class Scripted:
    """A deterministic answerer that records every batch: "sq N" -> N*N, "inc N" -> N+1, else "?"."""

    def __init__(self, version: str = "M0", fail: frozenset[str] = frozenset(), raises: bool = False):
        self.version, self.fail, self.raises = version, fail, raises
        self.batches: list[list[str]] = []

    def answer(self, prompts: list[str]) -> list[Answer]:
        self.batches.append(list(prompts))
        if self.raises:
            raise RuntimeError("CUDA out of memory")
        return [self._one(p) for p in prompts]

    def _one(self, prompt: str) -> Answer:
        if prompt in self.fail:
            return Answer("", error="boom")
        op, _, arg = prompt.partition(" ")
        n = int(arg) if arg.lstrip("-").isdigit() else None
        text = {"sq": lambda: str(n * n), "inc": lambda: str(n + 1)}.get(op, lambda: "?")() if n is not None else "?"
        return Answer(text, logprobs=(-0.1,))


@dataclass(frozen=True)
class Sub:
    """A subquestion object (like ida's Question) whose prompt differs from its text."""

    text: str
    prompt: str
    depends_on: tuple[int, ...] | None = None


def pair(a: int, b: int):
    """a² + b², asking both squares at once."""
    x, y = yield [f"sq {a}", f"sq {b}"]
    return str(int(x) + int(y))


def chain(n: int, steps: int):
    """n + steps, one increment per wave."""
    for _ in range(steps):
        [answer] = yield [f"inc {n}"]
        n = int(answer)
    return str(n)


def direct(value: str):
    return value
    yield  # noqa: unreachable — makes this a generator


def run(answerer, programs, budget=Budget(), memo=True, on_wave=None):
    executor = Executor(answerer, budget, memo)
    roots = [f"q{i}" for i in range(len(programs))]
    return executor, executor.run(roots, programs, on_wave=on_wave)


def test_scripted_answerer_is_an_answerer():
    assert isinstance(Scripted(), Answerer)


def test_one_batched_call_per_wave_across_graphs():
    answerer, waves = Scripted(), []
    ex, results = run(answerer, [pair(1, 2), pair(3, 4), chain(0, 3)], on_wave=waves.append)
    assert [r.answer for r in results] == ["5", "25", "3"] and all(r.ok for r in results)
    assert answerer.batches == [["sq 1", "sq 2", "sq 3", "sq 4", "inc 0"], ["inc 1"], ["inc 2"]]
    assert len(answerer.batches) == ex.stats.waves == ex.stats.answerer_calls == 3
    assert waves == [WaveStats(0, 3, 5, 5, 0), WaveStats(1, 1, 1, 1, 0), WaveStats(2, 1, 1, 1, 0)]
    g = results[0].graph
    assert [g.node(n)["answered_by"] for n in (1, 2, 0)] == ["M0", "M0", "H"]
    assert g.node(0)["status"] == "answered" and g.node(1)["logprobs"] == [-0.1]
    assert results[2].graph.depth() == 3


def test_identical_prompts_are_asked_once_and_memoized_per_version():
    answerer = Scripted()
    ex, results = run(answerer, [pair(1, 2), pair(2, 1), pair(1, 1)])
    assert [r.answer for r in results] == ["5", "5", "2"]
    assert answerer.batches == [["sq 1", "sq 2"]]
    assert (ex.stats.subquestions, ex.stats.unique_prompts_asked, ex.stats.memo_hits) == (6, 2, 4)
    by = [r.graph.node(n)["answered_by"] for r in results for n in (1, 2)]
    assert by == ["M0", "M0", "memo:M0", "memo:M0", "memo:M0", "memo:M0"]

    again = ex.run(["q"], [pair(2, 1)])  # the memo lives across runs
    assert again[0].answer == "5" and len(answerer.batches) == 1
    assert again[0].graph.node(1)["answered_by"] == "memo:M0" and again[0].graph.node(1)["logprobs"] == [-0.1]
    assert ex.stats.waves == 2 and ex.stats.answerer_calls == 1

    answerer.version = "M1"  # a new model version is asked afresh
    again = ex.run(["q"], [pair(2, 1)])
    assert answerer.batches[-1] == ["sq 2", "sq 1"] and again[0].graph.node(1)["answered_by"] == "M1"


def test_memo_off_asks_every_node():
    answerer = Scripted()
    ex, results = run(answerer, [pair(1, 1), pair(1, 2)], memo=False)
    assert answerer.batches == [["sq 1", "sq 1", "sq 1", "sq 2"]]
    assert ex.stats.memo_hits == 0 and ex.stats.unique_prompts_asked == 4
    ex.run(["q"], [pair(1, 2)])
    assert answerer.batches[-1] == ["sq 1", "sq 2"]


def test_failed_answer_fails_only_its_graph_and_is_not_memoized():
    answerer = Scripted(fail=frozenset({"sq 3"}))
    ex, results = run(answerer, [pair(1, 2), pair(4, 3), chain(0, 2)])
    assert [r.ok for r in results] == [True, False, True]
    bad = results[1]
    assert bad.answer is None and bad.error == "subquestion 2 failed: boom"
    assert bad.graph.node(2)["status"] == "failed" and bad.graph.node(2)["error"] == "boom"
    assert bad.graph.node(1)["answer"] == "16"  # nothing answered is lost
    assert bad.graph.node(0)["status"] == "failed" and bad.graph.node(0)["error"] == bad.error
    assert results[2].answer == "2"
    answerer.fail = frozenset()
    assert ex.run(["q"], [pair(3, 1)])[0].answer == "10" and answerer.batches[-1] == ["sq 3"]


def test_duplicates_of_a_failed_prompt_fail_too():
    answerer = Scripted(fail=frozenset({"sq 3"}))
    _, results = run(answerer, [pair(3, 1), pair(3, 2), pair(1, 2)])
    assert [r.ok for r in results] == [False, False, True]
    assert answerer.batches == [["sq 3", "sq 1", "sq 2"]]


def test_answerer_exception_fails_the_graphs_of_that_wave_only():
    answerer = Scripted(raises=True)
    _, results = run(answerer, [pair(1, 2), direct("7")])
    assert not results[0].ok and "answerer raised RuntimeError: CUDA out of memory" in results[0].error
    assert results[1].answer == "7"


def test_wrong_answer_count_fails_the_wave():
    class Short(Scripted):
        def answer(self, prompts):
            return super().answer(prompts)[:-1]

    _, results = run(Short(), [pair(1, 2)])
    assert results[0].error == "subquestion 1 failed: answerer returned 1 answers for 2 prompts"


def test_direct_answers_need_no_call():
    answerer = Scripted()
    ex, results = run(answerer, [direct("42"), direct("x")])
    assert [r.answer for r in results] == ["42", "x"] and answerer.batches == [] and ex.stats.waves == 0
    root = results[0].graph.node(0)
    assert (root["status"], root["answered_by"], root["answer"]) == ("direct", "H", "42")


def test_node_budget_fails_only_the_runaway_graph():
    answerer = Scripted()
    _, results = run(answerer, [chain(0, 5), chain(10, 2)], budget=Budget(max_nodes=3))
    assert not results[0].ok and "max_nodes=3" in results[0].error
    assert len(results[0].graph) == 3 and results[0].graph.node(2)["answer"] == "2"
    assert results[1].answer == "12"


def test_depth_budget_and_endless_empty_batches():
    def endless():
        while True:
            yield []

    _, results = run(Scripted(), [chain(0, 3), chain(0, 2), endless()], budget=Budget(max_depth=2))
    assert [r.ok for r in results] == [False, True, False]
    assert "max_depth=2" in results[0].error and "max_depth=2" in results[2].error
    assert results[0].graph.node(0)["status"] == "failed" and len(results[0].graph) == 3
    with pytest.raises(ValueError):
        Budget(max_depth=0)


def test_depth_budget_counts_waves_within_a_batch():
    def program():
        yield [Sub("a", "sq 1"), Sub("b", "sq 2", depends_on=(1,))]  # needs two waves
        return "done"

    _, results = run(Scripted(), [program()], budget=Budget(max_depth=1))
    assert "max_depth=1" in results[0].error
    assert results[0].graph.node(1)["answer"] == "1" and results[0].graph.node(2)["status"] == "pending"


def test_raising_and_misbehaving_programs_fail_alone():
    def raises_later():
        yield ["sq 2"]
        raise ValueError("bad recomposition")

    def raises_first():
        raise KeyError("x")
        yield  # noqa: unreachable

    def returns_int():
        yield ["sq 2"]
        return 4

    def yields_junk():
        yield [object()]

    programs = [raises_later(), raises_first(), returns_int(), yields_junk(), pair(1, 2)]
    _, results = run(Scripted(), programs)
    errors = [r.error for r in results]
    assert errors[0] == "program raised ValueError: bad recomposition"
    assert errors[1] == "program raised KeyError: 'x'"
    assert errors[2] == "program returned int, expected a str answer"
    assert errors[3].startswith("invalid subquestion: a subquestion must be a str")
    assert results[4].answer == "5"
    assert results[0].graph.node(1)["answer"] == "4"


def test_failing_closes_the_program():
    closed = []

    def program():
        try:
            yield [f"sq {i}" for i in range(5)]
        finally:
            closed.append(True)

    _, results = run(Scripted(), [program()], budget=Budget(max_nodes=3))
    assert not results[0].ok and closed == [True]


def test_default_and_explicit_dependencies():
    def program():
        a, b = yield [Sub("first", "inc 1"), Sub("second", "inc 1 then", depends_on=(1,))]
        c, d = yield [Sub("third", "sq 3"), Sub("fourth", "sq 4", depends_on=())]
        return " ".join([a, b, c, d])

    answerer = Scripted()
    _, results = run(answerer, [program()])
    g = results[0].graph
    assert results[0].answer == "2 ? 9 16"
    assert answerer.batches == [["inc 1"], ["inc 1 then"], ["sq 3", "sq 4"]]  # node 2 waits for node 1
    assert g.node(1)["text"] == "first" and g.node(1)["prompt"] == "inc 1"
    assert g.dependencies(2) == [1]
    assert g.dependencies(3) == [1, 2]  # default: everything answered so far
    assert g.dependencies(4) == []
    assert g.dependencies(0) == [1, 2, 3, 4] and g.depth() == 3


def test_invalid_explicit_dependency_fails_the_graph():
    def program():
        yield [Sub("a", "sq 1", depends_on=(9,))]

    _, results = run(Scripted(), [program(), pair(1, 2)])
    assert results[0].error == "invalid subquestion: unknown node 9" and results[1].ok


def test_inputs_are_checked_before_any_work():
    ex = Executor(Scripted())
    with pytest.raises(ValueError, match="2 roots but 1 programs"):
        ex.run(["a", "b"], [pair(1, 2)])
    with pytest.raises(TypeError):
        ex.run([3], [pair(1, 2)])
    root = Sub("What is 1²+2²?", "sq-sum 1 2 =")
    [result] = ex.run([root], [pair(1, 2)])
    assert result.graph.node(0)["text"] == root.text and result.graph.node(0)["prompt"] == root.prompt


def test_run_sequential_matches_waves():
    def programs():
        return [pair(1, 2), pair(2, 1), chain(3, 4), direct("d"), pair(5, 6), chain(3, 2)]

    roots = [f"q{i}" for i in range(6)]
    waves = Executor(Scripted()).run(roots, programs())
    baseline_answerer = Scripted()
    sequential = run_sequential(baseline_answerer, roots, programs())
    assert [(r.answer, r.error) for r in sequential] == [(r.answer, r.error) for r in waves]
    assert all(len(batch) == 1 for batch in baseline_answerer.batches)
    assert len(baseline_answerer.batches) == 2 + 2 + 4 + 0 + 2 + 2
    for s, w in zip(sequential, waves):
        assert s.graph.to_json()["edges"] == w.graph.to_json()["edges"]
        assert [s.graph.node(n)["answer"] for n in s.graph.nodes()] == \
               [w.graph.node(n)["answer"] for n in w.graph.nodes()]


def test_graph_of_an_execution_round_trips_through_json():
    from decomposition import SubquestionGraph

    _, results = run(Scripted(fail=frozenset({"sq 4"})), [pair(1, 2), pair(3, 4)])
    for r in results:
        assert SubquestionGraph.from_json(r.graph.to_json()).to_json() == r.graph.to_json()
