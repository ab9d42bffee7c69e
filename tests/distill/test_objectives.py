"""Tests of the distillation objectives: tiny random tensors plus a tiny GPT-2 built in-process (never a hub)."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F
from transformers import GPT2Config, GPT2LMHeadModel

from ida.distill.objectives import (
    IGNORE_INDEX,
    ObjectiveWeights,
    count_answer_tokens,
    kd_loss,
    kd_loss_topk,
    normalise,
    on_policy_full_loss,
    on_policy_loss,
    sampled_token_logprobs,
    sft_loss,
)

V = 50
PAD = 0
# (prompt length, answer length): uneven answers, so a mean per micro-batch would differ from the batch mean.
EXAMPLES = [(3, 2), (5, 7), (2, 1), (4, 4)]


def tiny_lm(seed: int) -> GPT2LMHeadModel:
    torch.manual_seed(seed)
    config = GPT2Config(n_layer=1, n_embd=32, n_head=2, vocab_size=V, n_positions=64)
    return GPT2LMHeadModel(config).eval()  # eval: no dropout, so repeated forwards agree


def make_batch(side: str, pad_id: int | None = PAD, seed: int = 0, examples=EXAMPLES) -> dict[str, torch.Tensor]:
    """Prompt + answer rows padded on `side`; the same content for any side/pad_id (pad_id None: random pads)."""
    gen = torch.Generator().manual_seed(seed)
    rows = [torch.randint(1, V, (p + a,), generator=gen) for p, a in examples]
    width = max(len(r) for r in rows)
    out = {k: [] for k in ("input_ids", "attention_mask", "labels")}
    pad_gen = torch.Generator().manual_seed(seed + 1)
    for (p, a), row in zip(examples, rows):
        n_pad = width - len(row)
        pads = torch.full((n_pad,), PAD) if pad_id is not None else torch.randint(1, V, (n_pad,), generator=pad_gen)
        label = torch.cat([torch.full((p,), IGNORE_INDEX), row[p:]])
        parts = {"input_ids": (pads, row), "attention_mask": (torch.zeros(n_pad), torch.ones(p + a)),
                 "labels": (torch.full((n_pad,), IGNORE_INDEX), label)}
        for key, (pad_part, body) in parts.items():
            out[key].append(torch.cat((pad_part, body) if side == "left" else (body, pad_part)))
    batch = {k: torch.stack(v).long() for k, v in out.items()}
    batch["position_ids"] = (batch["attention_mask"].cumsum(-1) - 1).clamp_min(0)
    return batch


def forward(model, batch):
    return model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                 position_ids=batch["position_ids"]).logits


def all_sums(student_logits, teacher_logits, batch, temperature=2.0, k=10) -> dict:
    """Every objective's (sum, n, ...) on one batch; the on-policy tokens are the batch's answers."""
    labels = batch["labels"]
    topk = F.log_softmax(teacher_logits / temperature, -1).topk(k, dim=-1)
    s_lp = sampled_token_logprobs(student_logits, labels, temperature)
    t_lp = sampled_token_logprobs(teacher_logits, labels, temperature)
    return {
        "sft": sft_loss(student_logits, labels),
        "kd": kd_loss(student_logits, teacher_logits, labels, temperature),
        "kd_topk": kd_loss_topk(student_logits, topk.values, topk.indices, labels, temperature),
        "on_policy": on_policy_loss(s_lp, t_lp, labels != IGNORE_INDEX),
        "on_policy_full": on_policy_full_loss(student_logits, teacher_logits, labels, temperature),
    }


def all_losses(student_logits, teacher_logits, batch, temperature=2.0, k=10) -> dict[str, torch.Tensor]:
    """Every objective normalised by its own token count, plus the logged reverse KL."""
    sums = all_sums(student_logits, teacher_logits, batch, temperature, k)
    return {name: normalise(*out[:2]) for name, out in sums.items()} | {
        "reverse_kl": sums["on_policy"].mean_reverse_kl}


def random_logits(*shape, seed=0, scale=2.0, dtype=torch.float64):
    return (scale * torch.randn(*shape, generator=torch.Generator().manual_seed(seed))).to(dtype)


# --- definitions ------------------------------------------------------------------------------------------


def test_sft_is_cross_entropy_on_answer_tokens_with_shift():
    batch = make_batch("right")
    logits = random_logits(4, batch["labels"].shape[1], V)
    total, n = sft_loss(logits, batch["labels"])
    manual = [-F.log_softmax(logits[b, t - 1], -1)[batch["labels"][b, t]]
              for b in range(4) for t in range(1, logits.shape[1]) if batch["labels"][b, t] != IGNORE_INDEX]
    assert n.item() == len(manual) == sum(a for _, a in EXAMPLES) == count_answer_tokens(batch["labels"]).item()
    assert torch.allclose(total, torch.stack(manual).sum())


@pytest.mark.parametrize("temperature", [1.0, 2.0, 4.0])
def test_kd_is_t_squared_times_forward_kl(temperature):
    batch = make_batch("right")
    s, t = random_logits(4, batch["labels"].shape[1], V, seed=1), random_logits(4, batch["labels"].shape[1], V, seed=2)
    total, n = kd_loss(s, t, batch["labels"], temperature)
    mask = torch.zeros_like(batch["labels"], dtype=torch.bool)
    mask[:, :-1] = batch["labels"][:, 1:] != IGNORE_INDEX
    p, log_q = F.softmax(t[mask] / temperature, -1), F.log_softmax(s[mask] / temperature, -1)
    kl = (p * (p.log() - log_q)).sum()
    assert torch.allclose(total, temperature**2 * kl) and n.item() == mask.sum().item()


def test_t_squared_makes_high_temperature_limit_independent_of_t():
    # Hinton et al.: for T >> logits, T² KL -> (1/2V) Σ_v (δ_v − mean δ)² with δ = teacher − student logits.
    batch = make_batch("right", examples=[(2, 3)])
    s, t = random_logits(1, 5, V, seed=3, scale=0.5), random_logits(1, 5, V, seed=4, scale=0.5)
    delta = (t - s)[0, 1:4]
    limit = ((delta - delta.mean(-1, keepdim=True)) ** 2).sum() / (2 * V)
    for temperature in (200.0, 2000.0):
        assert torch.allclose(kd_loss(s, t, batch["labels"], temperature).sum_loss, limit, rtol=1e-2)


def test_sampled_token_logprobs_are_shifted_and_tempered():
    logits, tokens = random_logits(2, 6, V), torch.randint(0, V, (2, 6))
    logp = sampled_token_logprobs(logits, tokens, 3.0)
    assert logp.shape == (2, 6) and torch.all(logp[:, 0] == 0)
    assert torch.allclose(logp[1, 4], F.log_softmax(logits[1, 3] / 3.0, -1)[tokens[1, 4]])


# --- top-k teacher ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("temperature", [1.0, 2.5])
def test_topk_with_all_ids_equals_full_kd_in_value_and_gradient(temperature):
    batch = make_batch("left")
    shape = (4, batch["labels"].shape[1], V)
    s1, t = random_logits(*shape, seed=5).requires_grad_(), random_logits(*shape, seed=6)
    s2 = s1.detach().clone().requires_grad_()
    # A shuffled id order, not just topk's sorted one: the buckets must not depend on the order.
    ids = torch.stack([torch.randperm(V) for _ in range(shape[0] * shape[1])]).view(shape)
    t_logp = F.log_softmax(t / temperature, -1).gather(-1, ids)
    full = kd_loss(s1, t, batch["labels"], temperature).sum_loss
    topk = kd_loss_topk(s2, t_logp, ids, batch["labels"], temperature).sum_loss
    full.backward()
    topk.backward()
    assert torch.allclose(full, topk) and torch.allclose(s1.grad, s2.grad)


def test_topk_is_nonnegative_lower_bound_close_to_full_for_large_k():
    batch = make_batch("right")
    shape = (4, batch["labels"].shape[1], V)
    s, t = random_logits(*shape, seed=7), random_logits(*shape, seed=8, scale=4.0)  # a peaked teacher
    full = normalise(*kd_loss(s, t, batch["labels"], 1.0))
    approx = {}
    for k in (1, 5, 20, 40):
        top = F.log_softmax(t, -1).topk(k, dim=-1)
        approx[k] = normalise(*kd_loss_topk(s, top.values, top.indices, batch["labels"], 1.0))
        same = normalise(*kd_loss_topk(t, top.values, top.indices, batch["labels"], 1.0))
        assert 0 <= approx[k] <= full + 1e-9 and abs(same) < 1e-9  # data-processing inequality; student = teacher
    assert list(approx.values()) == sorted(approx.values())  # finer buckets lose less
    assert (full - approx[20]) / full < 0.01


# --- masking: prompt and padding never reach a loss -------------------------------------------------------


@pytest.mark.parametrize("side", ["left", "right"])
def test_masked_positions_never_reach_loss_or_gradient(side):
    batch = make_batch(side)
    shape = (4, batch["labels"].shape[1], V)
    student = random_logits(*shape, seed=9).requires_grad_()
    teacher = random_logits(*shape, seed=10)
    predicts_answer = torch.zeros(shape[:2], dtype=torch.bool)
    predicts_answer[:, :-1] = batch["labels"][:, 1:] != IGNORE_INDEX
    reference = all_losses(student, teacher, batch)
    grads = torch.autograd.grad(sum(reference.values()), student)[0]
    assert torch.all(grads[~predicts_answer] == 0) and grads[predicts_answer].abs().sum() > 0
    corrupt = ~predicts_answer
    for garbage in (float("nan"), float("inf"), -1e4):
        s2, t2 = student.detach().clone(), teacher.clone()
        s2[corrupt], t2[corrupt] = garbage, garbage
        got = all_losses(s2, t2, batch)
        for name, value in reference.items():
            assert torch.isfinite(got[name]) and torch.allclose(got[name], value), (name, garbage)


@pytest.mark.parametrize("side", ["left", "right"])
def test_real_model_losses_ignore_padding_side_and_pad_ids(side):
    student, teacher = tiny_lm(0), tiny_lm(1)
    with torch.no_grad():
        def losses(b):
            return all_losses(forward(student, b), forward(teacher, b), b)
        reference = losses(make_batch("right"))
        for pad_id in (PAD, None):  # None: random pad ids
            got = losses(make_batch(side, pad_id=pad_id))
            for name, value in reference.items():
                assert torch.allclose(got[name], value, atol=1e-5), (name, side, pad_id)


# --- student = teacher, finiteness ------------------------------------------------------------------------


def test_student_equal_to_teacher_gives_zero_kd_and_zero_reverse_kl():
    student = tiny_lm(0)
    teacher = copy.deepcopy(student)
    batch = make_batch("right")
    got = all_losses(forward(student, batch), forward(teacher, batch), batch)
    for name in ("kd", "kd_topk", "reverse_kl", "on_policy", "on_policy_full"):
        assert abs(got[name].item()) < 1e-5, name
    assert got["sft"] > 0


def test_losses_are_finite_for_extreme_and_half_precision_logits():
    batch = make_batch("right")
    shape = (4, batch["labels"].shape[1], V)
    student = random_logits(*shape, seed=11, scale=1e4).to(torch.bfloat16)
    teacher = random_logits(*shape, seed=12, scale=1e4)
    teacher[..., :5] = float("-inf")  # a teacher that rules tokens out (e.g. a padded vocabulary)
    for name, value in all_losses(student, teacher.to(torch.bfloat16), batch, temperature=0.5, k=1).items():
        assert torch.isfinite(value) and value.dtype == torch.float32, name


# --- gradients: only into the student; on-policy is the reverse-KL gradient ------------------------------


def test_gradients_flow_only_into_the_student():
    batch = make_batch("right")
    shape = (4, batch["labels"].shape[1], V)
    student = random_logits(*shape, seed=13).requires_grad_()
    teacher = random_logits(*shape, seed=14).requires_grad_()
    labels = batch["labels"]
    top = F.log_softmax(teacher, -1).topk(7, dim=-1)
    t_lp = sampled_token_logprobs(teacher, labels, 1.0)
    parts = [kd_loss(student, teacher, labels, 1.0), kd_loss_topk(student, top.values, top.indices, labels, 1.0),
             on_policy_loss(sampled_token_logprobs(student, labels, 1.0), t_lp, labels != IGNORE_INDEX)]
    sum(p.sum_loss for p in parts).backward()
    assert teacher.grad is None and student.grad is not None

    model, frozen = tiny_lm(0), tiny_lm(1)
    before = {k: v.clone() for k, v in frozen.state_dict().items()}
    opt = torch.optim.SGD(list(model.parameters()) + list(frozen.parameters()), lr=1.0)
    s_logits, t_logits = forward(model, batch), forward(frozen, batch)
    loss = normalise(*kd_loss(s_logits, t_logits, labels, 2.0)) + normalise(*on_policy_loss(
        sampled_token_logprobs(s_logits, labels, 1.0), sampled_token_logprobs(t_logits, labels, 1.0),
        labels != IGNORE_INDEX)[:2])
    loss.backward()
    opt.step()
    assert all(p.grad is None for p in frozen.parameters())
    assert all(torch.equal(v, frozen.state_dict()[k]) for k, v in before.items())


def reverse_kl(theta, teacher_logits):
    log_s, log_t = F.log_softmax(theta, -1), F.log_softmax(teacher_logits, -1)
    return (log_s.exp() * (log_s - log_t)).sum()


def test_on_policy_expected_gradient_equals_analytic_reverse_kl_gradient():
    theta = random_logits(6, seed=15).requires_grad_()
    teacher = random_logits(6, seed=16)
    analytic = torch.autograd.grad(reverse_kl(theta, teacher), theta)[0]
    probs = F.softmax(theta, -1).detach()
    expected = torch.zeros_like(theta)
    for x in range(6):  # exact expectation over the sampled token x ~ π_s
        tokens = torch.tensor([[0, x]])  # position 0 is a one-token "prompt"
        s_lp = sampled_token_logprobs(theta.expand(1, 2, 6), tokens, 1.0)
        t_lp = sampled_token_logprobs(teacher.expand(1, 2, 6), tokens, 1.0)
        out = on_policy_loss(s_lp, t_lp, torch.tensor([[False, True]]))
        assert torch.allclose(out.reverse_kl_sum, (s_lp - t_lp)[0, 1])
        expected += probs[x] * torch.autograd.grad(out.sum_loss, theta)[0]
    assert torch.allclose(expected, analytic)


@pytest.mark.parametrize("temperature", [1.0, 2.0])
def test_on_policy_full_is_the_exact_reverse_kl_at_the_visited_states(temperature):
    batch = make_batch("left")
    T = batch["labels"].shape[1]
    s, t = random_logits(4, T, V, seed=21), random_logits(4, T, V, seed=22)
    out = on_policy_full_loss(s, t, batch["labels"], temperature)
    mask = torch.zeros_like(batch["labels"], dtype=torch.bool)
    mask[:, :-1] = batch["labels"][:, 1:] != IGNORE_INDEX
    q, log_p = F.softmax(s[mask] / temperature, -1), F.log_softmax(t[mask] / temperature, -1)
    kl = (q * (q.log() - log_p)).sum()
    assert torch.allclose(out.sum_loss, kl) and torch.allclose(out.reverse_kl_sum, kl)
    assert out.n_tokens.item() == mask.sum().item() == count_answer_tokens(batch["labels"]).item()


def test_on_policy_full_gradient_is_the_sampled_estimators_expectation():
    theta = random_logits(1, 2, 6, seed=23).requires_grad_()
    teacher = random_logits(1, 2, 6, seed=24)
    tokens = torch.tensor([[0, 3]])  # which token was sampled does not matter to the full estimator
    full = torch.autograd.grad(on_policy_full_loss(theta, teacher, tokens, 1.0).sum_loss, theta)[0]
    probs = F.softmax(theta[0, 0], -1).detach()
    expected = torch.zeros_like(theta)
    for x in range(6):
        sampled = torch.tensor([[0, x]])
        out = on_policy_loss(sampled_token_logprobs(theta, sampled, 1.0), sampled_token_logprobs(teacher, sampled, 1.0),
                             torch.tensor([[False, True]]))
        expected += probs[x] * torch.autograd.grad(out.sum_loss, theta)[0]
    assert torch.allclose(full, expected)


def test_on_policy_full_rejects_misaligned_teacher_logits():
    with pytest.raises(ValueError, match="teacher"):
        on_policy_full_loss(torch.zeros(1, 3, V), torch.zeros(1, 4, V), torch.zeros(1, 3, dtype=torch.long), 1.0)


def test_on_policy_sgd_on_samples_decreases_reverse_kl():
    torch.manual_seed(0)
    theta = random_logits(8, seed=17).requires_grad_()
    teacher = random_logits(8, seed=18)
    start = reverse_kl(theta, teacher).item()
    opt = torch.optim.SGD([theta], lr=0.5)
    for _ in range(150):
        samples = torch.multinomial(F.softmax(theta.detach(), -1), 256, replacement=True)
        tokens = torch.cat([torch.zeros(256, 1, dtype=torch.long), samples[:, None]], dim=1)
        lp = lambda logits: sampled_token_logprobs(logits.expand(256, 2, 8), tokens, 1.0)  # noqa: E731
        mask = torch.tensor([[False, True]]).expand(256, 2)
        opt.zero_grad()
        normalise(*on_policy_loss(lp(theta), lp(teacher), mask)[:2]).backward()
        opt.step()
    assert reverse_kl(theta, teacher).item() < 0.1 * start


# --- normalisation under gradient accumulation ------------------------------------------------------------


@pytest.mark.parametrize("name", ["sft", "kd", "kd_topk", "on_policy", "on_policy_full", "mix"])
def test_gradient_accumulation_gives_the_full_batch_loss_and_gradients(name):
    student, teacher = tiny_lm(0), tiny_lm(1)
    batch = make_batch("right")
    weights = ObjectiveWeights({"sft": 0.3, "kd": 1.0, "on_policy": 0.5})

    def step_loss(b, n_total):
        """What the trainer backpropagates for micro-batch b: its sums over the whole step's token count."""
        with torch.no_grad():
            t_logits = forward(teacher, b)
        sums = all_sums(forward(student, b), t_logits, b)
        if name == "mix":  # one count per objective; all equal here since on-policy tokens are the answers
            return weights.total(sums, {k: n_total(b) for k in weights.active})
        return normalise(sums[name].sum_loss, n_total(b))

    def run(micro_batches, n_total):
        student.zero_grad()
        total = 0.0
        for sl in micro_batches:
            value = step_loss({k: v[sl] for k, v in batch.items()}, n_total)
            value.backward()
            total = total + value.detach()
        return total, [p.grad.clone() for p in student.parameters()]

    n_step = count_answer_tokens(batch["labels"])
    full, full_grads = run([slice(0, 4)], lambda b: n_step)
    micro = [slice(0, 1), slice(1, 3), slice(3, 4)]
    acc, acc_grads = run(micro, lambda b: n_step)
    assert torch.allclose(acc, full, atol=1e-6)
    assert all(torch.allclose(a, f, atol=1e-6) for a, f in zip(acc_grads, full_grads))
    # The trap this normalisation avoids: a mean per micro-batch over-weights the short answers.
    naive, _ = run(micro, lambda b: count_answer_tokens(b["labels"]))
    assert not torch.allclose(naive / len(micro), full, atol=1e-4)


# --- mixing ----------------------------------------------------------------------------------------------


def test_objective_weights_mix_and_validate():
    w = ObjectiveWeights({"sft": 1.0, "kd": 0.5, "on_policy": 0.0})
    assert w.active == ("sft", "kd") and ObjectiveWeights.single("kd").active == ("kd",)
    parts = {"sft": (torch.tensor(6.0), torch.tensor(3)), "kd": (torch.tensor(2.0), torch.tensor(4))}
    assert torch.allclose(w.total(parts), torch.tensor(1.0 * 2.0 + 0.5 * 0.5))
    assert torch.allclose(w.total(parts, {"sft": 6, "kd": 8}), torch.tensor(1.0 + 0.125))
    with pytest.raises(KeyError):
        w.total({"sft": parts["sft"]})
    for bad in ({"dpo": 1.0}, {"sft": -1.0}, {"sft": 0.0}, {"kd": float("nan")}):
        with pytest.raises(ValueError):
            ObjectiveWeights(bad)
    assert normalise(torch.tensor(0.0), 0) == 0  # an empty batch is 0, not nan
