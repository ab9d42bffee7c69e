"""Server-side sessions of the oversight app: a login opens a session record in the accounts store; the browser
holds only its random id (Streamlit's session state, and a cookie for reloads: never in an address), and the
store keeps only the id's sha256, so a copy of the store cannot log anyone in. A session ends when it expires, at
logout, or when the account's password changes; every re-entry with a kept id is logged.

    sessions = Sessions(store)
    sid = sessions.open(user, client="10.0.0.7", method="password")
    sessions.check(sid)        # the User while the session is live, else None
    sessions.revoke(sid)       # logout
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable

from ida.accounts.users import User, _user
from ida.store import Store

SESSION_HOURS = 12.0


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class Sessions:
    """The sessions table of an accounts `Store`."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.time, hours: float = SESSION_HOURS):
        self.store, self.clock, self.hours = store, clock, hours

    def open(self, user: User, client: str, method: str) -> str:
        """A new session for `user`; returns its id (give it only to that browser)."""
        session_id, now = secrets.token_urlsafe(32), self.clock()
        self.store.session_add(_hash(session_id), user.name, now, now + self.hours * 3600, client[:128], method)
        return session_id

    def check(self, session_id: str | None) -> User | None:
        """The session's user while it is live (not revoked, not expired, the account still there), else None."""
        if not session_id or len(session_id) > 128:
            return None
        row = self.store.session_get(_hash(session_id))
        if row is None or row["revoked"] is not None or row["expires"] <= self.clock():
            return None
        return _user(self.store.account(name=row["account"]))

    def revoke(self, session_id: str | None) -> bool:
        """End a session (logout); False when it was not live."""
        return bool(session_id) and self.store.session_revoke(_hash(session_id), self.clock())
