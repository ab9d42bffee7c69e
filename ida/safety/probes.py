"""The student's next-token distribution at the answer position (the token right after `=`), for drift and
next-token entropy. Computed here from `LocalModel.model` / `.tokenizer` with the same left padding and position
ids as `LocalModel.answer` (`ida.models.generation`), so the distribution is the one greedy answering starts from."""

from __future__ import annotations

import torch

from ida.models.generation import left_pad, pad_id
from ida.models.local import LocalModel
from ida.models.positions import PositionScheme


@torch.no_grad()
def answer_logprobs(model: LocalModel, prompts: list[str], batch_size: int = 256) -> torch.Tensor:
    """log p(first answer token | prompt) for each prompt: logp_B_V (float32, on the CPU)."""
    net, tok = model.model, model.tokenizer
    net.eval()
    device = next(net.parameters()).device
    scheme, out = PositionScheme.of(net), []
    for start in range(0, len(prompts), batch_size):
        ids_B_T, mask_B_T = left_pad([tok.encode(p) for p in prompts[start:start + batch_size]], pad_id(tok))
        ids_B_T, mask_B_T = ids_B_T.to(device), mask_B_T.to(device)
        logits_B_T_V = net(input_ids=ids_B_T, attention_mask=mask_B_T,
                           position_ids=scheme.ids(ids_B_T, mask_B_T)).logits
        out.append(logits_B_T_V[:, -1].float().log_softmax(-1).cpu())
    return torch.cat(out)


def mean_entropy(logp_B_V: torch.Tensor) -> float:
    """Mean Shannon entropy (nats) of the rows."""
    return float(-(logp_B_V.exp() * logp_B_V).sum(-1).mean())


def mean_kl(logp_B_V: torch.Tensor, ref_logp_B_V: torch.Tensor) -> float:
    """Mean KL(p || ref) in nats over the rows (both over the same vocabulary)."""
    return float((logp_B_V.exp() * (logp_B_V - ref_logp_B_V)).sum(-1).mean())
