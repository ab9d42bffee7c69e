"""The accounts table of the store (the oversight app's users); the rules live in `ida.review.users`."""

from __future__ import annotations

import time

from ida.store.rows import Account
from ida.store.runs import RunTables


class AccountTaken(ValueError):
    """An account with that name or e-mail exists."""


class AccountTables(RunTables):
    """The users table (a part of `Store`)."""

    def add_account(self, name: str, role: str, email: str | None, password_hash: str | None) -> None:
        with self._transaction() as db:
            taken = db.execute("SELECT name FROM users WHERE name = ? OR (email IS NOT NULL AND email = ?)",
                               (name, email)).fetchone()
            if taken:
                raise AccountTaken(f"user {name!r} or e-mail {email!r} already exists")
            db.execute("INSERT INTO users VALUES (?, ?, ?, ?, ?)", (name, role, email, password_hash, time.time()))
            self.event(None, "cli", "user_added", {"user": name, "role": role, "email": email})

    def account(self, name: str | None = None, email: str | None = None) -> Account | None:
        """The account by name, or by e-mail (case-insensitive)."""
        if email is not None:
            row = self._db.execute("SELECT * FROM users WHERE lower(email) = lower(?)", (email,)).fetchone()
        else:
            row = self._db.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
        return None if row is None else Account(row["name"], row["role"], row["email"], row["password"])

    def accounts(self) -> list[Account]:
        rows = self._db.execute("SELECT * FROM users ORDER BY name")
        return [Account(r["name"], r["role"], r["email"], r["password"]) for r in rows]
