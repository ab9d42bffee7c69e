"""Subword tokenizers through the student: prompts render the same everywhere, the answer tokens trained on are
the tokens generation emits after the same prompt, EOS / end-of-turn, a missing pad token, context length."""

import pytest
import torch

from ida.config import DistillConfig, ModelConfig
from ida.distill.data import IGNORE, Example, tokenize
from ida.distill.trainer import train
from ida.models.generation import generate
from ida.models.pretrained import context_length, prompt_format
from ida.models.prompts import StudentTokenizer
from ida.tasks import make_task
from tests.models.tiny_lm import IM_END, bpe_tokenizer, task_texts, tiny_causal_lm

TASK = make_task("permutation", n_items=8, max_k=4)
TEXTS = task_texts(TASK)
VARIANTS = {  # arch, BOS, prompt format
    "gpt2-plain": ("gpt2", False, "plain"), "llama-bos-plain": ("llama", True, "plain"),
    "qwen2-chat": ("qwen2", False, "chat"), "llama-bos-chat": ("llama", True, "chat"),
}


def student(variant: str, **fmt) -> StudentTokenizer:
    arch, bos, kind = VARIANTS[variant]
    raw = bpe_tokenizer(TEXTS, bos=bos, chat=True)
    cfg = ModelConfig(pretrained="x", prompt_format=kind, **fmt)
    return StudentTokenizer(raw, prompt_format(cfg))


def examples():
    return [Example(q.prompt, TASK.true_answer(q), q.id) for q in TASK.questions("train")[:12]]


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_dataset_targets_decode_to_the_intended_strings(variant):
    tok = student(variant)
    assert tok.raw.pad_token_id is None  # trained without a pad token: the student falls back to EOS
    data = tokenize(examples(), tok, 128)
    for e, labels in zip(examples(), data.labels_N_T):
        answer = labels[labels != IGNORE].tolist()
        assert answer[-1] == tok.eos_token_id and tok.decode_answer(answer) == e.target
        assert answer == tok.encode_answer(e.target)
    if VARIANTS[variant][2] == "plain":
        assert tok.raw.convert_ids_to_tokens(tok.encode_answer("17"))[0].startswith("Ġ")  # " 17" after "="
    if VARIANTS[variant][1]:  # plain: the tokenizer's BOS once; chat: only what the template writes (none here)
        ids = tok.encode("perm 1 ^ 2 =")
        assert ids.count(tok.raw.bos_token_id) == (1 if VARIANTS[variant][2] == "plain" else 0)
        assert VARIANTS[variant][2] == "chat" or ids[0] == tok.raw.bos_token_id


def test_chat_renders_through_the_template_and_ends_answers_with_end_of_turn():
    tok = student("qwen2-chat", system_prompt="Answer with a number.",
                  few_shot=[{"question": "perm 0 ^ 1 =", "answer": "3"}])
    text = tok.render("perm 1 ^ 2 =")
    assert text.startswith("<|im_start|>system\nAnswer with a number.<|im_end|>")
    assert "<|im_start|>assistant\n3<|im_end|>" in text
    assert text.endswith("perm 1 ^ 2 =<|im_end|>\n<|im_start|>assistant\n")
    assert tok.eos_token_id == tok.raw.convert_tokens_to_ids(IM_END) != tok.raw.eos_token_id
    assert tok.encode_answer("17")[-1] == tok.eos_token_id


def test_chat_without_a_template_fails():
    raw = bpe_tokenizer(TEXTS)
    with pytest.raises(ValueError, match="chat template"):
        StudentTokenizer(raw, prompt_format(ModelConfig(pretrained="x", prompt_format="chat")))


@pytest.mark.parametrize("variant", [pytest.param("gpt2-plain", marks=pytest.mark.slow), "llama-bos-plain",
                                     pytest.param("qwen2-chat", marks=pytest.mark.slow)])
def test_generation_emits_the_trained_answer_tokens(variant):
    """Overfit a tiny model on 8 examples: greedy generation after the same prompt gives exactly the label
    tokens (same boundary, same leading space, the stop token) and the answer text."""
    tok = student(variant)
    torch.manual_seed(0)
    model = tiny_causal_lm(VARIANTS[variant][0], len(tok), width=64, layers=2)
    result = train(model, tok, examples()[:8], DistillConfig(steps=100, batch_size=8, lr=3e-3), seed=0)
    assert result.final_loss < 0.2
    gens = generate(model, tok, [e.prompt for e in examples()[:8]], max_new_tokens=6)
    for e, g in zip(examples(), gens):
        assert list(g.token_ids) == tok.encode_answer(e.target) and g.text == e.target


def test_context_length_from_any_architecture_and_a_row_too_long_is_named():
    assert context_length(tiny_causal_lm("llama", 50, positions=96).config) == 96
    assert context_length(tiny_causal_lm("gpt2", 50, positions=80).config) == 80
    tok = student("llama-bos-plain")
    with pytest.raises(ValueError, match=r"has \d+ tokens \(prompt \d+ \+ answer \d+\), .* context length of 3"):
        tokenize(examples()[:1], tok, 3)  # BOS + prompt + answer + EOS: at least 4


def test_the_word_level_default_encodes_exactly_as_before():
    from ida.models import LocalModel

    model = LocalModel.build(ModelConfig(n_layer=1, n_embd=16, n_head=2), TASK.vocabulary(), seed=0)
    raw = model.tokenizer.raw
    assert model.tokenizer.encode("perm 1 ^ 2 =") == raw.encode("perm 1 ^ 2 =")
    assert model.tokenizer.encode_answer("17") == raw.encode("17") + [raw.eos_token_id]
