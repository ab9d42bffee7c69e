"""Bad student input fails before any work, in one line naming the field, and creates no run dir."""

import json
import shutil
import socket
import time

import pytest
from typer.testing import CliRunner

from ida.cli import app
from ida.config import ConfigError, load_config
from ida.run import start_run
from ida.progress import RunProgress
from ida.tasks import make_task
from tests.models.tiny_lm import save_checkpoint

TASK = ["task.params={n_items: 8, max_k: 4}"]


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    root = tmp_path_factory.mktemp("ckpts")
    task = make_task("permutation", n_items=8, max_k=4)
    good = save_checkpoint(root / "llama", "llama", task, chat=False)
    no_tokenizer = root / "no-tokenizer"
    shutil.copytree(good, no_tokenizer)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (no_tokenizer / name).unlink()
    no_config = root / "no-config"
    shutil.copytree(good, no_config)
    (no_config / "config.json").unlink()
    unknown = root / "unknown-arch"
    shutil.copytree(good, unknown)
    config = json.loads((unknown / "config.json").read_text())
    (unknown / "config.json").write_text(json.dumps({**config, "model_type": "no-such-arch"}))
    small = root / "small-vocab"
    shutil.copytree(good, small)
    (small / "config.json").write_text(json.dumps({**config, "vocab_size": 16}))
    others = {kind: not_a_decoder(root / kind, kind, good, config["vocab_size"]) for kind in ("bert", "t5", "bart")}
    return {"good": good, "no-tokenizer": no_tokenizer, "no-config": no_config, "unknown": unknown, "small": small,
            **others}


def not_a_decoder(path, kind, tokenizer_from, vocab):
    """A tiny random BERT (encoder-only), T5 or BART (encoder-decoder) saved with save_pretrained, with the
    llama checkpoint's tokenizer."""
    from transformers import (BartConfig, BartForConditionalGeneration, BertConfig, BertForMaskedLM, T5Config,
                              T5ForConditionalGeneration)

    small = dict(vocab_size=vocab)
    model = {"bert": lambda: BertForMaskedLM(BertConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                                        intermediate_size=32, **small)),
             "t5": lambda: T5ForConditionalGeneration(T5Config(d_model=16, d_kv=8, d_ff=32, num_layers=1,
                                                               num_heads=2, **small)),
             "bart": lambda: BartForConditionalGeneration(BartConfig(d_model=16, encoder_layers=1, decoder_layers=1,
                                                                     encoder_attention_heads=2,
                                                                     decoder_attention_heads=2, encoder_ffn_dim=32,
                                                                     decoder_ffn_dim=32, **small))}[kind]()
    model.save_pretrained(path)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(tokenizer_from / name, path / name)
    return path


CASES = {
    "no-config": ([], "has no config.json"),
    "no-tokenizer": ([], "has no tokenizer files"),
    "unknown": ([], "unknown architecture"),
    "small": ([], "the tokenizer has"),
    "bert": ([], "is an encoder-only (masked LM) model (bert)"),  # before: accepted (BertLMHeadModel)
    "bart": ([], "is an encoder-decoder (sequence-to-sequence) model (bart)"),  # before: accepted
    "t5": ([], "is an encoder-decoder (sequence-to-sequence) model (t5)"),
    "chat-without-template": (["model.prompt_format=chat"], "model.prompt_format: chat"),
    "lora-matches-nothing": (["distill.lora.enabled=true", "distill.lora.target_modules=[c_attn]"],
                             "distill.lora.target_modules: ['c_attn'] match no module"),
    "vllm-not-installed": (["amplify.answerer.kind=vllm"], "vllm, but vLLM is not installed"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_student_input_fails_in_one_line_before_the_run_dir_exists(case, checkpoints, tmp_path):
    extra, message = CASES[case]
    ckpt = checkpoints.get(case, checkpoints["good"])
    cfg = load_config(None, TASK + [f"model.pretrained={ckpt}", *extra])
    with pytest.raises(ValueError) as err:
        start_run(cfg, tmp_path / "runs", RunProgress(quiet=True))
    assert message in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "runs").exists()


def test_unreachable_hub_id_names_the_id_and_offline_mode(tmp_path, monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)  # read at import; a user sets the env
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # an empty cache
    start = time.perf_counter()
    result = CliRunner().invoke(app, ["run", "--run-dir", str(tmp_path / "runs"), "--quiet", "--set", TASK[0],
                                      "--set", "model.pretrained=nobody/no-such-model"])
    text = " ".join(result.output.split())
    assert result.exit_code == 2 and "'nobody/no-such-model'" in text and "HF_HUB_OFFLINE=1" in text
    assert time.perf_counter() - start < 2 and not (tmp_path / "runs").exists()


def test_a_hub_that_does_not_answer_fails_fast_without_offline_mode(tmp_path, monkeypatch):
    """No network and no HF_HUB_OFFLINE: before, from_pretrained retried five times over ~30 s. The hub here is a
    local port nobody listens on (the test touches no network)."""
    import huggingface_hub.constants

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: connections to it are refused
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy",
                "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    start = time.perf_counter()
    result = CliRunner().invoke(app, ["run", "--run-dir", str(tmp_path / "runs"), "--quiet", "--set", TASK[0],
                                      "--set", "model.pretrained=nobody/no-such-model"])
    text = " ".join(result.output.split())
    assert result.exit_code == 2 and "'nobody/no-such-model'" in text and "does not answer" in text, text
    assert time.perf_counter() - start < 2 and not (tmp_path / "runs").exists()


def test_half_precision_on_a_cpu_is_warned_once(checkpoints, monkeypatch, capsys):
    import torch

    from ida.config import ModelConfig
    from ida.models import pretrained

    if torch.cuda.is_available():
        pytest.skip("the warning is for CPU-only machines")
    monkeypatch.setattr(pretrained, "_warned", set(), raising=False)
    cfg = ModelConfig(pretrained=str(checkpoints["good"]), dtype="bfloat16")
    for _ in range(2):  # M_0 and every later checkpoint load the same dtype: one warning
        model, _tok = pretrained.load_pretrained(cfg)
        assert model.dtype == torch.bfloat16
    err = capsys.readouterr().err
    assert err.count("model.dtype: bfloat16 without a CUDA device") == 1, err  # before: silent


def test_vllm_without_vllm_fails_also_for_the_builtin_student(tmp_path):
    result = CliRunner().invoke(app, ["run", "--run-dir", str(tmp_path / "runs"), "--quiet",
                                      "--set", "amplify.answerer.kind=vllm"])
    assert result.exit_code == 2 and "vLLM is not installed" in result.output and not (tmp_path / "runs").exists()


@pytest.mark.parametrize("field", ["n_layer=3", "n_embd=64", "dropout=0.1"])
def test_tiny_gpt2_fields_conflict_with_pretrained(field):
    with pytest.raises(ConfigError, match=f"model.{field.split('=')[0]}: only for the built-in GPT-2"):
        load_config(None, ["model.pretrained=some/model", f"model.{field}"])


def test_chat_needs_a_pretrained_model():
    with pytest.raises(ConfigError, match="model.prompt_format: chat needs model.pretrained"):
        load_config(None, ["model.prompt_format=chat"])


def test_the_gpu_config_validates():
    cfg = load_config("configs/pretrained-lora.yaml")
    assert cfg.model.pretrained == "Qwen/Qwen2.5-0.5B-Instruct" and cfg.amplify.answerer.kind == "vllm"
    assert cfg.distill.lora.enabled and cfg.distill.lora.save == "adapter"
