"""The accounts tables of the store (the oversight app's users, their failed logins and their server-side
sessions); the rules live in `ida.accounts`."""

from __future__ import annotations

import time
from typing import Any

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

    def set_account_password(self, name: str, password_hash: str, now: float) -> int:
        """Store a new password hash and revoke the account's open sessions, together; returns how many."""
        with self._transaction() as db:
            db.execute("UPDATE users SET password = ? WHERE name = ?", (password_hash, name))
            return db.execute("UPDATE sessions SET revoked = ? WHERE account = ? AND revoked IS NULL",
                              (now, name)).rowcount

    # server-side sessions (the rules live in `ida.accounts.sessions`)
    def session_add(self, session_hash: str, user: str, now: float, expires: float, client: str,
                    method: str) -> None:
        with self._transaction() as db:
            db.execute("INSERT INTO sessions (id, account, created, expires, client, method) VALUES (?, ?, ?, ?, ?, ?)",
                       (session_hash, user, now, expires, client, method))

    def session_get(self, session_hash: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT * FROM sessions WHERE id = ?", (session_hash,)).fetchone()
        return None if row is None else dict(row)

    def session_revoke(self, session_hash: str, now: float) -> bool:
        with self._transaction() as db:
            return db.execute("UPDATE sessions SET revoked = ? WHERE id = ? AND revoked IS NULL",
                              (now, session_hash)).rowcount > 0

    def accounts(self) -> list[Account]:
        rows = self._db.execute("SELECT * FROM users ORDER BY name")
        return [Account(r["name"], r["role"], r["email"], r["password"]) for r in rows]

    # failed logins (rate limit and lockout; the rules live in `ida.accounts.users`)
    def login_failure_add(self, account: str, client: str, now: float) -> None:
        with self._transaction() as db:
            db.execute("INSERT INTO login_failures (account, client, ts) VALUES (?, ?, ?)", (account, client, now))

    def login_failures(self, account: str, client: str, since: float) -> tuple[int, int, float | None]:
        """(failures of `account`, failures from `client`, the latest of them) since `since`."""
        row = self._db.execute(
            "SELECT count(CASE WHEN account = ? THEN 1 END), count(CASE WHEN client = ? THEN 1 END),"
            " max(CASE WHEN account = ? OR client = ? THEN ts END) FROM login_failures WHERE ts >= ?",
            (account, client, account, client, since)).fetchone()
        return int(row[0]), int(row[1]), row[2]

    def login_failures_clear(self, account: str) -> None:
        """A successful login forgets the account's failures (its client's stay: they may be guessing others)."""
        with self._transaction() as db:
            db.execute("DELETE FROM login_failures WHERE account = ?", (account,))
