from pathlib import Path

import pytest
import yaml

from ida import load_config
from ida.config import ConfigError, RunConfig

ROOT = Path(__file__).resolve().parents[2]


def test_default_yaml_is_the_embedded_default():
    assert load_config(ROOT / "configs" / "permutation.yaml") == RunConfig() == load_config(None)


def test_overrides_keep_types_and_nest():
    cfg = load_config(None, ["distill.steps=7", "review.policy=simulated", "eval.amplified=false",
                             "task.params={n_items: 8}", "review.error_rate=0.25"])
    assert cfg.distill.steps == 7 and cfg.review.policy == "simulated" and cfg.eval.amplified is False
    assert cfg.task.params == {"n_items": 8} and cfg.review.error_rate == 0.25


@pytest.mark.parametrize("override, path", [("distill.steps=0", "distill.steps"),
                                            ("distill.stepz=3", "distill.stepz"),
                                            ("review.policy=robot", "review.policy"),
                                            ("max_cycles=many", "max_cycles")])
def test_bad_field_names_its_dotted_path(override, path):
    with pytest.raises(ConfigError, match=path.replace(".", r"\.")):
        load_config(None, [override])


def test_malformed_override_and_yaml(tmp_path):
    with pytest.raises(ConfigError, match="key.path=value"):
        load_config(None, ["distill.steps"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(bad)


def test_every_field_is_documented():
    def walk(model):
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description"
            sub = field.annotation
            if isinstance(sub, type) and issubclass(sub, RunConfig.__mro__[1]):
                walk(sub)
    walk(RunConfig)


def test_yaml_round_trip(tmp_path):
    from ida.config import dump_config
    cfg = load_config(None, ["seed=3"])
    path = tmp_path / "c.yaml"
    path.write_text(dump_config(cfg))
    assert load_config(path) == cfg and yaml.safe_load(path.read_text())["seed"] == 3


@pytest.mark.parametrize("overrides, message", [
    (["model.n_embd=130"], "n_embd: 130 is not divisible by n_head=4"),
    (["model.n_embd=64", "model.n_head=3"], "n_embd: 64 is not divisible by n_head=3"),
    (["seed=99999999999999999999"], "seed: Input should be less than or equal to 1073741823"),
    (["seed=-1"], "seed: Input should be greater than or equal to 0"),
])
def test_model_shape_and_seed_range_are_config_errors_naming_the_field(overrides, message):
    """Without these checks GPT-2's attention and torch.manual_seed fail inside the model, naming no field."""
    with pytest.raises(ConfigError) as err:
        load_config(None, overrides)
    assert message in str(err.value)


def test_the_largest_seed_builds_and_its_derived_seeds_fit_torch():
    import torch

    from ida.config import MAX_SEED

    cfg = load_config(None, [f"seed={MAX_SEED}", "model.n_embd=96", "model.n_head=3"])
    largest_derived = (cfg.seed * 10007 + 99991) * 1_000_003 + 10**6 * 101 + 64  # on-policy sampling's seed
    torch.Generator().manual_seed(largest_derived)
