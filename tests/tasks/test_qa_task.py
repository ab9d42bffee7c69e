"""`QATask`: questions from JSONL, seeded splits, checkers, vocabulary, and the config error without an LLM."""

import json

import pytest

from ida.config import load_config
from ida.run import start_run
from ida.tasks import make_task


def write(tmp_path, rows, name="q.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + "\n")
    return path


ROWS = [{"id": f"q{i}", "question": f"What is {i} plus {i} ?", "answer": str(2 * i), "difficulty": 1 + i % 2}
        for i in range(10)] + [{"question": "Why is the sky blue ?", "context": "Rayleigh scattering ."}]


def test_splits_are_seeded_disjoint_and_hold_out_only_referenced_questions(tmp_path):
    path = write(tmp_path, ROWS)
    a, b = make_task("qa", path=str(path), seed=1, eval_fraction=0.3), make_task("qa", path=str(path), seed=1,
                                                                                       eval_fraction=0.3)
    assert [q.id for q in a.questions("eval")] == [q.id for q in b.questions("eval")] and len(a.questions("eval")) == 3
    every = {q.id for q in a.questions("train")} | {q.id for q in a.questions("eval")}
    assert every == {f"q{i}" for i in range(10)} | {"11"}
    assert not {q.id for q in a.questions("train")} & {q.id for q in a.questions("eval")}
    assert all(a.true_answer(q) is not None for q in a.questions("eval"))
    other = make_task("qa", path=str(path), seed=2, eval_fraction=0.3)
    assert [q.id for q in other.questions("eval")] != [q.id for q in a.questions("eval")]
    free = next(q for q in a.questions("train") if q.id == "11")
    assert a.true_answer(free) is None and free.context == ("Rayleigh scattering .",)
    assert free.prompt == "Rayleigh scattering . | Why is the sky blue ? ="
    assert a.difficulties() == [1, 2]


def test_checkers_exact_numeric_and_callable(tmp_path):
    path = write(tmp_path, [{"id": "a", "question": "q ?", "answer": "12.5"}])
    exact = make_task("qa", path=str(path))
    q = exact.questions("eval")[0]  # the only referenced question is held out
    assert exact.check(q, " 12.5 ") and not exact.check(q, "12.50") and not exact.check(q, None)
    numeric = make_task("qa", path=str(path), checker="numeric", tolerance=0.01)
    assert numeric.check(q, "The answer is 12.50.") and numeric.check(q, "12.51") and not numeric.check(q, "13")
    assert not numeric.check(q, "no number")
    custom = make_task("qa", path=str(path), checker="operator:contains")  # contains(answer, reference)
    assert custom.check(q, "about 12.5 or so") and not custom.check(q, "12")


def test_vocabulary_covers_questions_contexts_answers_and_prompt_tokens(tmp_path):
    task = make_task("qa", path=str(write(tmp_path, ROWS)))
    vocab = set(task.vocabulary())
    for q in task.questions("train") + task.questions("eval"):
        assert set(q.prompt.split()) <= vocab
        if task.true_answer(q):
            assert set(task.true_answer(q).split()) <= vocab


@pytest.mark.parametrize("lines, message", [
    (['{"question": ""}'], "non-empty"), (["not json"], "not JSON"), ([], "no questions"),
    (['{"id": "x", "question": "a"}', '{"id": "x", "question": "b"}'], "used twice"),
    (['{"question": "a", "difficulty": "hard"}'], "difficulty"),
])
def test_bad_files_name_the_field_and_line(tmp_path, lines, message):
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines))
    with pytest.raises(ValueError, match=message) as err:
        make_task("qa", path=str(path))
    assert "task.params.path" in str(err.value)


def test_bad_params_fail(tmp_path):
    path = str(write(tmp_path, ROWS))
    for params, field in [({"checker": "fuzzy"}, "checker"), ({"checker": "nope.nowhere:f"}, "checker"),
                          ({"eval_fraction": 1.0}, "eval_fraction"), ({"path": str(tmp_path / "none")}, "path")]:
        with pytest.raises(ValueError, match=field):
            make_task("qa", **{"path": path, **params})


def test_task_decomposer_is_a_config_error_before_any_work(tmp_path):
    path = write(tmp_path, ROWS)
    config = load_config(None, ["task.name=qa", f"task.params={{path: {path}}}", "eval.baseline=false"])
    with pytest.raises(ValueError, match="amplify.decomposer"):
        start_run(config, tmp_path / "runs")
    assert not (tmp_path / "runs").exists()
    with pytest.raises(ValueError, match="decomposer: llm needs answerer.kind"):
        load_config(None, ["task.name=qa", "amplify.decomposer=llm"])
