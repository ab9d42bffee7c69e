"""The safety section is fixed at run start: the store keeps the config the run started with, and every resume
compares config.yaml's safety section with it. `ida resume --set` may change other fields, never safety."""

from __future__ import annotations

from pathlib import Path

import yaml

from ida.atomic import write_text_atomic
from ida.build import load_config as load_checked_config
from ida.paths import RunPaths
from ida.config import ConfigError, RunConfig, SafetyConfig, dump_config
from ida.store import RunRecords
from ida.store.open import open_store


def started_safety(records: RunRecords) -> SafetyConfig:
    """The safety section the run started with (runs older than the section: the defaults)."""
    started = yaml.safe_load(records.run_row()["config"]) or {}
    return SafetyConfig.model_validate(started.get("safety") or {})


def check_safety_unchanged(config: RunConfig, records: RunRecords, config_path: Path) -> None:
    """Raise `ConfigError` naming each safety field whose value differs from the one fixed at run start."""
    fixed = started_safety(records).model_dump(mode="json")
    now = config.safety.model_dump(mode="json")
    changed = [f"  safety.{k}: {fixed[k]!r} at run start, {now[k]!r} in {config_path}"
               for k in fixed if fixed[k] != now[k]]
    if changed:
        raise ConfigError("the safety section is fixed when a run starts and cannot change mid-run; refusing to "
                          "continue:\n" + "\n".join(changed) +
                          "\nrestore config.yaml's safety section, or start a new run with the new thresholds")


def apply_resume_overrides(run_dir: Path, overrides: list[str]) -> RunConfig:
    """`ida resume RUN_DIR --set a.b=c`: validate and write the changed config.yaml; any safety field is refused."""
    path = RunPaths(run_dir).config
    for item in overrides:
        key = item.split("=", 1)[0].strip()
        if key == "safety" or key.startswith("safety."):
            raise ConfigError(f"{key}: the safety section is fixed when a run starts; resume cannot change it "
                              "(start a new run with the new thresholds)")
    config = load_checked_config(path, overrides)  # its plug-ins too: a bad one writes nothing
    write_text_atomic(path, dump_config(config))  # a kill mid-rewrite leaves the old config or the new one
    store = open_store(config.store, run_dir)  # the run's store: its SQLite file, or store.url
    try:
        store.run().event("cli", "config_changed", {"overrides": overrides})
    finally:
        store.close()
    return config
