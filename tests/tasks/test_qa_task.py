"""`QATask`: questions from JSONL, seeded splits, checkers, vocabulary, and the config error without an LLM."""

import json
from pathlib import Path

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


@pytest.mark.parametrize("row, message", [
    ({"id": {"a": 1}, "question": "q"}, '"id" must be a non-empty string or an integer, got an object'),
    ({"id": [1], "question": "q"}, '"id" must be a non-empty string or an integer, got a list'),
    ({"id": True, "question": "q"}, '"id" must be a non-empty string or an integer, got a boolean'),
    ({"id": 1.5, "question": "q"}, '"id" must be a non-empty string or an integer, got a number'),
    ({"question": ["q"]}, 'non-empty "question" string'),
    ({"question": "q", "answer": {"text": "27"}},
     '"answer" must be a non-empty string (e.g. "27", not 27), got an object'),
    ({"question": "q", "answer": 27}, '"answer" must be a non-empty string'),
    ({"question": "q", "answer": ["2", "7"]}, '"answer" must be a non-empty string'),
    ({"question": "q", "context": 5}, '"context" must be a string or a list of strings, got a number'),
    ({"question": "q", "context": {"fact": "x"}}, '"context" must be a string or a list of strings, got an object'),
    ({"question": "q", "context": ["a", 3]}, "got a list holding a number, a string"),
    ({"question": "q", "difficulty": -1}, '"difficulty" must be an integer >= 1, got -1'),
    ({"question": "q", "difficulty": 0}, '"difficulty" must be an integer >= 1, got 0'),
    ({"question": "q", "difficulty": 2.0}, '"difficulty" must be an integer >= 1, got a number'),
    ({"question": "q", "difficulty": True}, '"difficulty" must be an integer >= 1, got a boolean'),
])
def test_rows_are_type_checked_and_each_error_names_file_and_line(tmp_path, row, message):
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps({"id": 1, "question": "fine"}) + "\n\n" + json.dumps(row) + "\n")
    with pytest.raises(ValueError) as err:
        make_task("qa", path=str(path))
    assert f"task.params.path: {path}:3: " in str(err.value) and message in str(err.value), str(err.value)


def test_valid_types_are_kept_as_given(tmp_path):
    path = write(tmp_path, [{"id": 7, "question": "a  b", "answer": " x  y ", "context": ["f 1", "f 2"]},
                            {"id": "s", "question": "c", "context": "one fact", "difficulty": 3}])
    task = make_task("qa", path=str(path), eval_fraction=0)
    by_id = {q.id: q for q in task.questions("train")}
    assert by_id["7"].context == ("f 1", "f 2") and by_id["7"].text == "a b" and task.true_answer(by_id["7"]) == "x y"
    assert by_id["s"].context == ("one fact",) and by_id["s"].difficulty == 3


def test_a_file_that_is_not_utf8_is_named_with_its_line(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"question": "ok"}\n{"question": "caf\xe9 ?"}\n')
    with pytest.raises(ValueError, match=r"task\.params\.path: .*latin1\.jsonl:2: not UTF-8"):
        make_task("qa", path=str(path))


def test_a_question_longer_than_the_context_fails_at_start_naming_it(tmp_path):
    """Before: an IndexError inside the position embeddings for its whole answering batch, every example lost."""
    long_question = "What is " + " plus ".join(["1"] * 40) + " ?"  # 82 tokens, with " =" 83
    path = write(tmp_path, [*ROWS[:4], {"id": "long-one", "question": long_question, "answer": "40"}])
    overrides = ["task.name=qa", f"task.params={{path: {path}}}", "amplify.decomposer=direct",
                 "model.n_positions=64", "model.max_answer_tokens=4"]
    with pytest.raises(ValueError) as err:
        start_run(load_config(None, overrides), tmp_path / "runs")
    message = str(err.value)
    assert "model.n_positions" in message and "'long-one'" in message and "83 tokens" in message, message
    assert "60 that fit in model.n_positions=64 with model.max_answer_tokens=4" in message
    assert "\n" not in message and not (tmp_path / "runs").exists()


def test_a_reference_answer_too_long_for_the_baseline_fails_at_start(tmp_path):
    path = write(tmp_path, [{"id": "a", "question": "q ?", "answer": " ".join(["w"] * 30)}, *ROWS[:4]])
    overrides = ["task.name=qa", f"task.params={{path: {path}, eval_fraction: 0}}", "amplify.decomposer=direct",
                 "model.n_positions=32", "model.max_answer_tokens=4"]
    with pytest.raises(ValueError, match=r"question 'a' of task qa with its reference answer and EOS is 34 tokens"):
        start_run(load_config(None, overrides), tmp_path / "runs")
    assert not (tmp_path / "runs").exists()
    load_config(None, overrides + ["eval.baseline=false"])  # the way out the message names


def test_the_question_file_is_copied_into_the_run_dir_with_its_hash_and_opens_from_anywhere(tmp_path, monkeypatch):
    import hashlib

    import yaml

    from ida.run import open_run
    from ida.reporting.capability import build_report

    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    work.mkdir(), elsewhere.mkdir()
    write(work, ROWS)
    monkeypatch.chdir(work)
    overrides = ["task.name=qa", "task.params={path: q.jsonl}", "amplify.decomposer=direct", "model.n_layer=1",
                 "model.n_embd=16", "model.n_head=2", "max_cycles=1"]
    run = start_run(load_config(None, overrides), Path("runs"))
    run.store.close()
    run_dir = run.dir.resolve()
    copy = run_dir / "data" / "q.jsonl"
    digest = hashlib.sha256((work / "q.jsonl").read_bytes()).hexdigest()
    assert copy.read_bytes() == (work / "q.jsonl").read_bytes()
    params = yaml.safe_load((run_dir / "config.yaml").read_text())["task"]["params"]
    assert params == {"path": "data/q.jsonl", "sha256": digest, "source": str(work / "q.jsonl")}

    monkeypatch.chdir(elsewhere)  # before: the relative path no longer resolved, so `ida report` crashed
    (work / "q.jsonl").unlink()  # the run needs only its own copy
    reopened = open_run(run_dir)
    reopened.store.close()
    assert [q.id for q in reopened.task.questions("train")] == [q.id for q in run.task.questions("train")]
    assert build_report(run_dir)["cycles"] == []

    copy.write_text(copy.read_text().replace("sky", "sea"))
    with pytest.raises(ValueError, match="has changed since the run started"):
        open_run(run_dir)


def test_params_of_a_run_from_before_pinning_stay_as_given(tmp_path):
    from ida.tasks.qa import QATask

    assert QATask.resolve({"path": "rel/q.jsonl"}, tmp_path) == {"path": "rel/q.jsonl"}
    assert QATask.resolve({"path": "data/q.jsonl", "sha256": "x"}, tmp_path)["path"] == str(tmp_path / "data/q.jsonl")
