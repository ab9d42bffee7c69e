"""`LocalModel.generate`: greedy equals `answer()`, stop strings, seeded sampling, log-probs, any local causal LM."""

import torch
from transformers import LlamaConfig, LlamaForCausalLM

from ida.config import DistillConfig
from ida.distill.data import Example
from ida.distill.trainer import train
from ida.models import Generation, LocalModel, build_tokenizer
from tests.tiny import tiny_model

VOCAB = ["add", "=", ";", *[str(i) for i in range(10)]]
TINY = tiny_model(positions=64)
PROMPTS = ["add 1 =", "add 2 3 4 5 =", "add 9 9 =", "add ="]  # different lengths exercise left padding


def trained(seed=0):
    model = LocalModel.build(TINY, VOCAB, seed=seed)
    data = [Example(f"add {a} {b} =", f"{(a + b) % 10} ; {a}", f"{a}-{b}") for a in range(5) for b in range(5)]
    train(model.model, model.tokenizer, data, DistillConfig(steps=40, batch_size=25, lr=3e-3), seed=0)
    return model


def full_forward_logprobs(model, prompt: str, token_ids) -> list[float]:
    ids = model.tokenizer.encode(prompt) + list(token_ids)
    with torch.no_grad():
        logp_T_V = model.model(input_ids=torch.tensor([ids])).logits[0].float().log_softmax(-1)
    n = len(ids) - len(token_ids)
    return [float(logp_T_V[n - 1 + i, t]) for i, t in enumerate(token_ids)]


def test_greedy_generation_equals_answer():
    model = trained()
    gens = model.generate(PROMPTS, max_new_tokens=TINY.max_answer_tokens + 1)
    answers = model.answer(PROMPTS)
    assert all(isinstance(g, Generation) for g in gens)
    assert [g.text for g in gens] == [a.text for a in answers]
    assert [g.logprobs for g in gens] == [a.logprobs for a in answers]
    assert all(len(g.token_ids) == len(g.logprobs) <= 4 for g in gens)


def test_logprobs_match_a_full_forward_pass_greedy_and_sampled():
    model = trained()
    for gens in (model.generate(PROMPTS, 6), model.generate(PROMPTS, 6, temperature=2.0, seed=1)):
        for prompt, g in zip(PROMPTS, gens):
            expected = full_forward_logprobs(model, prompt, g.token_ids)
            assert torch.allclose(torch.tensor(g.logprobs), torch.tensor(expected), atol=1e-4)


def test_stop_strings_cut_the_text_and_end_the_row():
    model = trained()
    free = model.generate(["add 3 4 ="], max_new_tokens=6)[0]
    assert ";" in free.text.split(), free  # the model learned "<sum> ; <a>"
    stopped = model.generate(["add 3 4 ="], max_new_tokens=6, stop=[";"])[0]
    assert stopped.text == free.text.split(";")[0].strip()
    assert stopped.token_ids == free.token_ids[: len(stopped.token_ids)]
    assert model.tokenizer.decode([stopped.token_ids[-1]]) == ";"  # the row ended on the stop token


def test_sampling_is_seeded_and_differs_from_greedy_at_high_temperature():
    model = LocalModel.build(TINY, VOCAB, seed=3)  # untrained: a near-uniform distribution
    prompts = ["add 1 2 ="] * 8
    a = model.generate(prompts, 8, temperature=5.0, seed=7)
    b = model.generate(prompts, 8, temperature=5.0, seed=7)
    c = model.generate(prompts, 8, temperature=5.0, seed=8)
    greedy = model.generate(prompts, 8)
    assert [g.token_ids for g in a] == [g.token_ids for g in b]
    assert [g.token_ids for g in a] != [g.token_ids for g in c]
    assert any(g.token_ids != greedy[0].token_ids for g in a)
    assert len({g.token_ids for g in greedy}) == 1


def test_load_any_local_causal_lm_dir(tmp_path):
    tokenizer = build_tokenizer(VOCAB)
    torch.manual_seed(0)
    llama = LlamaForCausalLM(LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64,
                                         num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2,
                                         max_position_embeddings=64, eos_token_id=tokenizer.eos_token_id,
                                         pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.eos_token_id))
    LocalModel(llama, tokenizer, "llama").save(tmp_path / "llama")
    loaded = LocalModel.load(tmp_path / "llama", max_answer_tokens=3)
    assert type(loaded.model).__name__ == "LlamaForCausalLM"
    batched = loaded.generate(PROMPTS, 5)
    single = [loaded.generate([p], 5)[0] for p in PROMPTS]
    assert [g.token_ids for g in batched] == [g.token_ids for g in single]
    for prompt, g in zip(PROMPTS, batched):
        expected = full_forward_logprobs(loaded, prompt, g.token_ids)
        assert torch.allclose(torch.tensor(g.logprobs), torch.tensor(expected), atol=1e-4)
    assert len(loaded.answer(PROMPTS)) == len(PROMPTS)


def test_generation_uses_the_current_cache_api_without_deprecation_warnings(tmp_path):
    """transformers deprecates `past_key_values` (removed in 5.40): generation must not lean on it, for GPT-2
    and for another architecture, greedy and sampled. Both channels are checked: Python warnings, and the
    `warning_once` messages transformers logs (their once-cache is cleared so an earlier test cannot hide one)."""
    import logging
    import warnings

    messages: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: messages.append(record.getMessage())  # type: ignore[method-assign]
    root = logging.getLogger("transformers")
    root.addHandler(handler)
    if hasattr(logging.Logger, "warning_once") and hasattr(logging.Logger.warning_once, "cache_clear"):
        logging.Logger.warning_once.cache_clear()
    tokenizer = build_tokenizer(VOCAB)
    llama = LlamaForCausalLM(LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64,
                                         num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2,
                                         max_position_embeddings=64, eos_token_id=tokenizer.eos_token_id,
                                         pad_token_id=tokenizer.pad_token_id))
    models = [LocalModel.build(TINY, VOCAB, seed=0), LocalModel(llama, tokenizer, "llama")]
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for model in models:
                model.generate(PROMPTS, 4)
                model.generate(PROMPTS, 4, temperature=1.0, seed=0, stop=[";"])
    finally:
        root.removeHandler(handler)
    deprecations = [str(w.message) for w in caught if issubclass(w.category, (DeprecationWarning, FutureWarning))]
    assert deprecations == []
    assert not [m for m in messages if "deprecated" in m.lower()], messages
