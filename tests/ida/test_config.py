from pathlib import Path

import pytest
import yaml

from ida.config import ConfigError, RunConfig, load_config

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
