"""The all-labels ceiling of a from-scratch student on long addition, outside the harness: which architecture and
position scheme learns lengths 1..L (least significant digit first, `4 9 + 7 0 + 1 = 2 0 1`) on CPU from true
labels, with a length curriculum (lengths 1..2, then 1..4, 1..8, 1..16: the next stage when the current longest
length reaches 95% exact match), and how far it extrapolates (lengths L+1..L+8).

    python benchmarks/addition_ceiling.py --arch llama --scheme coupled       # RoPE, positions restart at + and =
    python benchmarks/addition_ceiling.py --arch llama --scheme sequential    # RoPE, positions 0, 1, 2, ...
    python benchmarks/addition_ceiling.py --arch gpt2 --scheme sequential     # learned absolute positions
    python benchmarks/addition_ceiling.py --curriculum 0                      # every length from the start

Fresh random questions every step (batch 128), AdamW lr 1e-3, one thread; stops at `--minutes` or `--steps`.
Accuracy is teacher-forced exact match of the whole answer, which equals greedy decoding's exact match. Coupled
ids are computed as `ida.models.positions` computes them (separators '+' and '=' get 0, digit i gets i + 1).
The last line is JSON: the stages reached (step, seconds, new longest length) and accuracy per length."""

import argparse
import json
import random
import time

import torch
from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

V = ["[PAD]", "[EOS]", "+", "="] + [str(d) for d in range(10)]
ID = {t: i for i, t in enumerate(V)}
PAD, EOS, PLUS, EQ = 0, 1, 2, 3
SEP = (PLUS, EQ)


def example(rng, n):
    a = [rng.randrange(10) for _ in range(n)]
    b = [rng.randrange(10) for _ in range(n)]
    c = rng.randrange(2)
    out, carry = [], c
    for x, y in zip(a, b):
        carry, d = divmod(x + y + carry, 10)
        out.append(d)
    out.append(carry)
    prompt = [ID[str(x)] for x in a] + [PLUS] + [ID[str(x)] for x in b] + [PLUS, ID[str(c)], EQ]
    return prompt, [ID[str(x)] for x in out] + [EOS]


def coupled(ids, shift=0):
    pos, p = [], 0
    for t in ids:
        p = 0 if t in SEP else p + 1
        pos.append(p if t in SEP else p + shift)
    return pos


def batch(rng, ns, scheme, shift_max=0):
    rows = [example(rng, n) for n in ns]
    T = max(len(p) + len(a) for p, a in rows)
    ids = torch.full((len(rows), T), PAD)
    lab = torch.full((len(rows), T), -100)
    pos = torch.zeros((len(rows), T), dtype=torch.long)
    mask = torch.zeros((len(rows), T), dtype=torch.long)
    for i, (p, a) in enumerate(rows):
        s = p + a
        ids[i, : len(s)] = torch.tensor(s)
        mask[i, : len(s)] = 1
        lab[i, len(p) - 1 : len(s) - 1] = torch.tensor(a)  # shifted: position t predicts t+1
        if scheme == "coupled":
            pp = coupled(s, rng.randint(0, shift_max) if shift_max else 0)
            pos[i, : len(s)] = torch.tensor(pp)
            pos[i, len(s) :] = pp[-1]
        else:
            pos[i] = torch.arange(T)
    return ids, mask, pos, lab


def build(arch, layers, width, heads, npos):
    torch.manual_seed(0)
    if arch == "gpt2":
        return GPT2LMHeadModel(
            GPT2Config(
                vocab_size=len(V),
                n_layer=layers,
                n_embd=width,
                n_head=heads,
                n_positions=npos,
                resid_pdrop=0,
                embd_pdrop=0,
                attn_pdrop=0,
            )
        )
    return LlamaForCausalLM(
        LlamaConfig(
            vocab_size=len(V),
            hidden_size=width,
            intermediate_size=4 * width,
            num_hidden_layers=layers,
            num_attention_heads=heads,
            num_key_value_heads=heads,
            max_position_embeddings=npos,
            rope_theta=10000.0,
            tie_word_embeddings=True,
        )
    )


def logits(model, ids, mask, pos):
    return model(input_ids=ids, attention_mask=mask, position_ids=pos).logits


@torch.no_grad()
def acc(model, rng, n, scheme, k=64):
    model.eval()
    ids, mask, pos, lab = batch(rng, [n] * k, scheme)
    lg = logits(model, ids, mask, pos)
    model.train()
    ok = ((lg.argmax(-1) == lab) | (lab == -100)).all(-1)
    return ok.float().mean().item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", default="llama")
    ap.add_argument("--scheme", default="coupled")
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--curriculum", type=int, default=1)
    ap.add_argument("--L", type=int, default=16)
    ap.add_argument("--minutes", type=float, default=12)
    ap.add_argument("--shift", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(1)
    model = build(a.arch, a.layers, a.width, a.heads, 128)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.0)
    rng, erng = random.Random(1), random.Random(2)
    cur = 2 if a.curriculum else a.L
    t0 = time.time()
    log = []
    for step in range(1, a.steps + 1):
        ns = [rng.randint(1, cur) for _ in range(a.batch)]
        ids, mask, pos, lab = batch(rng, ns, a.scheme, a.shift)
        lg = logits(model, ids, mask, pos)
        loss = torch.nn.functional.cross_entropy(lg.reshape(-1, lg.shape[-1]), lab.reshape(-1), ignore_index=-100)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 100 == 0:
            ac = acc(model, erng, cur, a.scheme)
            print(
                f"step {step} t={time.time() - t0:.0f}s cur={cur} loss={loss.item():.3f} acc@{cur}={ac:.2f}", flush=True
            )
            if a.curriculum and ac >= 0.95 and cur < a.L:
                cur = min(a.L, cur * 2)
                log.append((step, round(time.time() - t0), cur))
            if cur == a.L and ac >= 0.98 and step >= 300:
                break
            if time.time() - t0 > a.minutes * 60:
                break
    per = {n: acc(model, erng, n, a.scheme, 64) for n in range(1, a.L + 9)}
    print(
        json.dumps(
            {
                "args": vars(a),
                "stages": log,
                "steps": step,
                "secs": round(time.time() - t0),
                "acc": {n: round(v, 2) for n, v in per.items()},
            }
        ),
        flush=True,
    )


main()
