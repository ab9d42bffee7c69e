"""Tiny pretrained-style checkpoints for tests, built in-process (no hub): a byte-level BPE tokenizer trained
here on a task's text (optionally with BOS, optionally with a ChatML chat template), and a random Llama, Qwen2 or
GPT-2 of a few thousand parameters, saved with save_pretrained."""

from __future__ import annotations

from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast, \
    Qwen2Config, Qwen2ForCausalLM

EOS, BOS, IM_START, IM_END = "<|endoftext|>", "<s>", "<|im_start|>", "<|im_end|>"
CHATML = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
          "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def bpe_tokenizer(texts: list[str], vocab_size: int = 400, bos: bool = False,
                  chat: bool = False) -> PreTrainedTokenizerFast:
    """Byte-level BPE trained on `texts` (no pad token: the student must cope); `bos` prepends <s> to every
    encoding, `chat` adds the ChatML specials and template."""
    specials = [EOS, BOS, IM_START, IM_END]
    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    core.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials,
                                                        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    if bos:
        core.post_processor = processors.TemplateProcessing(single=f"{BOS} $A", pair=f"{BOS} $A $B",
                                                            special_tokens=[(BOS, core.token_to_id(BOS))])
    else:
        core.post_processor = processors.ByteLevel(trim_offsets=False)
    tok = PreTrainedTokenizerFast(tokenizer_object=core, eos_token=EOS, bos_token=BOS if bos else None,
                                  additional_special_tokens=[IM_START, IM_END])
    if chat:
        tok.chat_template = CHATML
    return tok


def task_texts(task) -> list[str]:
    """What the tokenizer learns from: every prompt with its answer, plain and chat-shaped."""
    out = []
    for split in ("train", "eval"):
        for q in task.questions(split):
            answer = task.true_answer(q) or ""
            out += [f"{q.prompt} {answer}", f"{IM_START}user\n{q.prompt}{IM_END}\n{IM_START}assistant\n{answer}"]
    return out


def tiny_causal_lm(arch: str, vocab_size: int, positions: int = 128, width: int = 32, layers: int = 1):
    common = dict(vocab_size=vocab_size, tie_word_embeddings=False)
    if arch == "gpt2":
        return GPT2LMHeadModel(GPT2Config(n_layer=layers, n_embd=width, n_head=2, n_positions=positions, **common))
    cls, config_cls = {"llama": (LlamaForCausalLM, LlamaConfig), "qwen2": (Qwen2ForCausalLM, Qwen2Config)}[arch]
    return cls(config_cls(hidden_size=width, intermediate_size=2 * width, num_hidden_layers=layers,
                          num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=positions, **common))


def save_checkpoint(path: Path, arch: str, task, bos: bool = False, chat: bool = False, seed: int = 0,
                    **model_kwargs) -> Path:
    """A save_pretrained dir: tokenizer trained on `task`'s text + a random `arch` model sized to it."""
    import torch

    tok = bpe_tokenizer(task_texts(task), bos=bos, chat=chat)
    torch.manual_seed(seed)
    model = tiny_causal_lm(arch, len(tok), **model_kwargs)
    model.config.eos_token_id = tok.eos_token_id
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return Path(path)
