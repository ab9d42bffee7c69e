"""Target filters (issue 23, item 2): truncation (always: a generation cut at max_answer_tokens is never a
target), format/length, confidence, and the vote over the last models; each with its kept/dropped counts."""

from __future__ import annotations

import math

from decomposition import SubquestionGraph
from ida.amplify import Amplifier, SamplingAnswerer, amplify_with_vote
from ida.amplify.examples import AmplifiedExample
from ida.amplify.filters import TruncationGuard, apply_filters, example_confidence, target_filters
from ida.config import AmplifyConfig, FiltersConfig, ModelConfig, VoteConfig
from ida.models.local import LocalModel
from ida.models.prompts import student_tokenizer
from ida.tasks import UNKNOWN, AdditionTask
from ida.tasks.labels import LabelFreeTask

TASK = AdditionTask(max_digits=3, eval_max_digits=3, n_train=200, eval_per_difficulty=8)
TINY = ModelConfig(n_layer=1, n_embd=32, n_head=2, n_positions=32, max_answer_tokens=3)


def model(seed: int = 0, version: str = "M0") -> LocalModel:
    return LocalModel.build(TINY, TASK.vocabulary(), seed=seed, version=version)


def test_a_cut_generation_is_marked_and_never_reaches_h():
    m = model()
    prompts = [q.prompt for q in TASK.questions("train")[:120]]
    answers = SamplingAnswerer(m, 1.0, seed=5, index=0).answer(prompts)
    gens = m.generate(prompts, max_new_tokens=m.max_answer_tokens + 1, temperature=1.0, seed=5 * 7919 + 1)
    stop = set(student_tokenizer(m.tokenizer).stop_ids)
    cut = [not stop.intersection(g.token_ids) for g in gens]
    assert [a.truncated for a in answers] == cut and 0 < sum(cut) < len(cut)  # sampling: some end, some are cut
    seen: set[tuple[str, str]] = set()
    guarded = TruncationGuard(SamplingAnswerer(m, 1.0, seed=5, index=0), seen).answer(prompts)
    assert [a.text == UNKNOWN for a in guarded] == cut
    assert seen == {(m.version + "~sample0", p) for p, c in zip(prompts, cut) if c}


def test_truncated_targets_are_dropped_and_counted():
    cfg = AmplifyConfig(decomposer="direct", vote=VoteConfig(samples=2, min_agreement=0.5))
    view = LabelFreeTask(TASK)
    questions = [q for q in TASK.questions("train") if q.difficulty == 1][:40]
    with Amplifier(cfg, view, model()) as amp:
        examples, _ = amplify_with_vote(amp, questions, cfg.vote, seed=3)
        assert amp.cut  # the untrained student runs out of budget on some answers
        kept, counts = apply_filters(examples, target_filters(cfg.filters, view, amp.cut))
    used_cut = [any((n.get("answered_by", "").removeprefix("memo:"), n.get("prompt")) in amp.cut
                    for n in (e.graph.node(i) for i in e.graph.nodes())) for e in examples]
    assert counts["truncated"]["dropped"] == sum(used_cut) > 0
    assert counts["truncated"]["kept"] == sum(e.usable for e, c in zip(kept, used_cut) if not c)
    assert not any(e.usable for e, c in zip(kept, used_cut) if c)


def example(q, answer, confidences=()) -> AmplifiedExample:
    g = SubquestionGraph(q.text, q.prompt)
    for i, c in enumerate(confidences):
        node = g.add_node(f"sub {i}")
        g.set_answer(node, "0 1", "M0", logprobs=[math.log(c)])
    g.set_answer(g.root, answer if answer is not None else "", "H:program", status="direct")
    return AmplifiedExample(q, answer, g, {"model_version": "M0"})


def test_format_and_confidence_filters_count_what_they_drop():
    q = TASK.question([4, 9], [7, 0], 1)
    examples = [example(q, "2 0 1", [0.9, 0.8]), example(q, "2 0", [0.99]), example(q, UNKNOWN, [0.9]),
                example(q, "2 0 1", [0.3]), example(q, "2 0 1"), example(q, None)]
    assert [round(example_confidence(e), 2) for e in examples[:5]] == [0.72, 0.99, 0.9, 0.3, 1.0]
    out, counts = apply_filters(examples, target_filters(FiltersConfig(format=True, min_confidence=0.5),
                                                         LabelFreeTask(TASK), set()))
    assert counts == {"truncated": {"kept": 4, "dropped": 0}, "format": {"kept": 3, "dropped": 1},
                      "confidence": {"kept": 2, "dropped": 1}}
    assert [e.answer for e in out] == ["2 0 1", UNKNOWN, UNKNOWN, UNKNOWN, "2 0 1", None]
    assert [e.provenance.get("dropped_by") for e in out] == [None, "format", None, "confidence", None, None]
    off, none = apply_filters(examples, target_filters(FiltersConfig(), TASK, set()))
    assert [e.answer for e in off] == [e.answer for e in examples] and set(none) == {"truncated"}


def test_the_vote_over_the_last_models():
    cfg = AmplifyConfig(vote=VoteConfig(samples=2, min_agreement=0.5, models=2))
    questions = TASK.questions("train")[:20]
    with Amplifier(cfg, LabelFreeTask(TASK), model(0, "M1")) as amp:
        examples, record = amplify_with_vote(amp, questions, cfg.vote, seed=1, earlier=[model(1, "M0")])
    assert record["models"] == 2 and record["kept"] + record["dropped"] == len(questions)
    assert {e.provenance["vote"]["samples"] for e in examples} == {4}  # 2 samples x 2 models
