import math

import torch

from ida.config import DistillConfig
from ida.distill.data import IGNORE, Example, read_jsonl, tokenize, write_jsonl
from ida.distill.trainer import DistillationError, train
from ida.models import LocalModel
from tests.tiny import tiny_model

VOCAB = ["add", "=", *[str(i) for i in range(10)]]
TINY = tiny_model()


def examples():
    return [Example(f"add {a} {b} =", f"{(a + b) % 10}", f"{a}-{b}") for a in range(5) for b in range(5)]


def test_prompt_tokens_never_reach_the_labels():
    model = LocalModel.build(TINY, VOCAB, seed=0)
    data = tokenize(examples()[:3], model.tokenizer, 32)
    n_prompt = len(model.tokenizer.encode("add 0 0 ="))
    assert (data.labels_N_T[:, :n_prompt] == IGNORE).all()
    assert data.labels_N_T[0, n_prompt + 1].item() == model.tokenizer.eos_token_id


def test_training_changes_parameters_lowers_loss_and_learns_the_table():
    model = LocalModel.build(TINY.model_copy(update={"n_embd": 64}), VOCAB, seed=0)
    before = [p.detach().clone() for p in model.model.parameters()]
    result = train(model.model, model.tokenizer, examples(), DistillConfig(steps=300, batch_size=25, lr=3e-3), seed=0)
    assert all(math.isfinite(x) for x in result.losses)
    assert result.final_loss < result.losses[0] / 5
    assert any(not torch.equal(a, b) for a, b in zip(before, model.model.parameters()))
    answers = model.answer([e.prompt for e in examples()])
    assert [a.text for a in answers] == [e.target for e in examples()]
    assert all(a.logprobs is not None and len(a.logprobs) == 2 for a in answers)  # answer token + EOS


def test_training_is_deterministic_for_a_seed():
    runs = []
    for _ in range(2):
        model = LocalModel.build(TINY, VOCAB, seed=1)
        cfg = DistillConfig(steps=5, batch_size=8)
        runs.append(train(model.model, model.tokenizer, examples(), cfg, seed=3).losses)
    assert runs[0] == runs[1]


def test_nan_loss_stops_training():
    model = LocalModel.build(TINY, VOCAB, seed=0)
    with torch.no_grad():
        next(model.model.parameters()).fill_(float("nan"))
    try:
        train(model.model, model.tokenizer, examples(), DistillConfig(steps=3, batch_size=4), seed=0)
    except DistillationError as err:
        assert "nothing promoted" in str(err)
    else:
        raise AssertionError("a NaN loss must stop training")


def test_save_load_round_trip_and_content_hash(tmp_path):
    model = LocalModel.build(TINY, VOCAB, seed=0)
    digest = model.save(tmp_path / "ckpt")
    assert (tmp_path / "ckpt" / "model.safetensors").exists()
    loaded = LocalModel.load(tmp_path / "ckpt", version="M0", max_answer_tokens=3)
    prompts = [e.prompt for e in examples()]
    assert [a.text for a in loaded.answer(prompts)] == [a.text for a in model.answer(prompts)]
    assert loaded.save(tmp_path / "again") == digest


def test_batched_answers_equal_one_by_one_answers():
    model = LocalModel.build(TINY, VOCAB, seed=2)
    train(model.model, model.tokenizer, examples(), DistillConfig(steps=20, batch_size=25), seed=0)
    prompts = ["add 1 =", "add 2 3 4 5 =", "add 9 9 ="]  # different lengths exercise left padding
    batched = model.answer(prompts)
    single = [model.answer([p])[0] for p in prompts]
    assert [a.text for a in batched] == [a.text for a in single]
    for a, b in zip(batched, single):
        assert torch.allclose(torch.tensor(a.logprobs), torch.tensor(b.logprobs), atol=1e-4)


def test_dataset_jsonl_is_content_hashed(tmp_path):
    h1 = write_jsonl(examples(), tmp_path / "a.jsonl")
    h2 = write_jsonl(examples(), tmp_path / "b.jsonl")
    assert h1 == h2 and read_jsonl(tmp_path / "a.jsonl") == examples()
    assert write_jsonl(examples()[1:], tmp_path / "c.jsonl") != h1
