"""`amplify.answerer.kind: vllm` wiring, on a stand-in `vllm` package (tests/models/fake_vllm) that answers with the
real checkpoint through transformers: each amplify/evaluate phase starts an engine on that cycle's checkpoint
(adapters merged first), sends the student's rendered prompt ids, stops at its stop tokens, reads log-probs,
and shuts the engine down. vLLM itself cannot be installed on this project's CPU machines."""

import sys
from pathlib import Path

import pytest

from ida.config import load_config
from ida.cycle import execute
from ida.run import build_task, start_run
from ida.models.local import LocalModel
from ida.models.vllm import VLLMAnswerer, VLLMConfig
from ida.progress import RunProgress
from tests.models.tiny_lm import save_checkpoint

FAKE = str(Path(__file__).parent / "fake_vllm")
PERM = ["task.params={n_items: 6, max_k: 2}"]


@pytest.fixture
def fake_vllm(monkeypatch):
    monkeypatch.syspath_prepend(FAKE)
    for name in [m for m in sys.modules if m == "vllm" or m.startswith("vllm.")]:
        monkeypatch.delitem(sys.modules, name)
    import vllm

    vllm.ENGINES.clear()
    yield vllm
    for name in [m for m in sys.modules if m == "vllm" or m.startswith("vllm.")]:
        sys.modules.pop(name, None)


def test_vllm_answers_like_the_local_student(fake_vllm, tmp_path):
    task = build_task(load_config(None, PERM))
    ckpt = save_checkpoint(tmp_path / "qwen2", "qwen2", task, chat=True)
    cfg = load_config(None, PERM + [f"model.pretrained={ckpt}", "model.prompt_format=chat"]).model
    student = LocalModel.load(ckpt, version="M0", max_answer_tokens=3, cfg=cfg)
    prompts = [q.prompt for q in task.questions("eval")[:5]]
    engine = VLLMAnswerer(student, VLLMConfig())
    got, want = engine.answer(prompts), student.answer(prompts)
    assert [a.text for a in got] == [a.text for a in want] and engine.version == "M0"
    for a, b in zip(got, want):
        assert a.logprobs == pytest.approx(b.logprobs, abs=1e-4)
    [llm] = fake_vllm.ENGINES
    assert llm.path == str(ckpt) and llm.requests == [student.tokenizer.encode(p) for p in prompts]
    engine.close()
    assert engine.llm is None


@pytest.mark.slow
def test_a_run_with_the_vllm_answerer_reloads_the_engine_each_phase(fake_vllm, tmp_path):
    task = build_task(load_config(None, PERM))
    ckpt = save_checkpoint(tmp_path / "llama", "llama", task, bos=True)
    cfg = load_config(None, PERM + [f"model.pretrained={ckpt}", "amplify.answerer.kind=vllm", "max_cycles=2",
                                    "distill.steps=4", "distill.batch_size=8", "eval.baseline=false",
                                    "distill.lora.enabled=true", "distill.lora.save=adapter", "tracking.plot=false"])
    run = start_run(cfg, tmp_path / "runs", RunProgress(quiet=True))
    assert execute(run) == "finished"
    paths = [Path(e.path) for e in fake_vllm.ENGINES]
    assert len(paths) == 4  # amplify and evaluate of two cycles, each on a fresh engine
    assert paths[0] == run.checkpoint(0)  # M_0 is a full checkpoint: loaded as it is
    assert all(p.name.startswith("ida-vllm-") and not p.exists() for p in paths[1:])  # adapters merged, cleaned
    assert run.store.phase_result(run.id, 1, "amplify")["answerer"] == "M0"
