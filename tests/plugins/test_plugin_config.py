"""Plug-ins named in a config: registered names, `module:attr` import paths and entry points, each resolved and
checked against its protocol when the config is loaded, with one line naming the field and the plug-in."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import ida
from ida import load_config
from ida.config import ConfigError
from ida.plugins import PluginError, Registry

FIELDS = {"task": "task.name", "answerer": "amplify.answerer.kind", "decomposer": "amplify.decomposer",
          "policy": "review.policy", "objective": "distill.objective"}


def one_line_error(overrides: list[str]) -> str:
    with pytest.raises(ConfigError) as err:
        load_config(None, overrides)
    message = str(err.value)
    assert "\n" not in message and "Traceback" not in message
    return message


@pytest.mark.parametrize("field", FIELDS.values())
def test_an_import_path_that_does_not_import_names_the_field(field):
    message = one_line_error([f"{field}=no_such_module_xyz:Thing"])
    assert message.startswith(f"{field}: cannot import 'no_such_module_xyz:Thing'") and "No module named" in message
    message = one_line_error([f"{field}=plugin_parts:Missing"])
    assert message.startswith(f"{field}:") and "has no attribute 'Missing'" in message


@pytest.mark.parametrize("field", FIELDS.values())
def test_an_attribute_that_is_no_class_or_callable_is_refused(field):
    message = one_line_error([f"{field}=plugin_parts:NOT_CALLABLE"])
    assert message.startswith(f"{field}: plugin_parts:NOT_CALLABLE")
    assert "is a int, not a class or a callable" in message


@pytest.mark.parametrize("field,path,method", [
    ("task.name", "plugin_parts:NoVocabulary", "vocabulary"),
    ("amplify.decomposer", "plugin_parts:HalfProtocol", "overseer"),
    ("review.policy", "plugin_parts:Ones", "review"),
    ("amplify.answerer.kind", "plugin_parts:OwnDecomposer", "answer"),
])
def test_a_class_missing_a_protocol_method_is_named_with_the_method(field, path, method):
    message = one_line_error([f"{field}={path}"])
    assert message.startswith(f"{field}: ")
    assert message.endswith(f"class {path.replace(':', '.')} has no method {method}()")


def test_unknown_names_list_the_known_ones():
    message = one_line_error(["review.policy=nobody"])
    assert message.startswith("review.policy: unknown review policy 'nobody'; known: human, none, simulated")
    message = one_line_error(["distill.objective=mix", "distill.weights={sft: 1.0, dpo: 0.5}"])
    assert message.startswith("distill.objective: unknown objective 'dpo'; known:") and "on_policy" in message


def test_import_paths_resolve_to_the_protocols_and_defaults_are_filled():
    cfg = load_config(None, ["task.name=plugin_parts:Ones", "amplify.decomposer=plugin_parts:OwnDecomposer",
                             "review.policy=plugin_parts:AcceptAll", "distill.objective=plugin_parts:counted_sft",
                             "amplify.answerer.kind=plugin_parts:ConstantAnswerer",
                             "amplify.answerer.params={text: '0'}"])
    assert cfg.task.name == "plugin_parts:Ones"  # the path is what the run's config stores
    task = ida.make_task(cfg.task.name, form="weights", seed=3, max_len=2)
    assert task.name == "Ones" and task.form == "weights" and task.can_decompose and task.seed == 3
    q = task.questions("train")[0]
    assert task.check(q, task.true_answer(q)) and task.evidence(q) == []
    from_factory = ida.make_task("plugin_parts:ones_factory", form="context", seed=1, max_len=1)
    assert len(from_factory.questions("eval")) == 2  # form/seed left out: the factory does not take them
    from ida.models.registry import answerer_provider

    answerer = answerer_provider(cfg.amplify.answerer.kind).build(cfg.amplify.answerer, None)
    assert answerer.answer(["a", "b"])[1].text == "0" and answerer.version == "ConstantAnswerer"
    assert answerer.usage is None and answerer.close() is None


def test_register_functions_add_names_to_the_config_fields():
    from plugin_parts import AcceptAll, ConstantAnswerer, Ones, OwnDecomposer, counted_sft

    ida.register_task("ones_registered", Ones)
    ida.register_answerer("constant_registered", ConstantAnswerer)
    ida.register_decomposer("own_registered", OwnDecomposer)
    ida.register_review_policy("accept_registered", AcceptAll)
    ida.register_objective("counted_registered", counted_sft)
    cfg = load_config(None, ["task.name=ones_registered", "amplify.answerer.kind=constant_registered",
                             "amplify.decomposer=own_registered", "review.policy=accept_registered",
                             "distill.objective=mix", "distill.weights={sft: 1.0, counted_registered: 0.5}"])
    assert cfg.review.policy == "accept_registered"
    with pytest.raises(PluginError, match="task class plugin_parts.NoVocabulary has no method vocabulary"):
        from plugin_parts import NoVocabulary

        ida.register_task("broken", NoVocabulary)
    with pytest.raises(PluginError, match="must not contain ':'"):
        ida.register_task("a:b", Ones)


def test_entry_points_of_installed_packages_register_names(tmp_path, monkeypatch):
    dist = tmp_path / "ida_own_parts-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ida-own-parts\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[ida.tasks]\nones_ep = plugin_parts:Ones\nbroken_ep = no_such_module_xyz:Task\n\n"
        "[ida.review_policies]\naccept_ep = plugin_parts:AcceptAll\n\n"
        "[ida.objectives]\ncounted_ep = plugin_parts:counted_sft\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    cfg = load_config(None, ["task.name=ones_ep", "review.policy=accept_ep", "distill.objective=counted_ep"])
    assert cfg.task.name == "ones_ep" and "ones_ep" in ida.tasks.TASK_REGISTRY.names()
    assert type(ida.make_task("ones_ep")).__name__ == "Ones"
    message = one_line_error(["task.name=broken_ep"])
    assert message.startswith("task.name: entry point 'broken_ep' of ida.tasks") and "No module named" in message
    assert "ones_ep" in one_line_error(["task.name=nope"])  # listed among the known names


def test_the_registry_is_one_generic_helper():
    reg: Registry[int] = Registry("number", "x.n", "ida.test_numbers", adapt=lambda obj, where: int(obj))
    reg.register("one", 1)
    assert reg.get("one") == 1 and "one" in reg and reg.names() == ["one"]
    assert reg.get("math:pi") == 3  # an import path goes through adapt
    with pytest.raises(PluginError, match=r"^x.n: unknown number 'two'; known: one \(or an import path"):
        reg.get("two")


def test_importing_ida_loads_no_torch():
    code = "import sys, ida; ida.load_config(); ida.report; ida.register_task; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])
