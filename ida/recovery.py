"""What `execute` checks before it continues a run: the files later phases need are there.

A cycle's dataset that is gone (or changed) before its distill ran is rebuilt by running that cycle's review phase
again; a missing M_0 is rebuilt from the seed; any other checkpoint a pending phase needs cannot be rebuilt without
redoing finished cycles, so the run stops with one line naming the file (instead of failing hours later)."""

from __future__ import annotations

import hashlib

from ida.atomic import remove_stale_temps
from ida.errors import RunDirError
from ida.results import ReviewResult
from ida.run import BASELINE_CYCLE, Run, save_atomic


def check_run_files(run: Run) -> None:
    remove_stale_temps(run.dir, recursive=True)  # half-written files of a writer that was killed
    done = {(p["cycle"], p["phase"]) for p in run.records.phases()}
    _rebuild_missing_datasets(run, done)
    for k in _needed_checkpoints(run, done):
        path = run.checkpoint(k)
        if path.is_dir() and any(path.iterdir()):  # merged weights or an adapter folder
            continue
        if k == 0:  # M_0 is the seeded fresh student: the same weights again
            run.progress.log(f"{path} is missing: rebuilding M_0 from the run's seed")
            save_atomic(run.build_model(seed=run.config.seed), path)
            continue
        raise RunDirError(f"{path} is missing (M_{k}, needed by the phases still to run); resume cannot rebuild "
                          "it without redoing finished cycles: restore the folder, or start a new run")


def _rebuild_missing_datasets(run: Run, done: set[tuple[int, str]]) -> None:
    for c in range(1, run.config.max_cycles + 1):
        if (c, "review") not in done or (c, "distill") in done:
            continue
        path = run.paths.dataset(c)
        review = run.result(c, ReviewResult)
        expected = review.dataset_sha256 if review is not None else None
        if path.is_file() and (expected is None or hashlib.sha256(path.read_bytes()).hexdigest() == expected):
            continue
        why = f"{path} is {'changed' if path.exists() else 'missing'}"
        run.progress.log(f"{why}: cycle {c}'s review phase runs again to rebuild it")
        run.records.reopen_phase(c, "review", why)


def _needed_checkpoints(run: Run, done: set[tuple[int, str]]) -> list[int]:
    """Cycles whose checkpoint exists by the record and is read by a phase not done yet."""
    cfg = run.config
    after_distill = ("evaluate", "monitor", "promote")
    needed = []
    for k in range(0, cfg.max_cycles + 1):
        if k > 0 and (k, "distill") not in done:
            break
        by_own = k > 0 and any((k, p) not in done for p in after_distill)
        by_next = k < cfg.max_cycles and any((k + 1, p) not in done for p in ("distill", *after_distill))
        by_baseline = k == BASELINE_CYCLE and cfg.eval.baseline and (BASELINE_CYCLE, "baseline") not in done
        anchor = cfg.distill.teacher
        by_anchor = (anchor.kind == "anchor" and anchor.anchor == k
                     and any((c, "distill") not in done for c in range(1, cfg.max_cycles + 1)))
        if by_own or by_next or by_baseline or by_anchor:
            needed.append(k)
    return needed
