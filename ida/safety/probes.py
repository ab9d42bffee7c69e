"""The student's next-token distribution at the answer position (the token right after `=`), for drift and
next-token entropy. Computed here from `LocalModel.model` / `.tokenizer` with the same left padding and position
ids as `LocalModel.answer`, so the distribution is the one greedy answering starts from."""

from __future__ import annotations

import torch

from ida.models.local import LocalModel


@torch.no_grad()
def answer_logprobs(model: LocalModel, prompts: list[str], batch_size: int = 256) -> torch.Tensor:
    """log p(first answer token | prompt) for each prompt: logp_B_V (float32, on the CPU)."""
    net, tok = model.model, model.tokenizer
    net.eval()
    device = next(net.parameters()).device
    out = []
    for start in range(0, len(prompts), batch_size):
        seqs = [tok.encode(p) for p in prompts[start:start + batch_size]]
        width = max(len(s) for s in seqs)
        ids_B_T = torch.tensor([[tok.pad_token_id] * (width - len(s)) + s for s in seqs], device=device)
        mask_B_T = torch.tensor([[0] * (width - len(s)) + [1] * len(s) for s in seqs], device=device)
        pos_B_T = (mask_B_T.cumsum(-1) - 1).clamp(min=0)
        logits_B_T_V = net(input_ids=ids_B_T, attention_mask=mask_B_T, position_ids=pos_B_T).logits
        out.append(logits_B_T_V[:, -1].float().log_softmax(-1).cpu())
    return torch.cat(out)


def mean_entropy(logp_B_V: torch.Tensor) -> float:
    """Mean Shannon entropy (nats) of the rows."""
    return float(-(logp_B_V.exp() * logp_B_V).sum(-1).mean())


def mean_kl(logp_B_V: torch.Tensor, ref_logp_B_V: torch.Tensor) -> float:
    """Mean KL(p || ref) in nats over the rows (both over the same vocabulary)."""
    return float((logp_B_V.exp() * (logp_B_V - ref_logp_B_V)).sum(-1).mean())
