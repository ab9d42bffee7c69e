"""A pretrained-style student (Llama architecture, byte-level BPE tokenizer trained here, random init) through our
trainer and generation, side by side with the library baselines in one process.

CPU (default): a tiny Llama on the permutation task's true answers, plain prompt format (BOS + prompt, " answer"
+ EOS, as `StudentTokenizer` renders it):
  1. our SFT loop (`ida.distill.trainer.train`) vs TRL's `SFTTrainer` (prompt/completion, completion-only loss,
     fp32, same steps, batch, lr, constant schedule, AdamW, clip 1.0); rounds alternate so machine load hits
     both alike; best tokens/s per trainer, final loss = mean answer-token CE on the training set (one function).
     Goal: tokens/s >= 1.2x, final loss within 5%.
  2. our batched KV-cache generation (`ida.models.generation.generate`, prompts in and texts out) vs
     `model.generate` (token ids in and out; left padding, greedy, same prompts and max_new_tokens): generated
     tokens/s, best of the rounds, by wall time and by this process's CPU time (which other jobs on a shared
     machine move less). Goal >= 1x.

GPU (`--gpu`, not run on this project's CPU machines): the same with a Qwen2.5-0.5B-sized random-init config in
bf16 (24 layers, 896 wide): training tokens/s and MFU (6 * params * tokens/s / `--peak-tflops`), and, when vLLM
is installed, vLLM vs HF generation tokens/s.

    python benchmarks/pretrained_student.py            # CPU, a few minutes on 2 cores
    python benchmarks/pretrained_student.py --gpu      # one CUDA GPU
    python benchmarks/pretrained_student.py --only generation   # one comparison (also: --only training)

The load average is printed at the start and the end: the machine may be shared, and absolute figures move
with it.
"""

from __future__ import annotations

import argparse
import copy
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ida.config import DistillConfig, ModelConfig  # noqa: E402
from ida.distill.data import supervised_examples, tokenize  # noqa: E402
from ida.distill.objectives import sft_loss  # noqa: E402
from ida.distill.trainer import train  # noqa: E402
from ida.models.generation import generate  # noqa: E402
from ida.models.pretrained import context_length, prompt_format  # noqa: E402
from ida.models.prompts import StudentTokenizer  # noqa: E402
from ida.tasks import make_task  # noqa: E402
from tests.models.tiny_lm import bpe_tokenizer, task_texts  # noqa: E402


def llama(vocab: int, gpu: bool):
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    if gpu:  # Qwen2.5-0.5B's shape (vocabulary cut to the tokenizer: the embedding is not what is measured)
        cfg = Qwen2Config(vocab_size=vocab, hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
                          num_attention_heads=14, num_key_value_heads=2, max_position_embeddings=2048,
                          tie_word_embeddings=True)
        return Qwen2ForCausalLM(cfg).to("cuda", torch.bfloat16)
    cfg = LlamaConfig(vocab_size=vocab, hidden_size=128, intermediate_size=256, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                      tie_word_embeddings=False)
    return LlamaForCausalLM(cfg)


def ours(model, tok, examples, args, seed):
    cfg = DistillConfig(steps=args.steps, batch_size=args.batch_size, lr=args.lr, max_grad_norm=1.0,
                        stop_when_fit=False)  # equal step counts
    result = train(model, tok, examples, cfg, seed=seed)
    return result.seconds, result.tokens


def trl(model, tok, examples, args, seed):
    from datasets import Dataset
    from transformers import PrinterCallback
    from trl import SFTConfig, SFTTrainer

    raw = copy.deepcopy(tok.raw)
    raw.pad_token = raw.eos_token
    data = Dataset.from_dict({"prompt": [e.prompt for e in examples], "completion": [" " + e.target for e in examples]})
    with tempfile.TemporaryDirectory() as out:
        config = SFTConfig(output_dir=out, max_steps=args.steps, per_device_train_batch_size=args.batch_size,
                           learning_rate=args.lr, lr_scheduler_type="constant", warmup_steps=0, weight_decay=0.0,
                           max_grad_norm=1.0, optim="adamw_torch", completion_only_loss=True, packing=False,
                           report_to="none", save_strategy="no", logging_steps=10, use_cpu=not args.gpu,
                           seed=seed, bf16=args.gpu, dataloader_num_workers=0, disable_tqdm=True,
                           max_length=context_length(model.config))
        trainer = SFTTrainer(model=model, args=config, train_dataset=data, processing_class=raw)
        trainer.remove_callback(PrinterCallback)
        start = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - start
    lengths = [len(tok.encode(e.prompt)) + len(tok.encode_answer(e.target)) for e in examples]
    return seconds, round(args.steps * args.batch_size * sum(lengths) / len(lengths))


@torch.no_grad()
def dataset_loss(model, tok, examples) -> float:
    model.eval()
    data = tokenize(examples, tok, context_length(model.config))
    batch = {k: v.to(model.device) for k, v in data.batch(torch.arange(len(data))).items()}
    out = sft_loss(model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits.float(),
                   batch["labels"])
    return float(out.sum_loss / out.n_tokens)


def compare_training(base, tok, examples, args) -> None:
    best, final = {}, {"ours": [], "trl": []}
    for seed in range(args.rounds):
        for name, fn in (("ours", ours), ("trl", trl)):
            model = copy.deepcopy(base)
            seconds, tokens = fn(model, tok, examples, args, seed)
            final[name].append(dataset_loss(model, tok, examples))
            best[name] = max(best.get(name, 0.0), tokens / seconds)
    mean = {n: sum(v) / len(v) for n, v in final.items()}
    for name, label in (("ours", "ida (ours)"), ("trl", "TRL SFT")):
        print(f"  train {label:<12}{best[name]:>12.0f} tokens/s   final loss {mean[name]:.4f}")
    gap = abs(mean["ours"] - mean["trl"]) / mean["trl"]
    print(f"  training tokens/s ratio ours/TRL: {best['ours'] / best['trl']:.2f}x (goal >= 1.2x); "
          f"final loss difference {100 * gap:.1f}% (goal <= 5%)")
    if args.gpu:
        params = sum(p.numel() for p in base.parameters())
        mfu = 6 * params * best["ours"] / (args.peak_tflops * 1e12)
        print(f"  MFU (ours, 6 * {params / 1e6:.0f}M params * tokens/s / {args.peak_tflops} TFLOP/s): {100 * mfu:.1f}%")


def hf_generate(model, tok, prompts, max_new_tokens) -> tuple[float, int]:
    raw = copy.deepcopy(tok.raw)
    raw.pad_token, raw.padding_side = raw.eos_token, "left"
    batch = raw(prompts, return_tensors="pt", padding=True).to(model.device)
    start, cpu = time.perf_counter(), time.process_time()  # token ids in and out: no tokenizing, no decoding
    out = model.generate(**batch, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=raw.pad_token_id,
                         eos_token_id=tok.eos_token_id)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    new = out[:, batch["input_ids"].shape[1]:]
    return seconds, cpu, int((new != raw.pad_token_id).sum())


def ours_generate(model, tok, prompts, max_new_tokens) -> tuple[float, float, int]:
    start, cpu = time.perf_counter(), time.process_time()  # prompts in, texts out (tokenizing and decoding timed)
    gens = generate(model, tok, prompts, max_new_tokens, batch_size=len(prompts))
    return time.perf_counter() - start, time.process_time() - cpu, sum(len(g.token_ids) for g in gens)


def vllm_generate(model, tok, prompts, max_new_tokens) -> tuple[float, int]:
    from vllm import LLM, SamplingParams
    from vllm.inputs import TokensPrompt

    with tempfile.TemporaryDirectory() as path:
        model.save_pretrained(path)
        tok.raw.save_pretrained(path)
        llm = LLM(model=path, dtype="bfloat16", gpu_memory_utilization=0.4, enforce_eager=False)
        params = SamplingParams(temperature=0, max_tokens=max_new_tokens, stop_token_ids=[tok.eos_token_id])
        inputs = [TokensPrompt(prompt_token_ids=tok.encode(p)) for p in prompts]
        llm.generate(inputs[:8], params, use_tqdm=False)  # warm-up (CUDA graphs)
        start = time.perf_counter()  # a GPU: wall time only
        outs = llm.generate(inputs, params, use_tqdm=False)
        seconds = time.perf_counter() - start
    return seconds, seconds, sum(len(o.outputs[0].token_ids) for o in outs)


def compare_generation(model, tok, prompts, args) -> None:
    model.eval()
    rows = {"ours (batched KV cache)": ours_generate, "HF model.generate": hf_generate}
    if args.gpu:
        try:
            import vllm  # noqa: F401

            rows["vLLM"] = vllm_generate
        except ImportError:
            print("  (vLLM not installed: its row is left out)")
    rates: dict[str, float] = {}
    cpu_rates: dict[str, float] = {}  # tokens per second of this process's CPU time: less moved by other jobs
    paired: list[float] = []  # ours/HF within each round (measured seconds apart: a slow drift of load cancels)
    for round_ in range(args.rounds):
        order = list(rows.items()) if round_ % 2 == 0 else list(rows.items())[::-1]  # ABBA: neither always first
        this: dict[str, float] = {}
        for name, fn in order:
            seconds, cpu, tokens = fn(model, tok, prompts, args.new_tokens)
            this[name] = tokens / seconds
            rates[name] = max(rates.get(name, 0.0), tokens / seconds)
            cpu_rates[name] = max(cpu_rates.get(name, 0.0), tokens / cpu)
        names = list(rows)
        paired.append(this[names[0]] / this[names[1]])
    for name, rate in rates.items():
        print(f"  generate {name:<24}{rate:>12.0f} tokens/s wall  {cpu_rates[name]:>12.0f} tokens/s of CPU time")
    names = list(rates)
    print(f"  generation tokens/s ratio ours/HF: median of the rounds' paired ratios {statistics.median(paired):.2f}x "
          f"({', '.join(f'{r:.2f}' for r in paired)}); best wall {rates[names[0]] / rates[names[1]]:.2f}x, best CPU "
          f"time {cpu_rates[names[0]] / cpu_rates[names[1]]:.2f}x (goal >= 1x)"
          + (f"; vLLM/HF: {rates['vLLM'] / rates[names[1]]:.2f}x" if "vLLM" in rates else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gpu", action="store_true", help="the Qwen2.5-0.5B-sized config in bf16 on CUDA")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--prompts", type=int, default=256, help="prompts per generation call")
    parser.add_argument("--new-tokens", type=int, default=16)
    parser.add_argument("--peak-tflops", type=float, default=989.0, help="GPU bf16 dense peak (H100 SXM: 989)")
    parser.add_argument("--only", choices=("training", "generation"), help="run one comparison (default: both)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    logging.getLogger("transformers").setLevel(logging.ERROR)
    task = make_task("permutation")
    examples = supervised_examples(task, task.questions("train"))
    raw = bpe_tokenizer(task_texts(task), vocab_size=512, bos=True)
    tok = StudentTokenizer(raw, prompt_format(ModelConfig(pretrained="bench")))
    torch.manual_seed(0)
    base = llama(len(raw), args.gpu)
    params = sum(p.numel() for p in base.parameters())
    print(f"pretrained_student: {type(base).__name__} {params / 1e6:.2f}M params, byte-level BPE ({len(raw)} tokens, "
          f"BOS), permutation N=32 true answers ({len(examples)} examples); {args.steps} steps x batch "
          f"{args.batch_size}, lr {args.lr}; {args.rounds} alternating rounds, best tokens/s")
    device = torch.cuda.get_device_name() if args.gpu else f"cpu ({platform.processor() or platform.machine()})"
    print(f"device: {device}, torch {torch.__version__}, threads {torch.get_num_threads()}")
    print(f"load average (1, 5, 15 min) at start: {load()} on {os.cpu_count()} cores")
    if args.only != "generation":
        import datasets  # TRL's (the `bench` extra)

        datasets.disable_progress_bars()
        compare_training(base, tok, examples, args)
    if args.only != "training":
        prompts = [q.prompt for q in task.questions("train")][:args.prompts]
        compare_generation(base, tok, prompts, args)
    print(f"load average (1, 5, 15 min) at end: {load()} (absolute tokens/s fall as it rises; ratios hold better)")


def load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
