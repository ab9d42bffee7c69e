"""Coupled position ids (`model.position_scheme: coupled`): the exact ids of an addition question, the KV-cache
step equals the full computation, a tiny Llama student trains and generates the same batched as one by one, a
saved student keeps its scheme, and a bad config fails in one line before the run dir exists."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ida.config import DistillConfig, ModelConfig
from ida.distill.data import Example
from ida.distill.trainer import train
from ida.models import LocalModel
from ida.models.positions import PositionScheme
from ida.tasks.addition import AdditionTask

TASK = AdditionTask(max_digits=3, eval_max_digits=4, n_train=200, eval_per_difficulty=4)
LLAMA = ModelConfig(architecture="llama", position_scheme="coupled", n_layer=1, n_embd=32, n_head=2,
                    n_positions=64, max_answer_tokens=5)


def student(cfg: ModelConfig = LLAMA, seed: int = 0) -> LocalModel:
    return LocalModel.build(cfg, TASK.vocabulary(), seed=seed, separators=TASK.position_separators)


def coupled_ids(model: LocalModel, text: str) -> list[int]:
    ids = torch.tensor([model.tokenizer.encode(text)])
    return PositionScheme.of(model.model).ids(ids, torch.ones_like(ids))[0].tolist()


def test_coupled_ids_of_an_addition_question_restart_at_each_separator():
    model = student()
    #                                    4  9  +  7  0  +  1  =  2  0  1
    assert coupled_ids(model, "4 9 + 7 0 + 1 = 2 0 1") == [1, 2, 0, 1, 2, 0, 1, 0, 1, 2, 3]
    sequential = PositionScheme()
    ids = torch.tensor([[5, 6, 7]])
    assert sequential.ids(ids, torch.ones_like(ids))[0].tolist() == [0, 1, 2]


def test_padding_and_the_incremental_step_give_the_full_computation():
    model = student()
    scheme = PositionScheme.of(model.model)
    texts = ["4 9 + 7 0 + 1 = 2 0 1", "3 + 4 + 0 = 7", "1 2 3 + 4 5 6 + 1 = 6 7 9 0"]
    rows = [model.tokenizer.encode(t) for t in texts]
    width = max(map(len, rows))
    for side in ("left", "right"):  # padding gets 0 and shifts nothing
        pad = [[0] * (width - len(r)) for r in rows]
        ids = torch.tensor([p + r if side == "left" else r + p for p, r in zip(pad, rows)])
        mask = torch.tensor([[0] * len(p) + [1] * len(r) if side == "left" else [1] * len(r) + [0] * len(p)
                             for p, r in zip(pad, rows)])
        got = scheme.ids(ids, mask)
        for b, t in enumerate(texts):
            assert got[b][mask[b].bool()].tolist() == coupled_ids(model, t)
    for t in texts:  # generation's step: the next position from the last one
        full, ids = coupled_ids(model, t), model.tokenizer.encode(t)
        steps = [full[0]] + [int(scheme.next(torch.tensor([full[i - 1]]), torch.tensor([ids[i]]))) for i in
                             range(1, len(ids))]
        assert steps == full


def test_a_coupled_llama_student_trains_generates_batched_as_alone_and_keeps_its_scheme(tmp_path: Path):
    model = student()
    data = [Example(q.prompt, TASK.true_answer(q), q.id, q.difficulty) for q in TASK.questions("train")[:64]]
    before = [p.detach().clone() for p in model.model.parameters()]
    train(model.model, model.tokenizer, data, DistillConfig(steps=30, batch_size=16, lr=3e-3), seed=0)
    assert any(not torch.equal(a, b) for a, b in zip(before, model.model.parameters()))
    prompts = [q.prompt for q in TASK.questions("eval")]
    batched = model.generate(prompts, max_new_tokens=6)
    alone = [model.generate([p], max_new_tokens=6)[0] for p in prompts]
    assert [g.token_ids for g in batched] == [g.token_ids for g in alone]
    for g, a in zip(batched, alone):
        assert torch.allclose(torch.tensor(g.logprobs), torch.tensor(a.logprobs), atol=1e-5)
    model.save(tmp_path / "ckpt")
    loaded = LocalModel.load(tmp_path / "ckpt", max_answer_tokens=5)
    assert PositionScheme.of(loaded.model) == PositionScheme.of(model.model)
    assert PositionScheme.of(loaded.model).kind == "coupled"
    assert [g.token_ids for g in loaded.generate(prompts, 6)] == [g.token_ids for g in batched]


def test_the_default_student_stays_a_sequential_gpt2_with_an_unchanged_config(tmp_path: Path):
    model = LocalModel.build(ModelConfig(n_layer=1, n_embd=32, n_head=2), TASK.vocabulary(), seed=0)
    assert model.model.config.model_type == "gpt2" and PositionScheme.of(model.model).kind == "sequential"
    model.save(tmp_path / "ckpt")
    assert "ida_position" not in (tmp_path / "ckpt" / "config.json").read_text()


def test_coupled_gpt2_needs_separators():
    with pytest.raises(ValueError, match="model.position_scheme"):
        LocalModel.build(ModelConfig(position_scheme="coupled"), TASK.vocabulary(), seed=0)


def run_cli(tmp_path: Path, *sets: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ida.cli", "run", "--run-dir", str(tmp_path / "runs"),
                           *[a for s in sets for a in ("--set", s)]], capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_bad_position_configs_fail_in_one_line_before_the_run_dir(tmp_path: Path):
    cases = {  # a task without separators; separators the task never writes; a context too short
        "model.position_scheme": ["task.name=permutation", "model.position_scheme=coupled"],
        "model.position_separators": ["task.name=addition", "model.position_scheme=coupled",
                                      "model.position_separators=[x]", "model.max_answer_tokens=9"],
        "task.params.eval_max_digits": ["task.name=addition", "task.params={max_digits: 16}",
                                        "model.max_answer_tokens=19", "model.n_positions=32",
                                        "model.architecture=llama", "model.position_scheme=coupled"],
    }
    for field, sets in cases.items():
        proc = run_cli(tmp_path, *sets)
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 2 and len(lines) == 1 and field in lines[0], (field, proc.stderr)
        assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_check_positions_names_the_field():
    from ida.config import load_config
    from ida.models.positions import check_positions
    from ida.tasks import make_task

    coupled = ["model.architecture=llama", "model.position_scheme=coupled"]
    cases = {"model.position_scheme": (["task.name=permutation", *coupled], "permutation"),
             "model.position_separators": (["task.name=addition", *coupled, "model.position_separators=[x]"],
                                           "addition"),
             "amplify.answerer.kind": (["task.name=addition", *coupled, "amplify.answerer.kind=vllm"], "addition")}
    for field, (sets, task) in cases.items():
        with pytest.raises(ValueError, match=field):
            check_positions(load_config(None, sets), make_task(task))
    check_positions(load_config(None, ["task.name=addition", *coupled]), make_task("addition"))  # fine


@pytest.mark.slow
def test_the_long_addition_config_fits_its_task():
    """configs/addition-long.yaml passes the run's preflight (context and answer budget sized from the longest
    question), with its curriculum and filters."""
    from ida.build import build_task
    from ida.config import load_config
    from ida.preflight import preflight

    config = load_config(Path(__file__).resolve().parents[2] / "configs" / "addition-long.yaml")
    assert (config.model.architecture, config.model.position_scheme) == ("llama", "coupled")
    assert config.amplify.curriculum.kind == "frontier" and config.amplify.filters.format
    preflight(config, build_task(config))
    longest = max(len(q.prompt.split()) for q in build_task(config).questions("eval"))
    assert longest + config.model.max_answer_tokens + 1 <= config.model.n_positions
