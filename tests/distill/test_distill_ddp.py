"""Data-parallel distillation: `accelerate launch` with 2 CPU processes (gloo) trains to the same loss as one
process at the same global batch (within 1%), on a tiny Llama student with a BPE tokenizer."""

import json
import subprocess
import sys

import pytest

from ida.distill.data import Example, write_jsonl
from ida.tasks import make_task
from tests.models.tiny_lm import save_checkpoint

ARGS = ["--set", "distill.steps=30", "--set", "distill.batch_size=16", "--set", "distill.lr=0.003"]


@pytest.mark.slow
def test_two_processes_reach_the_loss_of_one(tmp_path):
    task = make_task("permutation", n_items=8, max_k=2)
    ckpt = save_checkpoint(tmp_path / "llama", "llama", task, bos=True)
    dataset = tmp_path / "dataset.jsonl"
    write_jsonl([Example(q.prompt, task.true_answer(q), q.id) for q in task.questions("train")], dataset)
    (tmp_path / "config.yaml").write_text(f"model: {{pretrained: {ckpt}}}\n")
    common = ["-m", "ida.distill.launch", "--checkpoint", str(ckpt), "--dataset", str(dataset),
              "--config", str(tmp_path / "config.yaml"), *ARGS]
    one = subprocess.run([sys.executable, *common, "--out", str(tmp_path / "one")], capture_output=True, text=True)
    assert one.returncode == 0, one.stderr[-2000:]
    two = subprocess.run([sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
                          "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no", *common,
                          "--out", str(tmp_path / "two")], capture_output=True, text=True)
    assert two.returncode == 0, two.stderr[-3000:]
    single = json.loads((tmp_path / "one" / "train_result.json").read_text())
    double = json.loads((tmp_path / "two" / "train_result.json").read_text())
    assert (single["processes"], double["processes"]) == (1, 2)
    assert single["final_loss"] < single["losses"][0] * 0.8  # it trained
    print(f"final loss: 1 process {single['final_loss']:.5f}, 2 processes {double['final_loss']:.5f}")
    assert abs(double["final_loss"] - single["final_loss"]) <= 0.01 * single["final_loss"]
