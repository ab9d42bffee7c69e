"""`RunRecords`: the store's run-scoped tables bound to one run, so callers stop passing its id.

    records = store.run(run_id)            # a view: the Store keeps (and closes) the connection
    records.finish_phase(1, "amplify", result, examples=rows)
    records.examples(1)                    # = store.examples(run_id, 1)

Each method is the `Store` method of the same name without its `run_id` argument; methods that are not
run-scoped (accounts, leases by id, the whole queue) stay on the Store only. A test keeps the two in step."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ida.store.rows import ExampleRow, Lease, Workspace

if TYPE_CHECKING:
    from ida.store import Store


class RunRecords:
    """One run's rows in a `Store`. Cheap to make; never closes the store (its owner does)."""

    __slots__ = ("id", "_store")

    def __init__(self, store: Store, run_id: str):
        self.id, self._store = run_id, store

    def __repr__(self) -> str:
        return f"RunRecords({self.id!r} in {self._store.url.shown})"

    # runs
    def create_run(self, task: str, config_yaml: str) -> None:
        self._store.create_run(self.id, task, config_yaml)

    def run_row(self) -> dict[str, Any]:
        """The run's row: id, task, status, config (YAML), created."""
        return self._store.run_row(self.id)

    def set_status(self, status: str, reason: str | None = None, **details: Any) -> None:
        """The run's status (running, paused, finished, failed, interrupted); `reason` (one line) says why."""
        self._store.set_status(self.id, status, reason, **details)

    def status_reason(self) -> str | None:
        return self._store.status_reason(self.id)

    def reopen_phase(self, cycle: int, phase: str, why: str) -> None:
        self._store.reopen_phase(self.id, cycle, phase, why)

    # phases, examples, metrics, events
    def phase_result(self, cycle: int, phase: str) -> dict[str, Any] | None:
        return self._store.phase_result(self.id, cycle, phase)

    def finish_phase(self, cycle: int, phase: str, result: dict[str, Any],
                     metrics: dict[str, dict[str, float]] | None = None, examples: list[ExampleRow] | None = None,
                     also: Callable[[RunRecords], None] | None = None) -> None:
        """`Store.finish_phase`: one transaction; `also(records)` gets this view (bound to the same run)."""
        bound = None if also is None else (lambda _store: also(self))
        self._store.finish_phase(self.id, cycle, phase, result, metrics, examples, bound)

    def phases(self) -> list[dict[str, Any]]:
        return self._store.phases(self.id)

    def examples(self, cycle: int) -> list[ExampleRow]:
        return self._store.examples(self.id, cycle)

    def example(self, cycle: int, question_id: str) -> ExampleRow | None:
        return self._store.example(self.id, cycle, question_id)

    def metrics(self, name: str | None = None) -> dict[int, dict[str, dict[str, float]]]:
        """{cycle: {name: {key: value}}}."""
        return self._store.metrics(self.id, name)

    def event(self, actor: str, kind: str, payload: dict[str, Any] | None = None) -> None:
        """Append one event (inside the caller's transaction when one is open)."""
        self._store.event(self.id, actor, kind, payload)

    def events(self) -> list[dict[str, Any]]:
        """This run's events (the Store's `events()` also has those of no run: logins, accounts)."""
        return self._store.events(self.id)

    # safety
    def add_alert(self, cycle: int, tripwire: str, monitor: str, key: str, value: float, threshold: float,
                  message: str) -> None:
        self._store.add_alert(self.id, cycle, tripwire, monitor, key, value, threshold, message)

    def alerts(self, cycle: int | None = None, open_only: bool = False) -> list[dict[str, Any]]:
        return self._store.alerts(self.id, cycle, open_only)

    def signoffs(self, cycle: int | None = None) -> list[dict[str, Any]]:
        return self._store.signoffs(self.id, cycle)

    def sign_off(self, cycle: int, by: str, note: str) -> int:
        """Release every open alert of `cycle` with one sign-off; returns its id."""
        return self._store.sign_off(self.id, cycle, by, note)

    # review and workspaces
    def review_enqueue(self, cycle: int, items: list[tuple], now: float) -> int:
        return self._store.review_enqueue(self.id, cycle, items, now)

    def review_progress(self, cycle: int) -> tuple[int, int]:
        """(verdicts given, verdicts wanted) for a cycle's items."""
        return self._store.review_progress(self.id, cycle)

    def review_undo(self, user: str, clock: Callable[[], float], lease_seconds: float) -> Lease:
        return self._store.review_undo(user, self.id, clock, lease_seconds)

    def workspace_enqueue(self, cycle: int, model_version: str, questions: list[tuple[str, str, str, int]],
                          now: float) -> int:
        return self._store.workspace_enqueue(self.id, cycle, model_version, questions, now)

    def workspaces(self, cycle: int | None = None) -> list[Workspace]:
        return self._store.workspaces(self.id, cycle)

    def workspace_progress(self, cycle: int) -> tuple[int, int]:
        """(finished, queued) workspaces of a cycle."""
        return self._store.workspace_progress(self.id, cycle)
