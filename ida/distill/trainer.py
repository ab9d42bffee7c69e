"""The distillation loop: a plain torch loop through `accelerate`, seeded and deterministic on CPU.

    result = train(model.model, model.tokenizer, examples, DistillConfig(), seed=0)                 # sft
    result = train(student, tok, examples, cfg_kd, seed=0, teacher=teacher_model)                   # kd / on_policy

`accelerate` places the model and batches on the device, autocasts to bf16 on CUDA (`distill.bf16`), and makes
the same code run data-parallel under `accelerate launch` (DDP or FSDP): every rank draws the same step from the
same seed and takes its own micro-batches, gradients are synchronised only on a step's last micro-batch, and the
loss is normalised by the answer tokens of the whole step across ranks (see `ida.distill.objectives`). One step:
draw rows (optionally from one length bucket), split into `grad_accum` micro-batches, for on_policy sample the
student's answers first, then forward + backward each micro-batch, clip, AdamW step, schedule step. A NaN/Inf
loss or gradient norm raises `DistillationError` before the optimiser steps: the cycle stops and nothing is
promoted. With LoRA the adapters are merged back after training, so the caller gets a plain model (unless
`distill.lora.save: adapter`, where `TrainResult.adapter` is the peft model to save on its own). The context length
comes from the model's config whatever the architecture.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import torch
from accelerate import Accelerator
from transformers import get_scheduler

from ida.config import DistillConfig
from ida.distill.batching import StepSampler, lengths, split_micro
from ida.distill.data import IGNORE, Example, tokenize
from ida.distill.lora import add_lora
from ida.distill.objectives import (ObjectiveWeights, count_answer_tokens, kd_loss, kd_loss_topk, on_policy_full_loss,
                                    on_policy_loss, sampled_token_logprobs)
from ida.distill.on_policy import sample_micro_batches
from ida.distill.registry import objective_provider
from ida.distill.teachers import KDTargets, teacher_logits_on_samples, teacher_sampled_logprobs
from ida.errors import IDAError
from ida.models.generation import pad_id
from ida.models.positions import PositionScheme
from ida.models.pretrained import context_length
from ida.models.prompts import student_tokenizer
from ida.seeds import seed_for


class DistillationError(IDAError, RuntimeError):
    """Training went wrong (a NaN/Inf loss): the cycle stops, no checkpoint is promoted, the run is `failed`."""


@dataclass
class TrainResult:
    """`losses`: per step, the weighted objective values (sft/kd loss, on_policy's reverse KL); `metrics`: the
    same per objective, and `lr`; `tokens`: non-padding tokens through the student's training forwards."""

    steps: int
    seconds: float
    losses: list[float] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    tokens: int = 0
    adapter: Any = None  # distill.lora.save=adapter: the peft model (adapters not merged), to save on its own
    stopped_when_fit: bool = False  # distill.stop_when_fit: every target was given exactly before `steps` ran out

    @property
    def final_loss(self) -> float:
        tail = self.losses[-10:]
        return sum(tail) / len(tail)


def objective_weights(cfg: DistillConfig) -> ObjectiveWeights:
    return ObjectiveWeights(dict(cfg.weights)) if cfg.objective == "mix" else ObjectiveWeights.single(cfg.objective)


def needs_teacher(cfg: DistillConfig) -> bool:
    return any(objective_provider(name).needs_teacher for name in objective_weights(cfg).active)


def train(model, tokenizer, examples: list[Example], cfg: DistillConfig, seed: int, steps: int | None = None,
          on_step: Callable[[int, float], None] | None = None, teacher=None) -> TrainResult:
    """Train `model` in place for `steps` (default `cfg.steps`) optimiser steps on `examples`; `teacher` (a
    frozen causal LM with the same tokenizer, never updated) is needed for kd and on_policy."""
    steps = steps or cfg.steps
    tokenizer = student_tokenizer(tokenizer)
    weights = objective_weights(cfg)
    if needs_teacher(cfg) and teacher is None:
        raise ValueError(f"distill.objective={cfg.objective} needs a teacher model")
    torch.manual_seed(seed)
    cuda = torch.cuda.is_available()
    # cpu=True without CUDA: several processes (accelerate launch / torchrun) then talk over gloo
    accelerator = Accelerator(cpu=not cuda, mixed_precision="bf16" if cfg.bf16 and cuda else "no")
    loop = _Loop(model, tokenizer, examples, cfg, weights, seed, accelerator, teacher)
    model.train()
    losses, metrics, start, fit = [], defaultdict(list), time.perf_counter(), False
    for step in range(steps):
        values = loop.step(step)
        for name, v in values.items():
            metrics[name].append(v)
        losses.append(sum(weights.weights[n] * values[n] for n in weights.active))
        if on_step:
            on_step(step + 1, losses[-1])
        if cfg.stop_when_fit and (step + 1) % cfg.fit_check_every == 0 and step + 1 < steps and loop.fits_targets():
            fit = True
            break
    adapter = loop.finish()
    model.eval()
    return TrainResult(len(losses), time.perf_counter() - start, losses, dict(metrics), loop.tokens, adapter, fit)


class _Loop:
    """The state of one `train` call: data, optimiser, teacher targets, and one method per optimiser step."""

    def __init__(self, model, tokenizer, examples, cfg: DistillConfig, weights: ObjectiveWeights, seed: int,
                 accelerator: Accelerator, teacher):
        self.cfg, self.weights, self.seed, self.acc, self.tokenizer = cfg, weights, seed, accelerator, tokenizer
        self.active = set(weights.active)
        streams = {name: objective_provider(name).stream for name in self.active}
        self.data_names = {name for name, stream in streams.items() if stream in ("data", "kd")}  # on the rows
        self.sample_names = {name for name, stream in streams.items() if stream == "samples"}  # on samples
        self.uses_kd = "kd" in streams.values()
        self.max_length = context_length(model.config)
        self.data = tokenize(examples, tokenizer, self.max_length)
        self.lengths_N = lengths(self.data)
        if len(self.data) < cfg.grad_accum * accelerator.num_processes:
            raise ValueError(f"{len(self.data)} examples cannot fill distill.grad_accum={cfg.grad_accum} "
                             f"micro-batches on {accelerator.num_processes} process(es)")
        self.sampler = StepSampler(self.lengths_N, cfg.batch_size, cfg.length_buckets, seed)
        self.base = model
        self.positions = PositionScheme.of(model)  # coupled students are trained on their own position ids
        self.lora = add_lora(model, cfg.lora) if cfg.lora.enabled else None
        if cfg.gradient_checkpointing:
            model.config.use_cache = False  # the cache is useless when activations are recomputed
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        trained = self.lora if self.lora is not None else model
        optimizer = torch.optim.AdamW([p for p in trained.parameters() if p.requires_grad], lr=cfg.lr,
                                      weight_decay=cfg.weight_decay)
        # The scheduler is stepped once per optimiser step by hand: prepared, accelerate would step it once per
        # process per step.
        self.scheduler = get_scheduler("cosine" if cfg.schedule == "cosine" else "constant_with_warmup", optimizer,
                                       num_warmup_steps=cfg.warmup_steps, num_training_steps=cfg.steps)
        self.model, self.optimizer = accelerator.prepare(trained, optimizer)
        self.teacher, self.tokens = teacher, 0
        if teacher is not None:
            teacher.to(accelerator.device).eval()
            self._prepare_teacher_inputs(examples)

    def _prepare_teacher_inputs(self, examples: list[Example]) -> None:
        encode = self.tokenizer.encode
        self.prompt_text = [e.prompt for e in examples]
        self.prompts = [encode(e.prompt) for e in examples]
        amplified = self.cfg.teacher.kind == "amplified"
        self.teacher_prompts = [encode(e.teacher_prompt) if amplified and e.teacher_prompt else p
                                for e, p in zip(examples, self.prompts)]
        answer_lens = (self.data.labels_N_T != IGNORE).sum(-1)
        longest = int(answer_lens.max())
        self.max_new_tokens = min(self.cfg.on_policy.max_new_tokens or longest,
                                  self.max_length - max(len(p) for p in self.prompts))
        self.kd = None
        if self.uses_kd:
            answers = [row[row != IGNORE].tolist() for row in self.data.labels_N_T]
            self.kd = KDTargets(self.teacher, self.teacher_prompts, answers, pad_id(self.tokenizer), self.max_length,
                                self.cfg.kd.temperature, self.cfg.kd.top_k, self.acc.device, self.acc.autocast)

    def step(self, step: int) -> dict[str, float]:
        cfg, acc = self.cfg, self.acc
        index_B = self.sampler.next()
        micro = split_micro(index_B, self.lengths_N, cfg.grad_accum, acc.process_index, acc.num_processes)
        n_totals: dict[str, torch.Tensor] = {}
        if self.data_names:
            n_data = count_answer_tokens(self.data.labels_N_T[index_B]).to(acc.device)  # every rank: same step
            n_totals.update({name: n_data for name in self.data_names})
        samples = self._sample(index_B, step) if self.sample_names else []
        if samples:
            n_on = torch.tensor(sum(s.n_tokens for s in samples), device=acc.device)
            n_on = acc.reduce(n_on, "sum") if acc.num_processes > 1 else n_on
            n_totals.update({name: n_on for name in self.sample_names})
        sums: dict[str, float] = defaultdict(float)
        n_micro = max(len(micro), len(samples))
        for i in range(n_micro):
            sync = i == n_micro - 1
            with nullcontext() if sync else acc.no_sync(self.model):
                parts = self._parts(micro[i] if i < len(micro) else None, samples[i] if i < len(samples) else None)
                loss = self.weights.total(parts, n_totals) * acc.num_processes
                if not math.isfinite(loss.item()):
                    raise DistillationError(f"loss became {loss.item()} at step {step}; stopping, nothing promoted")
                acc.backward(loss)
            for name, part in parts.items():
                value = part[2] if name in self.sample_names else part[0]  # on_policy logs its reverse KL
                sums[name] += float(value.detach()) / max(int(n_totals[name]), 1)
        if acc.num_processes > 1:  # each rank summed its own share of the step's loss: report the whole step's
            names = sorted(sums)
            totals = acc.reduce(torch.tensor([sums[n] for n in names], device=acc.device), "sum").tolist()
            sums = defaultdict(float, zip(names, totals))
        if cfg.max_grad_norm is not None:
            norm = acc.clip_grad_norm_(self.model.parameters(), cfg.max_grad_norm)
            if not math.isfinite(float(norm)):
                raise DistillationError(f"gradient norm became {float(norm)} at step {step}; nothing promoted")
        sums["lr"] = self.scheduler.get_last_lr()[0]  # the rate this step is taken with
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        return dict(sums)

    def _parts(self, rows, sample) -> dict[str, tuple]:
        parts, device = {}, self.acc.device
        if rows is not None and len(rows) and self.data_names:
            batch = {k: v.to(device) for k, v in self.data.batch(rows).items()}
            logits_B_T_V = self._forward(batch)
            for name in self.data_names:
                provider = objective_provider(name)
                parts[name] = (self._kd(logits_B_T_V, rows, batch["labels"]) if provider.stream == "kd"
                               else provider.loss(logits_B_T_V, batch["labels"]))
        if sample is not None:
            student = {k: v.to(device) for k, v in sample.student.items()}
            teacher = {k: v.to(device) for k, v in sample.teacher.items()}
            on_policy = self._on_policy(student, teacher)
            parts.update({name: on_policy for name in self.sample_names})
        for name in self.active - set(parts):  # this rank has no rows of that stream in this micro-batch
            zero = torch.zeros((), device=device)
            parts[name] = (zero, zero, zero)
        return parts

    def _on_policy(self, student: dict, teacher: dict):
        temperature, labels = self.cfg.on_policy.loss_temperature, student["labels"]
        if self.cfg.on_policy.estimator == "full":
            teacher_logits = teacher_logits_on_samples(self.teacher, teacher, labels, self.acc.autocast)
            return on_policy_full_loss(self._forward(student), teacher_logits, labels, temperature)
        student_lp = sampled_token_logprobs(self._forward(student), labels, temperature)
        teacher_lp = teacher_sampled_logprobs(self.teacher, teacher, labels, temperature, self.acc.autocast)
        return on_policy_loss(student_lp, teacher_lp, labels != IGNORE)

    @torch.no_grad()
    def fits_targets(self, chunk: int = 512) -> bool:
        """Whether the student's greedy next token is the target at every answer position of every training row
        (teacher-forced: with each earlier answer token right, that is greedy decoding's exact answer). No grad,
        no RNG and no optimiser state touched, so training up to a stop is the same as without the check."""
        model, data = self.acc.unwrap_model(self.model), self.data
        model.eval()
        try:
            for start in range(0, len(data.input_ids_N_T), chunk):
                rows = slice(start, start + chunk)
                width = int(data.attention_mask_N_T[rows].sum(-1).max())
                ids_B_T = data.input_ids_N_T[rows, :width].to(self.acc.device)
                mask_B_T = data.attention_mask_N_T[rows, :width].to(self.acc.device)
                labels_B_T = data.labels_N_T[rows, :width].to(self.acc.device)
                with self.acc.autocast():
                    logits_B_T_V = model(input_ids=ids_B_T, attention_mask=mask_B_T,
                                         **self.positions.forward_kwargs(ids_B_T, mask_B_T)).logits
                predicted_B_T = logits_B_T_V[:, :-1].argmax(-1)
                wanted_B_T = labels_B_T[:, 1:]
                answer_B_T = wanted_B_T != IGNORE
                if bool((predicted_B_T[answer_B_T] != wanted_B_T[answer_B_T]).any()):
                    return False
            return True
        finally:
            model.train()

    def _forward(self, batch):
        self.tokens += int(batch["attention_mask"].sum())
        return self.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                          **self.positions.forward_kwargs(batch["input_ids"], batch["attention_mask"])).logits

    def _kd(self, logits_B_T_V, rows, labels_B_T):
        teacher = [t.to(logits_B_T_V.device) for t in self.kd.for_batch(rows, labels_B_T.cpu())]
        if self.cfg.kd.top_k is None:
            return kd_loss(logits_B_T_V, teacher[0], labels_B_T, self.cfg.kd.temperature)
        return kd_loss_topk(logits_B_T_V, teacher[0], teacher[1], labels_B_T, self.cfg.kd.temperature)

    def _sample(self, index_B: torch.Tensor, step: int):
        """This rank's share of the step's questions, sampled `samples_per_question` times each."""
        acc, op = self.acc, self.cfg.on_policy
        n_questions = math.ceil(len(index_B) / op.samples_per_question)
        questions = torch.tensor_split(index_B[:n_questions], acc.num_processes)[acc.process_index].tolist()
        if not questions:
            return []
        student = acc.unwrap_model(self.model)
        batches = sample_micro_batches(
            student, self.tokenizer, [self.prompt_text[q] for q in questions], [self.prompts[q] for q in questions],
            [self.teacher_prompts[q] for q in questions], op.samples_per_question, self.max_new_tokens,
            op.sampling_temperature, seed=seed_for(self.seed, "on_policy", step * 101 + acc.process_index),
            max_length=self.max_length, n_micro=self.cfg.grad_accum)
        student.train()
        return batches

    def finish(self):
        """Undo what `prepare` and LoRA wrapped: the caller's model object holds the trained weights. With
        `lora.save: adapter` the adapters stay unmerged and the peft model is returned, to be saved alone."""
        self.acc.unwrap_model(self.model, keep_fp32_wrapper=False)
        if self.cfg.gradient_checkpointing:
            self.base.gradient_checkpointing_disable()
            self.base.config.use_cache = True
        adapter = None
        if self.lora is not None and self.cfg.lora.save == "adapter":
            adapter = self.lora
        elif self.lora is not None:
            merged = self.lora.merge_and_unload()
            assert merged is self.base, "peft must merge into the caller's model in place"
            self.base.requires_grad_(True)
        self.acc.free_memory()
        return adapter


def supervised(cfg: DistillConfig) -> DistillConfig:
    """`cfg` with the sft objective alone: the supervised baseline learns the true answers, no teacher."""
    return cfg.model_copy(update={"objective": "sft", "weights": {}})
