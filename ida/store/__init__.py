"""`Store`: one SQLite file (WAL) per run dir, or a PostgreSQL database or schema (`store.url`, through the thin
adapter `ida.store.db`), that owns every table — runs, phases, examples with their graphs,
metrics, the append-only event log, alerts and sign-offs, the review queue (items, leases, verdicts), the
human-as-H workspaces and the oversight app's accounts. Nothing else touches its connection. Cheap to open: give
each thread its own."""

from ida.store.accounts import AccountTables, AccountTaken
from ida.store.records import RunRecords
from ida.store.review import LeaseError, ReviewTables
from ida.store.rows import Account, ExampleRow, Lease, Workspace, WorkspaceStep
from ida.store.runs import RunTables
from ida.store.safety import NothingToSignOff, SafetyTables
from ida.store.workspaces import WorkspaceError, WorkspaceTables


class Store(ReviewTables, WorkspaceTables, AccountTables, SafetyTables, RunTables):
    """A connection to a run's (or the accounts') store: a SQLite file or a store URL; see the package docstring."""

    def run(self, run_id: str | None = None) -> RunRecords:
        """The run-scoped tables bound to `run_id` (`store.run(id).examples(1)` = `store.examples(id, 1)`), or to
        the store's only run (a store holds one run; none: `RunDirError`). The view shares this connection, which
        stays this Store's to close."""
        return RunRecords(self, self.run_row()["id"] if run_id is None else run_id)


__all__ = ["Account", "AccountTaken", "ExampleRow", "Lease", "LeaseError", "NothingToSignOff", "RunRecords", "Store",
           "Workspace", "WorkspaceError", "WorkspaceStep"]
