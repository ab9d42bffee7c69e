"""Loading a config: YAML, `--set a.b=c` overrides, validation with one line per bad field by its dotted
path, and the plug-in checks; dumping it back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ida.config.run import RunConfig
from ida.config.store import redact
from ida.errors import IDAError


class ConfigError(IDAError, ValueError):
    """A config that does not validate; the message names each bad field by its dotted path."""


def parse_override(item: str) -> tuple[list[str], Any]:
    """`a.b=c` -> (["a", "b"], parsed c); the value is parsed as YAML so numbers and booleans keep their type."""
    if "=" not in item:
        raise ConfigError(f"override {item!r} is not of the form key.path=value")
    key, raw = item.split("=", 1)
    if not key.strip():
        raise ConfigError(f"override {item!r} has an empty key")
    try:
        return key.strip().split("."), yaml.safe_load(raw) if raw else ""
    except yaml.YAMLError as err:
        raise ConfigError(f"override {item!r}: the value is not valid YAML ({_yaml_problem(err)}); "
                          "quote it or fix its brackets") from None


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    for item in overrides:
        path, value = parse_override(item)
        node = data
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"override {item!r}: {part!r} is not a section")
            node = child
        node[path[-1]] = value
    return data


def validate(data: dict[str, Any]) -> RunConfig:
    """The config, checked against its schema. The plug-ins it names are resolved by the run's builder
    (`ida.build.check_plugins`, also behind `ida.load_config`), which sits above the packages that hold them."""
    try:
        return RunConfig.model_validate(data)
    except ValidationError as err:
        # One line however many fields are bad (the CLI prints exactly one line per error); no password in it.
        raise ConfigError("; ".join(f"{_where(e)} (got {redact(_short(e.get('input')))})" for e in err.errors())) \
            from None


def _short(value: Any, limit: int = 60) -> str:
    """A bad value as one short line (a nested section or long text would make the message unreadable)."""
    text = " ".join(repr(value).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _where(error: dict) -> str:
    """"a.b: message"; a section's validator that names its field ("n_layer: ...") gives "model.n_layer: ..."."""
    path, msg = ".".join(str(p) for p in error["loc"]), error["msg"]
    if error["type"] == "value_error":
        msg = msg.removeprefix("Value error, ")
        head, sep, rest = msg.partition(": ")
        if sep and head.replace(".", "").replace("_", "").isalnum() and path:
            return f"{path}.{head}: {rest}"
    return f"{path}: {msg}"


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> RunConfig:
    """Load YAML (the built-in defaults when `path` is None), apply `--set` overrides, validate.

    The built-in defaults are the embedded default run, the same as `configs/permutation.yaml`."""
    data = read_yaml(Path(path)) if path else {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping")
    return validate(apply_overrides(data, overrides or []))


def read_yaml(path: Path) -> Any:
    """A config file's YAML; every way it can be unreadable is a one-line `ConfigError` naming the file (an empty
    file is an error, never the defaults: a config cut short must not silently run another experiment)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a YAML config file") from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not UTF-8 text (byte {err.start}); save it as UTF-8") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot be read ({err.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML ({_yaml_problem(err)})") from None
    if data is None:
        raise ConfigError(f"{path}: the config is empty; write the fields to change (or `{{}}` for the defaults)")
    return data


def _yaml_problem(err: yaml.YAMLError) -> str:
    mark = getattr(err, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    return f"{getattr(err, 'problem', None) or 'parse error'}{where}"


def dump_config(config: RunConfig) -> str:
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
