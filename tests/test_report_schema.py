"""`ida report --schema` is the JSON Schema of `ida report --json`; a report that breaks it fails validation."""

from __future__ import annotations

import json

import jsonschema
import pytest
from typer.testing import CliRunner

from ida.cli import app
from ida.reporting.schema import report_schema


def test_the_schema_command_prints_the_reports_schema():
    result = CliRunner().invoke(app, ["report", "--schema"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.output)
    assert schema == report_schema() and set(schema["required"]) == {"run_id", "task", "status", "reason", "cycles",
                                                                     "baseline"}


def test_the_schema_refuses_a_report_with_a_missing_or_unknown_field():
    good = {"run_id": "r", "task": "permutation", "status": "finished", "reason": None, "baseline": None,
            "cycles": [{"index": 1, "student": {"1": 1.0}, "amplified": {}, "frontier": {"student": 1.0},
                        "train_examples": 3, "train_steps": 2, "seconds": 0.5}]}
    jsonschema.validate(good, report_schema())
    for bad in ({**good, "cycles": [{**good["cycles"][0], "train_steps": "two"}]}, {**good, "status": "done"},
                {k: v for k, v in good.items() if k != "cycles"}, {**good, "extra": 1}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, report_schema())
