"""Our SFT loop (`ida.distill.trainer.train`) against TRL's `SFTTrainer`, side by side in one process: the same
tiny GPT-2 (the project's config and word-level tokenizer, built in-process), the same permutation examples
(true answers), the same steps, batch size, learning rate, constant schedule, AdamW, gradient clipping at 1.0
and fp32 (TRL's SFTConfig defaults to bf16 autocast, even on CPU: off here); both train on the completion only.
Rounds alternate (ours, TRL, ours, TRL, ...) so load on a shared machine hits both alike; each trainer's best
tokens/s over the rounds and its mean final loss are reported.

    python benchmarks/distill_vs_trl.py                # CPU, ~2-4 minutes on 2 cores
Goal (issue 5): tokens/s ratio >= 1.2x, final loss within 5%.

Tokens are non-padding tokens of the training rows (prompt + answer + EOS), counted the same way for both.
"Final loss" is the mean answer-token cross-entropy of the trained model on the whole training set (eval mode),
computed by one function for both and averaged over the rounds' data-order seeds (one seed's loss at 100 steps
varies by about +-7% with the order alone); the last 10 logged training losses of the fastest round are beside it.
"""

from __future__ import annotations

import argparse
import copy
import logging
import platform
import tempfile
import time
import warnings

import torch

from ida.config import DistillConfig, ModelConfig
from ida.distill.data import supervised_examples, tokenize
from ida.distill.objectives import sft_loss
from ida.distill.trainer import train
from ida.models import LocalModel
from ida.tasks import make_task


def ours(model, tokenizer, examples, args, seed: int) -> tuple[float, int, list[float]]:
    cfg = DistillConfig(steps=args.steps, batch_size=args.batch_size, lr=args.lr, max_grad_norm=1.0,
                        stop_when_fit=False)  # equal step counts
    result = train(model, tokenizer, examples, cfg, seed=seed)
    return result.seconds, result.tokens, result.losses


def trl(model, tokenizer, examples, args, seed: int) -> tuple[float, int, list[float]]:
    from datasets import Dataset
    from transformers import PrinterCallback
    from trl import SFTConfig, SFTTrainer

    data = Dataset.from_dict({"prompt": [e.prompt for e in examples], "completion": [" " + e.target for e in examples]})
    with tempfile.TemporaryDirectory() as out:
        config = SFTConfig(output_dir=out, max_steps=args.steps, per_device_train_batch_size=args.batch_size,
                           learning_rate=args.lr, lr_scheduler_type="constant", warmup_steps=0, weight_decay=0.0,
                           max_grad_norm=1.0, optim="adamw_torch", completion_only_loss=True, packing=False,
                           report_to="none", save_strategy="no", logging_steps=1, use_cpu=True, seed=seed, bf16=False,
                           dataloader_num_workers=0, disable_tqdm=True, max_length=model.config.n_positions)
        trainer = SFTTrainer(model=model, args=config, train_dataset=data, processing_class=tokenizer)
        trainer.remove_callback(PrinterCallback)  # per-step log lines; the logs still go to state.log_history
        start = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - start
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    lengths = [len(tokenizer.encode(e.prompt)) + len(tokenizer.encode(e.target)) + 1 for e in examples]
    # Epochs of shuffled rows: every row is seen equally often when steps * batch is a multiple of the set.
    tokens = round(args.steps * args.batch_size * sum(lengths) / len(lengths))
    return seconds, tokens, losses


@torch.no_grad()
def dataset_loss(model, tokenizer, examples) -> float:
    model.eval()
    data = tokenize(examples, tokenizer, model.config.n_positions)
    batch = data.batch(torch.arange(len(data)))
    out = sft_loss(model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits,
                   batch["labels"])
    return float(out.sum_loss / out.n_tokens)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds, each with its own data-order seed")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    logging.getLogger("transformers").setLevel(logging.ERROR)
    task = make_task("permutation")
    examples = supervised_examples(task, task.questions("train"))
    base = LocalModel.build(ModelConfig(), task.vocabulary(), seed=0)
    best: dict[str, tuple] = {}
    final: dict[str, list[float]] = {"ours": [], "trl": []}
    for seed in range(args.rounds):
        for name, fn in (("ours", ours), ("trl", trl)):
            model = copy.deepcopy(base.model)
            seconds, tokens, losses = fn(model, base.tokenizer, examples, args, seed)
            final[name].append(dataset_loss(model, base.tokenizer, examples))
            row = (tokens / seconds, seconds, tokens, sum(losses[-10:]) / len(losses[-10:]))
            if name not in best or row[0] > best[name][0]:
                best[name] = row
    print(f"distill_vs_trl: permutation N=32 (k=1..8), {len(examples)} examples, GPT-2 {ModelConfig().n_layer}x"
          f"{ModelConfig().n_embd}, {args.steps} steps x batch {args.batch_size}, lr {args.lr}, clip 1.0, "
          f"{args.rounds} alternating rounds (data-order seeds 0..{args.rounds - 1}): best tokens/s, mean final loss")
    print(f"device: cpu ({platform.processor() or platform.machine()}), torch threads {torch.get_num_threads()}")
    print(f"{'trainer':<12}{'tokens/s':>12}{'seconds':>10}{'tokens':>10}{'final loss':>12}{'per seed':>26}"
          f"{'last-10 train loss':>20}")
    mean = {name: sum(v) / len(v) for name, v in final.items()}
    for name, label in (("ours", "ida (ours)"), ("trl", "TRL SFT")):
        tps, seconds, tokens, tail = best[name]
        per_seed = " ".join(f"{x:.3f}" for x in final[name])
        print(f"{label:<12}{tps:>12.0f}{seconds:>10.2f}{tokens:>10}{mean[name]:>12.4f}{per_seed:>26}{tail:>20.4f}")
    ratio = best["ours"][0] / best["trl"][0]
    gap = abs(mean["ours"] - mean["trl"]) / mean["trl"]
    print(f"tokens/s ratio ours/TRL: {ratio:.2f}x (goal >= 1.2x); final loss difference: {100 * gap:.1f}% (goal <= 5%)")


if __name__ == "__main__":
    main()
