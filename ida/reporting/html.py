"""`report.html`: a self-contained run report (images embedded as base64, no scripts, every text escaped):
capability per difficulty per cycle, monitors per cycle with their meaning, alerts and sign-offs, thresholds."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

from ida.atomic import write_text_atomic
from ida.paths import RunPaths
from ida.reporting.capability import difficulties, plot_capability
from ida.reporting.format import pct
from ida.reporting.oversight import OVERSIGHT_HEADER, oversight_rows
from ida.reporting.safety import alert_lines, plot_monitors
from ida.safety import MONITORS

STYLE = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
         "table{border-collapse:collapse;font-size:13px;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 7px;"
         "text-align:right}th{background:#f3f3f3}.alert{color:#b00}img{max-width:100%}")


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{html.escape(path.name)}" src="data:image/png;base64,{data}">'


def _table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _capability(report: dict[str, Any]) -> str:
    keys = difficulties(report)
    rows = [[c["index"], *[f"{pct(c['student'].get(k))} / {pct(c['amplified'].get(k))}" for k in keys],
             c["train_examples"], c["train_steps"]] for c in report["cycles"]]
    if report["baseline"]:
        rows.append(["baseline", *[pct(report["baseline"]["supervised"].get(k)) for k in keys], "",
                     report["baseline"]["train_steps"]])
    return _table(["cycle", *[f"d={k}" for k in keys], "train examples", "steps"], rows)


def _monitors(safety: dict[str, Any]) -> str:
    rows = []
    for c in safety["cycles"]:
        for m in MONITORS:
            values = ", ".join(f"{k}={v:.3g}" for k, v in c[m.name].items())
            rows.append([c["index"], m.name, values])
    return _table(["cycle", "monitor", "values"], rows)


def write_html_report(report: dict[str, Any], safety: dict[str, Any], run_dir: Path) -> Path:
    """Write `report.html` (and the two PNGs it embeds) into `run_dir`; return its path."""
    run_dir = Path(run_dir)
    parts = [f"<h1>{html.escape(report['task'])} · {html.escape(report['run_id'])}</h1>",
             f"<p>status: <b>{html.escape(report['status'])}</b></p>", "<h2>Capability per difficulty</h2>",
             "<p>cells: student M_n / Amp(H, M_n) accuracy in % on the eval questions</p>", _capability(report)]
    if report["cycles"]:
        parts.append(_img(plot_capability(report, RunPaths(run_dir).capability_plot)))
    if report.get("oversight"):
        parts += ["<h2>Oversight</h2>", "<p>training targets by provenance: verified (a person saw the question and "
                  "answer), propagated (from a node verdict, unseen), model (unreviewed); disputes between "
                  "overseers and their agreement (Cohen's kappa)</p>",
                  _table(OVERSIGHT_HEADER, oversight_rows(report["oversight"]))]
    parts += ["<h2>Alerts</h2>", "<p>tripwires: " + html.escape(", ".join(
        f"safety.{k} = {v}" for k, v in safety["thresholds"].items()) or "none set") + "</p>"]
    lines = alert_lines(safety)
    parts.append("<ul>" + "".join(f'<li class="alert">{html.escape(x)}</li>' for x in lines) + "</ul>"
                 if lines else "<p>no alerts</p>")
    if safety["cycles"]:
        parts += ["<h2>Monitors</h2>", _img(plot_monitors(safety, RunPaths(run_dir).monitors_plot)), _monitors(safety)]
    parts += ["<h3>What the monitors measure</h3>",
              "<ul>" + "".join(f"<li><b>{html.escape(m.name)}</b>: {html.escape(m.what)}</li>" for m in MONITORS)
              + "</ul>"]
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(report['run_id'])}</title>"
            f"<style>{STYLE}</style></head><body>{''.join(parts)}</body></html>")
    path = RunPaths(run_dir).report_html
    write_text_atomic(path, page)
    return path
