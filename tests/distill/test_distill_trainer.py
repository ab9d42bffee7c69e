"""The distillation loop: every objective trains the student and never the teacher; gradient accumulation,
teacher re-layout, LoRA, schedules and length buckets do what they say. Tiny GPT-2s built in-process."""

from __future__ import annotations

import copy
import json
import math

import pytest
import torch
from torch.optim.optimizer import register_optimizer_step_pre_hook

from ida.config import DistillConfig
from ida.distill.batching import StepSampler
from ida.distill.data import Example, read_jsonl, sequences, write_jsonl
from ida.distill.teachers import KDTargets, amplified_prompt, teacher_logits_on_samples, teacher_sampled_logprobs
from ida.distill.trainer import train
from ida.models import LocalModel
from decomposition import SubquestionGraph
from tests.tiny import tiny_model

VOCAB = ["add", "=", "|", ";", *[str(i) for i in range(10)]]
TINY = tiny_model()


def examples(transcript: bool = True) -> list[Example]:
    """Uneven prompt and answer lengths; the teacher's prompt carries a transcript of varying length."""
    out = []
    for a in range(6):
        for b in range(4):
            prompt = "add " + " ".join(str(a) for _ in range(1 + b % 3)) + " ="
            target = " ".join(str((a + b + i) % 10) for i in range(1 + (a + b) % 3))
            tp = f"add {a} = {a} ; " * (b % 3) + "| " + prompt if transcript else None
            out.append(Example(prompt, target, f"{a}-{b}", 1 + b, teacher_prompt=tp))
    return out


def no_dropout(model):
    for m in model.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0
    return model


def build(seed: int):
    return LocalModel.build(TINY, VOCAB, seed=seed)


OBJECTIVES = {
    "sft": {},
    "kd": {"objective": "kd", "kd": {"temperature": 2.0}},
    "kd_topk": {"objective": "kd", "kd": {"top_k": 4}},
    "on_policy": {"objective": "on_policy", "on_policy": {"samples_per_question": 2}},
    "on_policy_sampled": {"objective": "on_policy", "on_policy": {"estimator": "sampled"}},
    "on_policy_anchor": {"objective": "on_policy", "teacher": {"kind": "anchor"}},
    "mix": {"objective": "mix", "weights": {"sft": 1.0, "kd": 0.5, "on_policy": 0.5}, "grad_accum": 2},
}


@pytest.mark.parametrize("name", OBJECTIVES)
def test_every_objective_trains_the_student_and_never_the_teacher(name):
    student, teacher = build(0), build(1)
    student_before = [p.detach().clone() for p in student.model.parameters()]
    teacher_before = [p.detach().clone() for p in teacher.model.parameters()]
    cfg = DistillConfig(steps=3, batch_size=12, lr=3e-3, **OBJECTIVES[name])
    result = train(student.model, student.tokenizer, examples(), cfg, seed=0, teacher=teacher.model)
    assert len(result.losses) == 3 and all(math.isfinite(x) for x in result.losses)
    assert any(not torch.equal(a, b) for a, b in zip(student_before, student.model.parameters()))
    assert all(torch.equal(a, b) for a, b in zip(teacher_before, teacher.model.parameters()))
    assert all(p.grad is None for p in teacher.model.parameters())
    assert set(result.metrics) >= set(cfg.weights or {cfg.objective: 1}) | {"lr"}


def test_kd_and_on_policy_need_a_teacher():
    model = build(0)
    with pytest.raises(ValueError, match="needs a teacher"):
        train(model.model, model.tokenizer, examples(), DistillConfig(objective="kd", steps=1), seed=0)


@pytest.mark.parametrize("objective,estimator", [("kd", "full"), ("on_policy", "full"), ("on_policy", "sampled")])
def test_a_teacher_equal_to_the_student_gives_zero_loss(objective, estimator):
    student = build(0)
    no_dropout(student.model)
    teacher = copy.deepcopy(student.model)
    cfg = DistillConfig(objective=objective, steps=1, batch_size=24, teacher={"kind": "anchor"},
                        on_policy={"estimator": estimator})
    result = train(student.model, student.tokenizer, examples(), cfg, seed=0, teacher=teacher)
    assert abs(result.metrics[objective][0]) < 1e-5


def test_teacher_outputs_are_moved_to_the_students_answer_positions():
    """Teacher prompts (transcripts) of other lengths than the student's: each answer position of the student
    must get the teacher's output for the same answer token, as if the teacher had scored the row alone."""
    teacher = build(3).model.eval()
    tok = build(3).tokenizer
    data = examples()[::5]
    prompts = [tok.encode(e.prompt) for e in data]
    tprompts = [tok.encode(e.teacher_prompt) for e in data]
    answers = [tok.encode(e.target) + [tok.eos_token_id] for e in data]
    student = sequences(prompts, answers, tok.pad_token_id)
    targets = KDTargets(teacher, tprompts, answers, tok.pad_token_id, 32, 1.0, None, "cpu", _no_autocast)
    (aligned_B_T_V,) = targets.for_batch(torch.arange(len(data)), student["labels"])
    teacher_batch = sequences(tprompts, answers, tok.pad_token_id)
    lp_B_T = teacher_sampled_logprobs(teacher, teacher_batch, student["labels"], 1.0, _no_autocast)
    on_samples_B_T_V = teacher_logits_on_samples(teacher, teacher_batch, student["labels"], _no_autocast)
    assert torch.equal(on_samples_B_T_V, aligned_B_T_V)
    for b, (p, tp, a) in enumerate(zip(prompts, tprompts, answers)):
        with torch.no_grad():
            alone_T_V = teacher(input_ids=torch.tensor([tp + a])).logits[0]
        own = alone_T_V[len(tp) - 1:len(tp) + len(a) - 1]
        assert torch.allclose(aligned_B_T_V[b, len(p) - 1:len(p) + len(a) - 1], own, atol=1e-5)
        logp = own.log_softmax(-1).gather(-1, torch.tensor(a)[:, None]).squeeze(-1)
        assert torch.allclose(lp_B_T[b, len(p):len(p) + len(a)], logp, atol=1e-5)


def _no_autocast():
    return torch.autocast("cpu", enabled=False)


@pytest.mark.parametrize("objective", ["sft", "kd"])
def test_gradient_accumulation_does_not_change_the_gradient(objective):
    """Micro-batches of uneven answer lengths: a mean per micro-batch would give another gradient."""
    grads = []
    for grad_accum in (1, 4):
        student, teacher = build(0), build(1)
        no_dropout(student.model)
        seen = []
        hook = register_optimizer_step_pre_hook(
            lambda opt, args, kwargs: seen.append([p.grad.clone() for g in opt.param_groups for p in g["params"]]))
        try:
            cfg = DistillConfig(objective=objective, steps=1, batch_size=16, grad_accum=grad_accum)
            train(student.model, student.tokenizer, examples(), cfg, seed=0, teacher=teacher.model)
        finally:
            hook.remove()
        grads.append(seen[0])
    for a, b in zip(*grads):
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-8)


@pytest.mark.slow
def test_on_policy_full_teaches_a_cold_student_the_teachers_answers():
    """From a random student, the exact reverse KL moves greedy answers to the teacher's (sft-trained) ones."""
    teacher, student = build(1), build(0)
    data = examples()
    train(teacher.model, teacher.tokenizer, data, DistillConfig(steps=60, batch_size=24, lr=3e-3), seed=0)
    want = [a.text for a in teacher.answer([e.prompt for e in data])]

    def agreement() -> float:
        return sum(a.text == w for a, w in zip(student.answer([e.prompt for e in data]), want)) / len(data)

    before = agreement()
    cfg = DistillConfig(objective="on_policy", steps=200, batch_size=24, lr=3e-3, teacher={"kind": "anchor"})
    result = train(student.model, student.tokenizer, data, cfg, seed=0, teacher=teacher.model)
    assert all(math.isfinite(x) for x in result.losses)
    assert result.metrics["on_policy"][-1] < result.metrics["on_policy"][0]
    assert agreement() >= max(0.8, before + 0.5)


def test_on_policy_is_deterministic_for_a_seed():
    runs = []
    for _ in range(2):
        student, teacher = build(0), build(1)
        cfg = DistillConfig(objective="on_policy", steps=2, batch_size=8, on_policy={"sampling_temperature": 1.5})
        runs.append(train(student.model, student.tokenizer, examples(), cfg, seed=4, teacher=teacher.model).losses)
    assert runs[0] == runs[1]


def test_lora_trains_adapters_and_hands_back_a_plain_merged_model():
    model = build(0)
    before = {k: v.clone() for k, v in model.model.state_dict().items()}
    cfg = DistillConfig(steps=3, batch_size=8, lr=1e-2, lora={"enabled": True, "r": 2})
    train(model.model, model.tokenizer, examples(), cfg, seed=0)
    after = model.model.state_dict()
    assert set(after) == set(before) and type(model.model).__name__ == "GPT2LMHeadModel"
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed and all("c_attn.weight" in k for k in changed)
    assert all(p.requires_grad for p in model.model.parameters())


def test_cosine_schedule_with_warmup():
    model = build(0)
    cfg = DistillConfig(steps=10, batch_size=4, lr=1e-2, schedule="cosine", warmup_steps=2)
    lrs = train(model.model, model.tokenizer, examples(), cfg, seed=0).metrics["lr"]
    assert lrs[0] == 0.0 and lrs[1] == pytest.approx(5e-3) and lrs[2] == pytest.approx(1e-2)
    assert all(a >= b for a, b in zip(lrs[2:], lrs[3:])) and lrs[-1] < 1e-3
    constant = train(build(0).model, model.tokenizer, examples(), DistillConfig(steps=3, batch_size=4), seed=0)
    assert constant.metrics["lr"] == [1e-3] * 3


def test_gradient_clipping_bounds_the_update():
    deltas = []
    for clip in (None, 1e-12):
        model = build(0)
        before = [p.detach().clone() for p in model.model.parameters()]
        cfg = DistillConfig(steps=1, batch_size=8, lr=1.0, max_grad_norm=clip, weight_decay=0.0)
        train(model.model, model.tokenizer, examples(), cfg, seed=0)
        deltas.append(sum(float((a - b.detach()).abs().sum()) for a, b in zip(before, model.model.parameters())))
    # Adam's first step is lr * g / (|g| + eps): a gradient clipped far below eps barely moves the weights.
    assert deltas[1] < deltas[0] / 100


def test_steps_walk_through_shuffled_epochs_and_buckets_hold_rows_of_similar_length():
    lengths = torch.tensor([3] * 40 + [9] * 40 + [20] * 40)
    plain = StepSampler(lengths, 16, 1, seed=0)
    first_epoch = torch.cat([plain.next() for _ in range(120 // 16)])  # 112 rows: no row twice
    assert len(set(first_epoch.tolist())) == 112
    assert torch.equal(StepSampler(lengths, 16, 1, seed=0).next(), first_epoch[:16])  # seeded: resumable
    bucketed = StepSampler(lengths, 16, 3, seed=0)
    seen = set()
    for _ in range(30):
        step = lengths[bucketed.next()]
        assert step.min() == step.max()
        seen.add(int(step[0]))
    assert seen == {3, 9, 20}


def test_amplified_prompt_is_the_transcript_then_the_prompt():
    graph = SubquestionGraph("perm 1 ^ 4", "perm 1 ^ 4 =")
    a = graph.add_node("perm 1 ^ 2", "perm 1 ^ 2 =")
    graph.set_answer(a, "5", "M0")
    b = graph.add_node("perm 5 ^ 2", "perm 5 ^ 2 =", depends_on=[a])
    graph.set_answer(b, "7", "M0")
    graph.add_node("perm 7 ^ 9")  # still pending: not part of what the teacher saw
    assert amplified_prompt(graph.to_json(), "perm 1 ^ 4 =") == "perm 1 ^ 2 = 5 ; perm 5 ^ 2 = 7 | perm 1 ^ 4 ="
    assert amplified_prompt(SubquestionGraph("perm 1 ^ 1").to_json(), "perm 1 ^ 1 =") == "perm 1 ^ 1 ="


def test_jsonl_without_a_teacher_prompt_keeps_the_old_format(tmp_path):
    plain = [Example("add 1 =", "1", "q")]
    write_jsonl(plain, tmp_path / "a.jsonl")
    assert "teacher_prompt" not in json.loads((tmp_path / "a.jsonl").read_text())
    assert read_jsonl(tmp_path / "a.jsonl") == plain
    with_teacher = examples()[:3]
    write_jsonl(with_teacher, tmp_path / "b.jsonl")
    assert read_jsonl(tmp_path / "b.jsonl") == with_teacher


def fittable() -> list[Example]:
    """Eight distinct prompts, one answer each: a tiny GPT-2 fits them in a few hundred steps."""
    return [Example(f"add {a} {b} =", f"{(a * 3 + b) % 10} {(a + b) % 10}", f"{a}-{b}", 1)
            for a in range(4) for b in range(2)]


def test_stop_when_fit_stops_once_every_target_is_given_and_changes_nothing_before():
    cfg = DistillConfig(steps=1500, batch_size=8, lr=3e-3, stop_when_fit=True, fit_check_every=20)
    student = build(0)
    result = train(student.model, student.tokenizer, fittable(), cfg, seed=1)
    assert result.stopped_when_fit and result.steps < 1500 and result.steps % 20 == 0
    assert len(result.losses) == result.steps and all(math.isfinite(x) for x in result.losses)
    answers = [a.text for a in student.answer([e.prompt for e in fittable()])]
    assert answers == [e.target for e in fittable()]  # the check's "fit" is greedy decoding's exact answer
    # The same steps without the flag give the same weights: the checks touch no RNG, gradient or optimiser.
    plain = build(0)
    same = train(plain.model, plain.tokenizer, fittable(), cfg.model_copy(update={"stop_when_fit": False}), seed=1,
                 steps=result.steps)
    assert not same.stopped_when_fit and same.losses == result.losses
    for a, b in zip(student.model.parameters(), plain.model.parameters()):
        assert torch.equal(a, b)


def test_without_stop_when_fit_every_step_runs():
    cfg = DistillConfig(steps=60, batch_size=8, lr=3e-3, fit_check_every=20)
    student = build(0)
    result = train(student.model, student.tokenizer, fittable(), cfg, seed=1)
    assert result.steps == 60 and not result.stopped_when_fit
