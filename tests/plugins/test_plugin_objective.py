"""A distillation objective plug-in trains the student through the trainer's objective registry, alone or mixed."""

from __future__ import annotations

import plugin_parts

from ida.config import DistillConfig, ModelConfig
from ida.distill.data import Example
from ida.distill.trainer import needs_teacher, train
from ida.models import LocalModel

VOCAB = ["count", "=", "0", "1", "2", "3"]


def test_an_objective_by_import_path_computes_every_step_and_mixes_with_sft():
    data = [Example(f"count {a} {b} =", str(int(a) + int(b)), f"{a}{b}", 2) for a in "01" for b in "01"]
    for cfg in (DistillConfig(objective="plugin_parts:counted_sft", steps=3, batch_size=4),
                DistillConfig(objective="mix", weights={"sft": 1.0, "plugin_parts:counted_sft": 0.5}, steps=3,
                              batch_size=4)):
        model = LocalModel.build(ModelConfig(n_layer=1, n_embd=16, n_head=2, n_positions=16), VOCAB, seed=0)
        before = plugin_parts.CALLS["loss"]
        result = train(model.model, model.tokenizer, data, cfg, seed=0)
        assert plugin_parts.CALLS["loss"] - before == 3 and not needs_teacher(cfg)
        assert "plugin_parts:counted_sft" in result.metrics and all(v > 0 for v in result.losses)
