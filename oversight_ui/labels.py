"""Words a reviewer understands for the harness's internal names (who answered, who decomposed, which item)."""

from __future__ import annotations

OVERSEERS = {"H:program": "the task's decomposition program", "H:human": "an overseer in the workspace"}


def who(answered_by: str | None) -> str:
    """`M1` -> "model M1", `memo:M1` -> "model M1 (cached)", `H` -> "H itself (no model)"."""
    if not answered_by:
        return "-"
    if answered_by.startswith("memo:"):
        return f"model {answered_by[5:]} (cached)"
    if answered_by == "H":
        return "H itself (no model)"
    return f"model {answered_by}" if answered_by.startswith("M") else answered_by


def overseer(name: str | None) -> str:
    """`H:program` -> "the task's decomposition program", `H:llm:gpt` -> "an LLM's plans (gpt)"."""
    if not name:
        return "?"
    if name in OVERSEERS:
        return OVERSEERS[name]
    kind, _, model = name.partition(":")[2].partition(":")
    return {"llm": f"an LLM's plans ({model})", "direct": f"nobody: {model} answered directly"}.get(kind, name)


def item(node: int) -> str:
    return "the whole answer" if node == 0 else f"subquestion {node}"
