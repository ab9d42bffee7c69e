"""The workspace tables of the store: questions an overseer decomposes as H (`workspaces`) and the subquestions
asked in them with the model's answers (`workspace_steps`). The rules (validation, who may write) live in
`ida.review.workspace`; here every write re-checks the lease inside its `BEGIN IMMEDIATE` transaction, so only the
lease holder ever changes a workspace, across processes.

A workspace's lease is its `holder` and `expires` columns: a lease past `expires` is free to claim, and its steps
stay with the workspace."""

from __future__ import annotations

import sqlite3
from typing import Any

from ida.store.rows import Workspace, WorkspaceStep
from ida.store.runs import RunTables


class WorkspaceError(RuntimeError):
    """A write to a workspace that the user does not hold (someone else's lease, an expired one, finished)."""


class WorkspaceTables(RunTables):
    """Workspaces and their steps (a part of `Store`)."""

    def workspace_enqueue(self, run_id: str, cycle: int, model_version: str,
                          questions: list[tuple[str, str, str, int]], now: float) -> int:
        """Queue (question_id, text, prompt, difficulty) as workspaces; already queued ones keep their state."""
        with self._transaction() as db:
            before = db.total_changes
            db.executemany("INSERT OR IGNORE INTO workspaces (run_id, cycle, question_id, text, prompt, difficulty,"
                           " model_version, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           [(run_id, cycle, q, t, p, d, model_version, now) for q, t, p, d in questions])
            added = db.total_changes - before
            if added:
                self.event(run_id, "system", "workspace_enqueue", {"cycle": cycle, "workspaces": added})
        return added

    def workspace_claim(self, user: str, now: float, seconds: float) -> Workspace | None:
        """The user's live workspace, else a lease on the next open one (newest cycle first, expired leases
        included: their steps are kept); None when there is none."""
        with self._transaction() as db:
            self._workspace_expire(now)
            held = self._held(user, now)
            if held is not None:
                return held
            row = db.execute("SELECT id, run_id FROM workspaces WHERE answer IS NULL AND holder IS NULL"
                             " ORDER BY cycle DESC, id LIMIT 1").fetchone()
            if row is None:
                return None
            db.execute("UPDATE workspaces SET holder = ?, claimed = ?, expires = ? WHERE id = ?",
                       (user, now, now + seconds, row["id"]))
            self.event(row["run_id"], user, "workspace_claim", {"workspace": row["id"], "expires": now + seconds})
            return self._held(user, now)

    def workspace_current(self, user: str, now: float) -> Workspace | None:
        return self._held(user, now)

    def workspace(self, workspace_id: int) -> Workspace | None:
        row = self._db.execute("SELECT * FROM workspaces WHERE id = ?", (workspace_id,)).fetchone()
        return None if row is None else self._workspace(row)

    def workspaces(self, run_id: str, cycle: int | None = None) -> list[Workspace]:
        sql, args = "SELECT * FROM workspaces WHERE run_id = ?", [run_id]
        if cycle is not None:
            sql, args = sql + " AND cycle = ?", args + [cycle]
        return [self._workspace(r) for r in self._db.execute(sql + " ORDER BY id", args).fetchall()]

    def workspace_progress(self, run_id: str, cycle: int) -> tuple[int, int]:
        """(finished, queued) workspaces of a cycle."""
        row = self._db.execute("SELECT count(answer), count(*) FROM workspaces WHERE run_id = ? AND cycle = ?",
                               (run_id, cycle)).fetchone()
        return int(row[0]), int(row[1])

    def workspace_check(self, workspace_id: int, user: str, now: float) -> Workspace:
        """The workspace if `user` holds its live lease; else `WorkspaceError` saying why."""
        ws = self.workspace(workspace_id)
        _require_holder(ws, workspace_id, user, now)
        return ws  # type: ignore[return-value]

    def workspace_add_step(self, workspace_id: int, user: str, step: WorkspaceStep, now: float) -> int:
        """Append a subquestion with its answer under the user's live lease; returns its position (1, 2, ...)."""
        with self._transaction() as db:
            ws = self.workspace(workspace_id)
            _require_holder(ws, workspace_id, user, now)
            position = len(ws.steps) + 1  # type: ignore[union-attr]
            if step.position != position:
                raise WorkspaceError(f"the workspace changed meanwhile: the next subquestion is #{position}")
            db.execute("INSERT INTO workspace_steps (workspace_id, position, text, asked, answer, answered_by, user,"
                       " ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (workspace_id, position, step.text, step.asked, step.answer, step.answered_by, user, now))
            self.event(ws.run_id, user, "workspace_ask", {  # type: ignore[union-attr]
                "workspace": workspace_id, "position": position, "text": step.text, "asked": step.asked,
                "answer": step.answer, "answered_by": step.answered_by})
        return position

    def workspace_finish(self, workspace_id: int, user: str, answer: str, now: float) -> None:
        with self._transaction() as db:
            ws = self.workspace(workspace_id)
            _require_holder(ws, workspace_id, user, now)
            db.execute("UPDATE workspaces SET answer = ?, finished_by = ?, finished = ?, holder = NULL,"
                       " expires = NULL WHERE id = ?", (answer, user, now, workspace_id))
            self.event(ws.run_id, user, "workspace_answer", {  # type: ignore[union-attr]
                "workspace": workspace_id, "answer": answer, "subquestions": len(ws.steps),  # type: ignore[union-attr]
                "seconds": round(now - (self._claimed(workspace_id) or now), 3)})

    def workspace_release(self, workspace_id: int, user: str, now: float) -> None:
        with self._transaction() as db:
            ws = self.workspace(workspace_id)
            _require_holder(ws, workspace_id, user, now)
            db.execute("UPDATE workspaces SET holder = NULL, expires = NULL WHERE id = ?", (workspace_id,))
            self.event(ws.run_id, user, "workspace_release", {"workspace": workspace_id})  # type: ignore[union-attr]

    def workspace_expire(self, now: float) -> int:
        with self._transaction():
            return self._workspace_expire(now)

    # inside a transaction
    def _workspace_expire(self, now: float) -> int:
        rows = self._db.execute("SELECT id, run_id, holder FROM workspaces WHERE holder IS NOT NULL AND"
                                " answer IS NULL AND expires <= ?", (now,)).fetchall()
        for r in rows:
            self._db.execute("UPDATE workspaces SET holder = NULL, expires = NULL WHERE id = ?", (r["id"],))
            self.event(r["run_id"], r["holder"], "workspace_expired", {"workspace": r["id"]})
        return len(rows)

    def _held(self, user: str, now: float) -> Workspace | None:
        row = self._db.execute("SELECT * FROM workspaces WHERE holder = ? AND expires > ? AND answer IS NULL"
                               " ORDER BY id LIMIT 1", (user, now)).fetchone()
        return None if row is None else self._workspace(row)

    def _claimed(self, workspace_id: int) -> float | None:
        row = self._db.execute("SELECT claimed FROM workspaces WHERE id = ?", (workspace_id,)).fetchone()
        return None if row is None else row["claimed"]

    def _workspace(self, r: sqlite3.Row) -> Workspace:
        steps = self._db.execute("SELECT * FROM workspace_steps WHERE workspace_id = ? ORDER BY position",
                                 (r["id"],)).fetchall()
        return Workspace(r["id"], r["run_id"], r["cycle"], r["question_id"], r["text"], r["prompt"], r["difficulty"],
                         r["model_version"], r["holder"], r["expires"], r["answer"], r["finished_by"],
                         tuple(WorkspaceStep(s["position"], s["text"], s["asked"], s["answer"], s["answered_by"],
                                             s["user"]) for s in steps))


def _require_holder(ws: Workspace | None, workspace_id: int, user: str, now: float) -> Any:
    if ws is None:
        raise WorkspaceError(f"there is no workspace {workspace_id}")
    if ws.finished:
        raise WorkspaceError(f"this workspace was finished by {ws.finished_by}: nothing was changed")
    if ws.holder is not None and ws.holder != user and (ws.expires or 0) > now:
        raise WorkspaceError(f"{ws.holder} holds this workspace now: only the lease holder writes to it; "
                             "nothing was changed")
    if not ws.held_by(user, now):
        raise WorkspaceError("your lease on this workspace ran out: claim it again (your subquestions are kept); "
                             "nothing was changed")
