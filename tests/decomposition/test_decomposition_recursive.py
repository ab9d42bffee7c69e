"""`recursive_program`: subquestions decomposed again down to a depth, inside one graph, in shared waves."""

from dataclasses import dataclass

import pytest

from decomposition import Answer, Executor
from decomposition.recursive import recursive_program


@dataclass(frozen=True)
class Sub:
    text: str
    prompt: str
    depends_on: tuple[int, ...] = ()
    kind: str = "subquestion"


class Summer:
    """Answers "sum a b ..." prompts; counts calls and batch sizes."""

    version = "sum"

    def __init__(self):
        self.batches = []

    def answer(self, prompts):
        self.batches.append(list(prompts))
        return [Answer(str(sum(int(x) for x in p.split()[1:]))) for p in prompts]


def split_program(text: str):
    """H for "sum x1 .. xn": n <= 2 asks the model; else sums of the two halves (with explicit dependencies on
    its own node ids), then a recomposition node depending on both."""
    xs = text.split()[1:]
    if len(xs) <= 2:
        [a] = yield [Sub(text, text, kind="direct")]
        return a
    half = len(xs) // 2
    left, right = "sum " + " ".join(xs[:half]), "sum " + " ".join(xs[half:])
    a, b = yield [Sub(left, left), Sub(right, right)]
    recompose = f"sum {a} {b}"
    [total] = yield [Sub(recompose, recompose, depends_on=(1, 2), kind="recompose")]
    return total


def expand(item):
    return split_program(item.text) if getattr(item, "kind", None) == "subquestion" else None


def run(question, depth):
    answerer = Summer()
    [execution] = Executor(answerer, memo=False).run([question], [recursive_program(split_program(question),
                                                                                    expand, depth)])
    return execution, answerer


def test_depth_one_is_the_program_unchanged():
    program = split_program("sum 1 2 3 4")
    assert recursive_program(program, expand, 1) is program
    execution, answerer = run("sum 1 2 3 4", 1)
    assert execution.ok and execution.answer == "10" and len(execution.graph) == 4
    assert answerer.batches == [["sum 1 2", "sum 3 4"], ["sum 3 7"]]


def test_depth_two_decomposes_subquestions_again_in_shared_waves():
    execution, answerer = run("sum 1 2 3 4 5 6 7 8", 2)
    assert execution.ok and execution.answer == "36"
    # the two halves are decomposed side by side: their subquestions share waves
    assert answerer.batches == [["sum 1 2", "sum 3 4", "sum 5 6", "sum 7 8"], ["sum 3 7", "sum 11 15"],
                                ["sum 10 26"]]
    g = execution.graph
    assert len(g) == 1 + 4 + 2 + 1
    texts = {n: g.node(n)["text"] for n in g.nx if n}
    final = next(n for n, t in texts.items() if t == "sum 10 26")
    halves = [n for n, t in texts.items() if t in ("sum 3 7", "sum 11 15")]
    # the root's recomposition depends on the nodes that stand for the decomposed halves
    assert sorted(g.dependencies(final)) == sorted(halves)
    left = next(n for n, t in texts.items() if t == "sum 3 7")
    assert sorted(texts[d] for d in g.dependencies(left)) == ["sum 1 2", "sum 3 4"]


def test_depth_three_recurses_until_the_leaves_are_simple():
    execution, _ = run("sum " + " ".join(["1"] * 8), 3)
    assert execution.ok and execution.answer == "8"
    assert all(len(execution.graph.node(n)["prompt"].split()) <= 3 for n in execution.graph.nx if n)


def test_a_bad_dependency_fails_only_its_graph():
    def bad(text):
        yield [Sub("sum 1", "sum 1", depends_on=(7,), kind="direct")]
        return "x"

    answerer = Summer()
    runs = Executor(answerer).run(["a", "sum 1 2 3"], [recursive_program(bad("a"), expand, 2),
                                                       recursive_program(split_program("sum 1 2 3"), expand, 2)])
    assert not runs[0].ok and "unknown nodes" in runs[0].error
    assert runs[1].ok and runs[1].answer == "6"


def test_depth_must_be_positive():
    with pytest.raises(ValueError):
        recursive_program(split_program("sum 1"), expand, 0)
