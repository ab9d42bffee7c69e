"""`RunPaths`: every path inside a run dir, in one place (re-exported by `ida.run`).

    paths = RunPaths(run_dir)
    paths.checkpoint(2)      # runs/<id>/cycle-2/checkpoint    (M_2)
    paths.dataset(2)         # runs/<id>/cycle-2/dataset.jsonl (cycle 2's distillation set)

A foundation module (no imports from ida): the review app, recovery and the cycle all find files through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

STORE = "ida.sqlite"
CONFIG = "config.yaml"
DATA_DIR = "data"  # a data task's copy of its question file (ida.tasks.lineage)


@dataclass(frozen=True)
class RunPaths:
    dir: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "dir", Path(self.dir))

    @property
    def store(self) -> Path:
        return self.dir / STORE

    @property
    def config(self) -> Path:
        return self.dir / CONFIG

    @property
    def data(self) -> Path:
        return self.dir / DATA_DIR

    def cycle(self, cycle: int) -> Path:
        return self.dir / f"cycle-{cycle}"

    def checkpoint(self, cycle: int) -> Path:
        """M_cycle's checkpoint folder (cycle 0: the fresh or pretrained M_0)."""
        return self.cycle(cycle) / "checkpoint"

    def dataset(self, cycle: int) -> Path:
        """The cycle's distillation set, written by its review phase and read by its distill phase."""
        return self.cycle(cycle) / "dataset.jsonl"

    def demonstrations(self, cycle: int) -> Path:
        """Finished workspaces of the cycle in the LLM plan format."""
        return self.cycle(cycle) / "demonstrations.jsonl"

    @property
    def baseline_checkpoint(self) -> Path:
        return self.dir / "baseline" / "checkpoint"

    @property
    def baseline_cache(self) -> Path:
        """Beside the runs (shared by every run under the same root): identical supervised baselines."""
        return self.dir.parent / ".cache"

    @property
    def capability_plot(self) -> Path:
        return self.dir / "capability.png"

    @property
    def monitors_plot(self) -> Path:
        return self.dir / "monitors.png"

    @property
    def report_html(self) -> Path:
        return self.dir / "report.html"
