"""How a student sees its prompts and answers: `StudentTokenizer`, a transformers tokenizer plus a prompt format.

Every place that turns a question into model input (training, amplification, evaluation, on-policy sampling, the
teachers' prompts, the safety probes) calls `encode(prompt)`, so the rendering is the same everywhere:

- `plain`: the prompt text itself (with the system prompt and few-shot examples above it, when set), tokenized
  with the tokenizer's own special tokens (BOS where the tokenizer adds one);
- `chat`: the messages (system, few-shot turns, the question) rendered through the tokenizer's chat template
  with the generation prompt; the template writes its own BOS, so no special tokens are added again.

An answer's tokens are `encode_answer(target)`: the answer text tokenized on its own after the prompt's
boundary (a leading space in plain format for subword tokenizers, as the answer follows "... =" in running
text), then the stop token (the checkpoint's EOS, or the chat template's end-of-turn token). They are the tokens
generation emits after the same prompt ids, and `decode_answer` of them gives the target back.
The embedded default (word-level tokenizer, no separator) encodes exactly as the bare tokenizer does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_MARK = "\u2063IDA_ANSWER\u2063"  # a string no template or task produces: where the assistant's answer goes


@dataclass(frozen=True)
class PromptFormat:
    """`kind` plain or chat; `system_prompt` and `few_shot` ((question, answer) pairs) go before the question;
    `answer_prefix` is put before an answer's text when it is tokenized (a space for plain subword models)."""

    kind: str = "plain"
    system_prompt: str | None = None
    few_shot: tuple[tuple[str, str], ...] = field(default=())
    answer_prefix: str = ""


class StudentTokenizer:
    """A tokenizer as the student uses it (see the module docstring). Anything not defined here (vocabulary,
    `save_pretrained`, `convert_ids_to_tokens`, ...) is the wrapped tokenizer's (`raw`)."""

    def __init__(self, raw: Any, fmt: PromptFormat | None = None) -> None:
        self.raw, self.format = raw, fmt or PromptFormat()
        if self.format.kind == "chat" and not getattr(raw, "chat_template", None):
            raise ValueError("model.prompt_format: chat needs a tokenizer with a chat template (this one has none)")
        self.stop_id = end_of_turn_id(raw) if self.format.kind == "chat" else raw.eos_token_id
        if self.stop_id is None:
            raise ValueError("model: the tokenizer has no EOS token (set eos_token in its tokenizer_config.json)")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "raw":  # copy/pickle probe dunders before `raw` exists
            raise AttributeError(name)
        return getattr(self.raw, name)

    def __len__(self) -> int:
        return len(self.raw)

    @property
    def eos_token_id(self) -> int:
        """The token that ends an answer: generation stops there, training targets end with it."""
        return self.stop_id

    @property
    def stop_ids(self) -> tuple[int, ...]:
        """Tokens that end generation: the stop token and the checkpoint's EOS."""
        return tuple(dict.fromkeys(t for t in (self.stop_id, self.raw.eos_token_id) if t is not None))

    @property
    def pad_token_id(self) -> int:
        """The pad id, falling back to EOS for tokenizers saved without one (padded positions are masked)."""
        for candidate in (self.raw.pad_token_id, self.raw.eos_token_id, self.stop_id):
            if candidate is not None:
                return candidate
        return 0

    def render(self, prompt: str) -> str:
        """The text the model reads for `prompt`."""
        f = self.format
        if f.kind == "chat":
            return self.raw.apply_chat_template(self._messages(prompt), add_generation_prompt=True, tokenize=False)
        head = [f.system_prompt] if f.system_prompt else []
        head += [f"{q}{f.answer_prefix}{a}" for q, a in f.few_shot]
        return "\n".join([*head, prompt])

    def encode(self, prompt: str) -> list[int]:
        """A prompt's ids as the student sees it (rendered)."""
        return list(self.raw.encode(self.render(prompt), add_special_tokens=self.format.kind == "plain"))

    def encode_batch(self, prompts: list[str]) -> list[list[int]]:
        """`encode` of each prompt, in one call of the fast tokenizer (what generation starts with)."""
        texts = [self.render(p) for p in prompts]
        return [list(ids) for ids in self.raw(texts, add_special_tokens=self.format.kind == "plain")["input_ids"]]

    def decode_answers(self, rows: list[list[int]]) -> list[str]:
        """`decode_answer` of each row of generated ids, in one call of the fast tokenizer."""
        stops = set(self.stop_ids)  # a property that asks the tokenizer: once, not per token
        cut = [ids[:next((i for i, t in enumerate(ids) if t in stops), len(ids))] for ids in rows]
        return [text.strip() for text in self.raw.batch_decode(cut)]

    def encode_answer(self, target: str) -> list[int]:
        """The ids generation emits for `target` after a prompt: the answer's tokens, then the stop token."""
        return self.encode_answers([target])[0]

    def encode_answers(self, targets: list[str]) -> list[list[int]]:
        """`encode_answer` of each target, in one call of the fast tokenizer (a dataset's worth at once)."""
        if not targets:
            return []
        texts = [self.format.answer_prefix + t for t in targets]
        return [[*ids, self.stop_id] for ids in self.raw(texts, add_special_tokens=False)["input_ids"]]

    def decode_answer(self, ids: list[int]) -> str:
        """Generated ids -> the answer text: cut at the stop token (or EOS), outer whitespace stripped."""
        stops = set(self.stop_ids)
        ends = [i for i, t in enumerate(ids) if t in stops]
        return self.raw.decode(ids[:ends[0]] if ends else ids).strip()

    def decode(self, ids, **kwargs) -> str:
        return self.raw.decode(ids, **kwargs)

    def _messages(self, prompt: str) -> list[dict[str, str]]:
        f = self.format
        messages = [{"role": "system", "content": f.system_prompt}] if f.system_prompt else []
        for q, a in f.few_shot:
            messages += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
        return [*messages, {"role": "user", "content": prompt}]


def student_tokenizer(tokenizer: Any) -> StudentTokenizer:
    """`tokenizer` as a `StudentTokenizer` (a bare transformers tokenizer gets the plain format, no prefix)."""
    return tokenizer if isinstance(tokenizer, StudentTokenizer) else StudentTokenizer(tokenizer)


def end_of_turn_id(tokenizer: Any) -> int | None:
    """The token the chat template puts right after an assistant's answer (e.g. Qwen's <|im_end|>, Llama 3's
    <|eot_id|>), when it is a single special token; else the tokenizer's EOS."""
    messages = [{"role": "user", "content": "q"}, {"role": "assistant", "content": _MARK}]
    try:
        text = tokenizer.apply_chat_template(messages, tokenize=False)
    except Exception:  # noqa: BLE001 (a template may refuse this shape; EOS is then the best guess)
        return tokenizer.eos_token_id
    after = text.split(_MARK, 1)[1] if _MARK in text else ""
    specials = {t: i for t, i in zip(tokenizer.all_special_tokens, tokenizer.all_special_ids)}
    specials.update({t.content: i for i, t in tokenizer.added_tokens_decoder.items() if t.special})
    for token, token_id in sorted(specials.items(), key=lambda kv: -len(kv[0])):
        if after.lstrip().startswith(token):
            return token_id
    return tokenizer.eos_token_id
