"""`ida run` with `model.pretrained`: tiny random Llama / Qwen2 / GPT-2 checkpoints with BPE tokenizers trained
here, on the permutation task (H decomposes) and the qa task (direct), plain and chat. Cycles finish, the
dataset targets decode to the intended strings, checkpoints keep the architecture, hashes change per cycle;
LoRA adapters chain by base hash; a SIGKILLed run resumes to the same numbers."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ida.cli import app
from ida.config import load_config
from ida.cycle import execute
from ida.run import build_task, start_run
from ida.distill.data import IGNORE, read_jsonl, tokenize
from ida.models.checkpoint import ADAPTER_BASE
from ida.models.local import content_hash
from ida.progress import RunProgress
from ida.reporting.capability import build_report
from tests.kill_run import kill_after
from tests.models.tiny_lm import save_checkpoint

PERM = ["task.params={n_items: 6, max_k: 2}"]
FAST = ["distill.steps=8", "distill.batch_size=16", "distill.lr=0.003", "max_cycles=2", "eval.baseline_steps=4",
        "model.max_answer_tokens=3", "safety.probe_size=8", "safety.retention_size=8",
        "tracking.plot=false"]
QA_ROWS = [{"id": f"q{i}", "question": f"What is {i} plus {i % 3}?", "answer": str(i + i % 3),
            "difficulty": 1 + i % 2} for i in range(12)]


def qa_task(tmp_path: Path) -> list[str]:
    path = tmp_path / "qa.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in QA_ROWS))
    return ["task.name=qa", f"task.params={{path: {path}, checker: numeric, eval_fraction: 0.25}}",
            "amplify.decomposer=direct"]


def checkpoint(tmp_path: Path, arch: str, task_args: list[str], **kw) -> Path:
    return save_checkpoint(tmp_path / f"{arch}-ckpt", arch, build_task(load_config(None, task_args)), **kw)


def run_pretrained(tmp_path: Path, ckpt: Path, args: list[str]):
    cfg = load_config(None, [*args, f"model.pretrained={ckpt}", *FAST])
    run = start_run(cfg, tmp_path / "runs", RunProgress(quiet=True))
    assert execute(run) == "finished"
    return run


def check_cycles(run, arch: str, architecture: str) -> list[str]:
    """Every cycle distilled and evaluated; its checkpoint keeps the architecture; the dataset's label tokens
    decode to the stored targets. Returns the checkpoint hashes, M_0 first."""
    hashes = [content_hash(run.checkpoint(0))]
    for cycle in (1, 2):
        assert run.store.metrics(run.id, "student")[cycle]["student"]
        model = run.load_model(run.checkpoint(cycle), f"M{cycle}")
        assert model.model.config.model_type == arch and type(model.model).__name__ == architecture
        dataset = read_jsonl(run.dir / f"cycle-{cycle}" / "dataset.jsonl")
        assert dataset
        data = tokenize(dataset, model.tokenizer, 128)
        for e, labels in zip(dataset, data.labels_N_T):
            assert model.tokenizer.decode_answer(labels[labels != IGNORE].tolist()) == " ".join(e.target.split())
        hashes.append(run.store.phase_result(run.id, cycle, "distill")["checkpoint_sha256"])
        assert hashes[-1] == content_hash(run.checkpoint(cycle))
    assert len(set(hashes)) == 3
    return hashes


def test_permutation_with_a_llama_student_plain(tmp_path):
    run = run_pretrained(tmp_path, checkpoint(tmp_path, "llama", PERM, bos=True), PERM + ["eval.baseline=false"])
    check_cycles(run, "llama", "LlamaForCausalLM")
    assert run.store.phase_result(run.id, 1, "amplify")["target_unknown_tokens"] == 0


@pytest.mark.slow
@pytest.mark.parametrize("arch, architecture, fmt", [("qwen2", "Qwen2ForCausalLM", "chat"),
                                                     ("llama", "LlamaForCausalLM", "plain")])
def test_qa_direct_plain_and_chat(tmp_path, arch, architecture, fmt):
    task = qa_task(tmp_path)
    ckpt = checkpoint(tmp_path, arch, task, chat=fmt == "chat", bos=arch == "llama")
    run = run_pretrained(tmp_path, ckpt, task + [f"model.prompt_format={fmt}", "model.system_prompt=Answer briefly.",
                                                 "cycle.on_empty=skip"])
    assert run.store.phase_result(run.id, 0, "baseline")["train_steps"] == 4  # supervised, same template
    amp = run.store.phase_result(run.id, 1, "amplify")
    # the untrained student's own answers never reach EOS: cut generations are never trained on as complete
    assert amp["examples"] > 0 and amp["filters"]["truncated"]["dropped"] == amp["examples"]


@pytest.mark.slow
def test_gpt2_bpe_with_lora_adapters_chained_by_base_hash(tmp_path):
    run = run_pretrained(tmp_path, checkpoint(tmp_path, "gpt2", PERM), PERM + [
        "eval.baseline=false", "distill.lora.enabled=true", "distill.lora.save=adapter", "distill.lr=0.01"])
    check_cycles(run, "gpt2", "GPT2LMHeadModel")
    for cycle in (1, 2):
        base = json.loads((run.checkpoint(cycle) / ADAPTER_BASE).read_text())
        assert base == {"path": f"../../cycle-{cycle - 1}/checkpoint",
                        "sha256": content_hash(run.checkpoint(cycle - 1))}
        assert not (run.checkpoint(cycle) / "model.safetensors").exists()


def _numbers(report):
    return [(c["student"], c["amplified"], c["train_examples"]) for c in report["cycles"]], report["baseline"]


@pytest.mark.slow
@pytest.mark.parametrize("phases, delay", [(3, 0.1), (8, 0.05)])
def test_sigkill_then_resume_gives_the_same_numbers(tmp_path, phases, delay):
    ckpt = checkpoint(tmp_path, "llama", PERM, bos=True)
    args = [*PERM, f"model.pretrained={ckpt}", *FAST, "distill.lora.enabled=true", "distill.lora.save=adapter"]
    reference = start_run(load_config(None, args), tmp_path / "ref", RunProgress(quiet=True))
    execute(reference)
    run_dir = kill_after(tmp_path / "killed", args, phases, delay, timeout=300, poll=0.02)
    result = CliRunner().invoke(app, ["resume", str(run_dir), "--quiet"])
    assert result.exit_code == 0, result.output
    resumed = build_report(run_dir)
    assert resumed["status"] == "finished" and _numbers(resumed) == _numbers(build_report(reference.dir))
