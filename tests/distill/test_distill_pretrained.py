"""Distillation of pretrained-style students (tiny random Llama / Qwen2 with BPE tokenizers built here): LoRA
with all-linear targets, adapter checkpoints that name their base by hash, gradient checkpointing, and kd /
on_policy teachers that read the same chat rendering as the student."""

from __future__ import annotations

import copy
import json

import pytest
import torch

from ida.config import DistillConfig, LoraConfig, ModelConfig
from ida.distill.data import Example
from ida.distill.lora import add_lora, check_targets
from ida.distill.trainer import train
from ida.models.checkpoint import ADAPTER_BASE, AdapterCheckpoint
from ida.models.local import LocalModel, content_hash
from ida.models.pretrained import prompt_format
from ida.models.prompts import StudentTokenizer
from ida.tasks import make_task
from tests.models.tiny_lm import bpe_tokenizer, task_texts, tiny_causal_lm

TASK = make_task("permutation", n_items=8, max_k=2)


def student(arch: str = "llama", kind: str = "plain"):
    raw = bpe_tokenizer(task_texts(TASK), chat=True)
    torch.manual_seed(0)
    return tiny_causal_lm(arch, len(raw)), StudentTokenizer(raw, prompt_format(ModelConfig(pretrained="x",
                                                                                          prompt_format=kind)))


def examples(transcript: bool = False) -> list[Example]:
    return [Example(q.prompt, TASK.true_answer(q), q.id, teacher_prompt=f"perm 1 ^ 1 = 3 | {q.prompt}"
                    if transcript else None) for q in TASK.questions("train")[:16]]


def test_lora_defaults_to_all_linear_outside_gpt2_and_names_targets_that_match_nothing():
    model, _ = student("qwen2")
    peft_model = add_lora(model, LoraConfig(enabled=True))
    adapted = {n.rsplit(".", 2)[-2] for n, _ in peft_model.named_modules() if n.endswith("lora_A")}
    assert adapted == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}
    gpt2 = tiny_causal_lm("gpt2", 50)
    adapted = {n.rsplit(".", 2)[-2] for n, _ in add_lora(gpt2, LoraConfig(enabled=True)).named_modules()
               if n.endswith("lora_A")}
    assert adapted == {"c_attn"}
    with pytest.raises(ValueError, match=r"distill.lora.target_modules: \['c_attn'\] match no module"):
        check_targets(tiny_causal_lm("llama", 50), LoraConfig(enabled=True, target_modules=["c_attn"]))


def test_adapter_checkpoint_names_its_base_and_loads_to_the_trained_model(tmp_path):
    model, tok = student("llama")
    base = LocalModel(model, tok, "M0")
    base.save(tmp_path / "cycle-0" / "checkpoint")
    loaded = LocalModel.load(tmp_path / "cycle-0" / "checkpoint", cfg=ModelConfig(pretrained="x"))
    cfg = DistillConfig(steps=5, batch_size=8, lr=1e-2, lora=LoraConfig(enabled=True, save="adapter"))
    result = train(loaded.model, loaded.tokenizer, examples(), cfg, seed=0)
    assert result.adapter is not None
    out = tmp_path / "cycle-1" / "checkpoint"
    digest = AdapterCheckpoint(result.adapter, loaded.tokenizer, loaded.path, out).save(out)
    assert json.loads((out / ADAPTER_BASE).read_text()) == {
        "path": "../../cycle-0/checkpoint", "sha256": content_hash(tmp_path / "cycle-0" / "checkpoint")}
    assert digest == content_hash(out) and not (out / "model.safetensors").exists()
    card = (out / "README.md").read_text()  # peft's model card: the base as recorded, not this machine's path
    assert "base_model: ../../cycle-0/checkpoint" in card and str(tmp_path) not in card, card[:300]
    again = LocalModel.load(out, cfg=ModelConfig(pretrained="x"))
    ids = torch.tensor([tok.encode(examples()[0].prompt)])
    with torch.no_grad():
        want = result.adapter(input_ids=ids).logits
        got = again.model(input_ids=ids).logits
    assert torch.allclose(want, got, atol=1e-5) and type(again.model).__name__ == "LlamaForCausalLM"
    base.model.lm_head.weight.data += 1  # the base changes under the adapter: loading refuses
    base.save(tmp_path / "cycle-0" / "checkpoint")
    with pytest.raises(ValueError, match="changed since the adapter was trained"):
        LocalModel.load(out, cfg=ModelConfig(pretrained="x"))


def test_gradient_checkpointing_gives_the_same_losses():
    losses = []
    for on in (False, True):
        model, tok = student("qwen2", "chat")
        cfg = DistillConfig(steps=3, batch_size=8, lr=1e-2, gradient_checkpointing=on)
        losses.append(train(model, tok, examples(), cfg, seed=0).losses)
    assert losses[0] == pytest.approx(losses[1], rel=1e-4)


@pytest.mark.parametrize("objective", ["kd", "on_policy"])
def test_teachers_read_the_same_chat_rendering_as_the_student(objective):
    """A teacher equal to the student and seeing the student's prompt gives zero loss only when both read the
    same rendering (chat template included); with a transcript in the teacher's prompt the loss is not zero."""
    model, tok = student("qwen2", "chat")
    values = {}
    for kind in ("anchor", "amplified"):
        cfg = DistillConfig(objective=objective, steps=1, batch_size=8, lr=1e-9, teacher={"kind": kind})
        result = train(copy.deepcopy(model), tok, examples(transcript=True), cfg, seed=0, teacher=copy.deepcopy(model))
        values[kind] = result.losses[0]
    assert abs(values["anchor"]) < 1e-7 and abs(values["amplified"]) > 1e-6
