"""What the amplify (and evaluate) phase records about its amplifier: result fields, metrics and events."""

from __future__ import annotations

from typing import Any

from ida.amplify.amplifier import Amplifier, ConfidentAnswerer
from ida.store import RunRecords


def phase_record(amplifier: Amplifier, examples: list, vocabulary: set[str] | None, cycle: int,
                 phase: str) -> tuple[dict, dict, Any]:
    """What the amplify (or evaluate) phase stores about its amplifier: result fields, metrics, and a writer of
    one event per failed example and per rejected plan (for `RunRecords.finish_phase(also=...)`, so the events land
    in the phase's transaction and a resumed phase does not log them twice)."""
    usage = amplifier.take_usage()
    failures = {qid: reasons for qid, reasons in amplifier.failures.items()}
    failed = [(e.question.id, e.error) for e in examples if e.answer is None]
    unknown = (0 if vocabulary is None else  # None: a subword tokenizer, where no word is unknown
               sum(tok not in vocabulary for e in examples if e.usable for tok in e.answer.split()))
    result: dict[str, Any] = {"answerer": amplifier.answerer.version, "overseer": amplifier.overseer,
                              **({"unsure_subanswers": amplifier.answerer.filtered}
                                 if isinstance(amplifier.answerer, ConfidentAnswerer) else {}),
                              "decomposer_failures": sum(len(r) for r in failures.values()),
                              "target_unknown_tokens": unknown}
    if failures:
        result["decomposer_failure_reasons"] = {qid: [reason for _, reason in r][:3]
                                                for qid, r in list(failures.items())[:20]}
    if failed:
        result["failure_reasons"] = {qid: error for qid, error in failed[:20]}
    prefix = "" if phase == "amplify" else f"{phase}_"  # metrics are keyed by (cycle, name): keep phases apart
    metrics: dict[str, dict[str, float]] = {
        f"{prefix}decomposer": {"failures": float(result["decomposer_failures"])}}
    if usage is not None:
        result["usage"] = metrics[f"{prefix}usage"] = usage

    def write_events(records: RunRecords) -> None:
        for qid, reasons in failures.items():
            for question, reason in reasons:
                records.event("system", "decomposer_failure",
                              {"cycle": cycle, "phase": phase, "question_id": qid, "question": question,
                               "reason": reason})
        for qid, error in failed:
            records.event("system", "amplify_failure",
                          {"cycle": cycle, "phase": phase, "question_id": qid, "error": error})

    return result, metrics, write_events
