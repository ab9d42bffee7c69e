"""Progress display per phase: a rich bar on a terminal, nothing in tests (`quiet=True`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class PhaseBar:
    def __init__(self, progress: Progress | None, task_id: int | None):
        self._progress, self._task_id = progress, task_id

    def update(self, completed: int | None = None, total: int | None = None, info: str = "") -> None:
        if self._progress is not None:
            self._progress.update(self._task_id, completed=completed, total=total, info=info)


class RunProgress:
    """One bar per phase (`with progress.phase("cycle 2 · distill", total=400) as bar: bar.update(...)`)."""

    def __init__(self, console: Console | None = None, quiet: bool = False):
        self.console = console or Console(stderr=True)
        self.quiet = quiet

    def log(self, message: str) -> None:
        if not self.quiet:
            self.console.print(message)

    @contextmanager
    def phase(self, description: str, total: int | None = None) -> Iterator[PhaseBar]:
        if self.quiet:
            yield PhaseBar(None, None)
            return
        columns = (TextColumn("[bold]{task.description:<24}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), TextColumn("{task.fields[info]}"))
        with Progress(*columns, console=self.console, transient=False) as progress:
            task_id = progress.add_task(description, total=total, info="")
            yield PhaseBar(progress, task_id)
            progress.update(task_id, completed=progress.tasks[0].total or 1, total=progress.tasks[0].total or 1)

    @contextmanager
    def training(self, description: str, steps: int) -> Iterator[Callable[[int, float], None]]:
        """A bar for a training loop: yields the `on_step(step, loss)` callback that `ida.distill.trainer.train`
        takes, showing steps done, elapsed time and the last loss (the supervised baseline, benchmark arms)."""
        with self.phase(description, total=steps) as bar:
            yield lambda step, loss: bar.update(completed=step, info=f"loss {loss:.3f}")
