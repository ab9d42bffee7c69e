"""Batched text generation for a causal LM with the KV cache: greedy or seeded sampling, stop strings, and the
log-probs of the generated tokens.

Rows are left-padded so every row's next token sits in the last column; position ids are counted over the real
tokens only (`ida.models.positions`: sequential, or coupled for a student saved with it), so a padded row sees
the same positions as it would alone (batched output equals one-by-one output).

    gens = generate(model, tokenizer, ["perm 3 ^ 2 ="], max_new_tokens=5)
    gens[0].text, gens[0].token_ids, gens[0].logprobs
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import torch
from transformers import DynamicCache

from ida.models.positions import PositionScheme
from ida.models.prompts import student_tokenizer


@dataclass(frozen=True)
class Generation:
    """One generated continuation.

    `token_ids` are the generated tokens, up to and including EOS or the token that completed a stop string;
    `logprobs` are their log-probs under the model's own distribution (log-softmax of the raw logits, i.e. at
    temperature 1 whatever the sampling temperature), one per token; `text` is the decoded continuation, cut
    before EOS and before the first stop string, stripped of surrounding whitespace.
    """

    text: str
    token_ids: tuple[int, ...]
    logprobs: tuple[float, ...]


@torch.inference_mode()
def generate(model, tokenizer, prompts: list[str], max_new_tokens: int, temperature: float = 0.0,
             stop: list[str] | None = None, seed: int | None = None, batch_size: int = 512) -> list[Generation]:
    """Generate up to `max_new_tokens` tokens per prompt; temperature 0 is greedy, > 0 samples from
    softmax(logits / temperature) with a `torch.Generator` seeded by `seed` (the global RNG when None)."""
    if max_new_tokens < 1:
        raise ValueError("max_new_tokens must be at least 1")
    if temperature < 0:
        raise ValueError("temperature must be >= 0")
    tokenizer = student_tokenizer(tokenizer)  # prompts rendered as the student sees them; its stop tokens
    model.eval()
    device = next(model.parameters()).device
    rng = None
    if temperature > 0 and seed is not None:
        rng = torch.Generator(device=device).manual_seed(seed)
    out: list[Generation] = []
    for start in range(0, len(prompts), batch_size):
        chunk = prompts[start:start + batch_size]
        out.extend(_generate_batch(model, tokenizer, chunk, max_new_tokens, temperature, stop or [], rng, device))
    return out


def _generate_batch(model, tokenizer, prompts, max_new_tokens, temperature, stop, rng, device) -> list[Generation]:
    """The decoding loop keeps per-step work on tensors: one attention mask for the whole generation (sliced,
    never concatenated), positions advanced by one, tokens and log-probs written into preallocated columns, and
    one transfer to Python at the end. Only stop strings need a per-row look at the text while generating."""
    ids_B_T, mask_B_T = left_pad(tokenizer.encode_batch(prompts), pad_id(tokenizer))
    ids_B_T, mask_B_T = ids_B_T.to(device), mask_B_T.to(device)
    B, T = ids_B_T.shape
    stop_ids_S = torch.tensor(tokenizer.stop_ids, device=device)
    mask_B_L = torch.ones(B, T + max_new_tokens, dtype=mask_B_T.dtype, device=device)
    mask_B_L[:, :T] = mask_B_T
    scheme = PositionScheme.of(model)  # sequential, or coupled (restarting after separators)
    pos_B_T = scheme.ids(ids_B_T, mask_B_T)
    tokens_B_N = torch.zeros(B, max_new_tokens, dtype=torch.long, device=device)
    logp_B_N = torch.zeros(B, max_new_tokens, device=device)
    length_B = torch.full((B,), max_new_tokens, dtype=torch.long, device=device)  # up to and including the end
    done_B = torch.zeros(B, dtype=torch.bool, device=device)
    texts: list[str | None] = [None] * B  # set when a stop string ends the row
    cache_kwarg, cache = new_cache(model)
    last_only = _last_logits_only(model)
    step_ids_B_T, steps = ids_B_T, 0
    for step in range(max_new_tokens):
        result = model(input_ids=step_ids_B_T, attention_mask=mask_B_L[:, :T + step], position_ids=pos_B_T,
                       use_cache=True, **{cache_kwarg: cache}, **last_only)
        logits_B_V = result.logits[:, -1].float()
        next_B = _pick(logits_B_V, temperature, rng)
        tokens_B_N[:, step] = next_B
        logp_B_N[:, step] = logits_B_V.log_softmax(-1).gather(-1, next_B[:, None]).squeeze(-1)
        steps = step + 1
        ended_B = torch.isin(next_B, stop_ids_S)
        if stop:
            ended_B |= _stop_strings_end(tokenizer, tokens_B_N, steps, done_B | ended_B, stop, texts)
        length_B = torch.where(ended_B & ~done_B, steps, length_B)
        done_B |= ended_B
        if bool(done_B.all()):
            break
        step_ids_B_T = next_B[:, None]  # the cache object grows in place
        pos_B_T = scheme.next(pos_B_T[:, -1], next_B)[:, None]
    lengths = length_B.clamp(max=steps).tolist()
    rows, logps = tokens_B_N[:, :steps].tolist(), logp_B_N[:, :steps].tolist()
    rows = [row[:n] for row, n in zip(rows, lengths)]
    decoded = tokenizer.decode_answers(rows)
    return [Generation(text=texts[b] if texts[b] is not None else decoded[b], token_ids=tuple(rows[b]),
                       logprobs=tuple(logps[b][:lengths[b]])) for b in range(B)]


def _stop_strings_end(tokenizer, tokens_B_N, steps, skip_B, stop, texts) -> torch.Tensor:
    """Rows (not in `skip_B`) whose text now holds a stop string; their cut text goes into `texts`."""
    ended_B = torch.zeros_like(skip_B)
    for b in (~skip_B).nonzero().flatten().tolist():
        texts[b] = _cut_at_stop(decode(tokenizer, tokens_B_N[b, :steps].tolist()), stop)
        ended_B[b] = texts[b] is not None
    return ended_B


def _last_logits_only(model) -> dict:
    """`logits_to_keep=1` where forward() takes it: the prompt's pass computes the vocabulary projection for its
    last position only (what `model.generate` does too)."""
    return {"logits_to_keep": 1} if "logits_to_keep" in inspect.signature(model.forward).parameters else {}


def new_cache(model) -> tuple[str, DynamicCache]:
    """An empty KV cache for `model` and the forward() argument that takes it: `cache` in the transformers that
    renamed it (passing `past_key_values` there warns, and 5.40 removes it), `past_key_values` before."""
    name = "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"
    try:
        return name, DynamicCache(config=model.config)  # sliding-window layers where the config has them
    except TypeError:  # transformers before DynamicCache took a config
        return name, DynamicCache()


def _pick(logits_B_V: torch.Tensor, temperature: float, rng: torch.Generator | None) -> torch.Tensor:
    if temperature == 0:
        return logits_B_V.argmax(-1)
    probs_B_V = (logits_B_V / temperature).softmax(-1)
    return torch.multinomial(probs_B_V, 1, generator=rng).squeeze(-1)


def _cut_at_stop(text: str, stop: list[str]) -> str | None:
    """The text before the earliest stop string, or None when no stop string occurs."""
    hits = [i for i in (text.find(s) for s in stop if s) if i >= 0]
    return text[:min(hits)].strip() if hits else None


def decode(tokenizer, ids: list[int]) -> str:
    return student_tokenizer(tokenizer).decode_answer(ids)


def pad_id(tokenizer) -> int:
    """The pad id, falling back to EOS for tokenizers saved without one (many causal LMs); padded positions
    are masked out, so which id fills them does not matter."""
    if hasattr(tokenizer, "stop_ids"):
        return tokenizer.pad_token_id  # a StudentTokenizer does the fallback itself
    for candidate in (tokenizer.pad_token_id, tokenizer.eos_token_id):
        if candidate is not None:
            return candidate
    return 0


def position_ids(mask_B_T: torch.Tensor) -> torch.Tensor:
    """Positions counted over the real tokens only, so a left-padded row sees the positions it would alone."""
    return (mask_B_T.cumsum(-1) - 1).clamp(min=0)


def left_pad(seqs: list[list[int]], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(s) for s in seqs)
    ids = [[pad] * (width - len(s)) + s for s in seqs]
    mask = [[0] * (width - len(s)) + [1] * len(s) for s in seqs]
    return torch.tensor(ids), torch.tensor(mask)
