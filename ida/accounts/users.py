"""Accounts of the oversight app: a name, a role (overseer or admin), an optional e-mail (for OIDC logins) and a
salted scrypt hash of the password (never the password itself).

Accounts live in a `Store` file beside the runs (`<runs root>/users.sqlite` by default), so one account serves
every run under that root. Logins and failed logins go to the event log of the store the caller audits into.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ida.store import Account, AccountTaken, Store

Role = Literal["overseer", "admin"]
ROLES: tuple[str, ...] = ("overseer", "admin")
MIN_PASSWORD = 8
# scrypt at n=2^14, r=8 costs ~16 MiB and ~0.1 s per guess: slow for an attacker, fine for a login.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
_NAME = re.compile(r"^[A-Za-z0-9_.@+-]{1,64}$")
# Failed logins within the window lock the account (5), and the client (20: people behind one address mistype
# too; a guesser trying many names does not get far), for the window.
MAX_FAILURES, MAX_CLIENT_FAILURES, LOCK_SECONDS = 5, 20, 15 * 60

class UserError(ValueError):
    """A bad account request: unknown role, bad name, short password, or a name/e-mail already taken."""


class LoginLocked(UserError):
    """Too many failed logins for this account or from this client lately; the message says for how long."""


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    email: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def hash_password(password: str, salt: bytes | None = None) -> str:
    """`scrypt$n$r$p$salt$hash` (hex) with a fresh 16-byte salt per call."""
    salt = secrets.token_bytes(16) if salt is None else salt
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, encoded: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    return hmac.compare_digest(got.hex(), digest)


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the name is unknown, so a wrong name costs as long as a wrong password. Made on the
    first login rather than at import: scrypt costs ~0.1 s and 16 MiB, which every `ida` command would pay."""
    return hash_password(secrets.token_hex(8))


def default_users_db(runs_root: Path) -> Path:
    return Path(runs_root) / "users.sqlite"


class Users:
    """The accounts table of a `Store`."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.time):
        self.store, self.clock = store, clock

    def add(self, name: str, role: str, password: str | None, email: str | None = None) -> User:
        """A new account; `password=None` makes an OIDC-only account (needs an e-mail)."""
        if not _NAME.match(name):
            raise UserError(f"user name {name!r}: use 1-64 letters, digits or _.@+-")
        if role not in ROLES:
            raise UserError(f"role {role!r}: must be one of {', '.join(ROLES)}")
        if password is None and not email:
            raise UserError("an account without a password needs an e-mail (OIDC login)")
        if password is not None and len(password) < MIN_PASSWORD:
            raise UserError(f"the password must have at least {MIN_PASSWORD} characters")
        encoded = None if password is None else hash_password(password)
        try:
            self.store.add_account(name, role, email, encoded)
        except AccountTaken as err:
            raise UserError(str(err)) from None
        return User(name, role, email)  # type: ignore[arg-type]

    def get(self, name: str) -> User | None:
        return _user(self.store.account(name=name))

    def by_email(self, email: str) -> User | None:
        return _user(self.store.account(email=email))

    def list(self) -> list[User]:
        return [User(a.name, a.role, a.email) for a in self.store.accounts()]  # type: ignore[arg-type]

    def authenticate(self, name: str, password: str, audit: Store, run_id: str | None,
                     client: str = "unknown") -> User | None:
        """The user if the password matches; logs `login` or `login_failed` to `audit`'s event log. After
        `MAX_FAILURES` failures within `LOCK_SECONDS` for this account, or `MAX_CLIENT_FAILURES` from this
        `client` (an address), raises `LoginLocked` (logged as `login_locked`) without checking the password."""
        now, name, client = self.clock(), name[:64], client[:128]
        by_account, by_client, last = self.store.login_failures(name, client, now - LOCK_SECONDS)
        if by_account >= MAX_FAILURES or by_client >= MAX_CLIENT_FAILURES:
            minutes = max(1, round(((last or now) + LOCK_SECONDS - now) / 60))
            audit.event(run_id, name, "login_locked", {"client": client, "account_failures": by_account,
                                                       "client_failures": by_client})
            raise LoginLocked(f"Too many failed logins: try again in {minutes} minutes.")
        row = self.store.account(name=name)
        encoded = row.password if row is not None and row.password else _dummy_hash()
        ok = verify_password(password, encoded) and row is not None and row.password is not None
        if not ok:
            reason = "unknown user" if row is None else "wrong password"
            self.store.login_failure_add(name, client, now)
            audit.event(run_id, name, "login_failed", {"reason": reason, "method": "password", "client": client})
            return None
        self.store.login_failures_clear(name)
        audit.event(run_id, name, "login", {"method": "password", "role": row.role})
        return _user(row)

    def set_password(self, name: str, password: str, audit: Store, run_id: str | None, by: str) -> None:
        """A new password for `name`; every open session of the account is revoked (logged)."""
        if self.store.account(name=name) is None:
            raise UserError(f"there is no user {name!r}")
        if len(password) < MIN_PASSWORD:
            raise UserError(f"the password must have at least {MIN_PASSWORD} characters")
        revoked = self.store.set_account_password(name, hash_password(password), self.clock())
        audit.event(run_id, by, "password_changed", {"user": name, "sessions_revoked": revoked})

    def login_oidc(self, email: str, audit: Store, run_id: str | None) -> User | None:
        """The account an OIDC e-mail maps to (its role from this table); logs the attempt to `audit`."""
        user = self.by_email(email)
        if user is None:
            audit.event(run_id, email[:128], "login_failed", {"reason": "no account for e-mail", "method": "oidc"})
            return None
        audit.event(run_id, user.name, "login", {"method": "oidc", "role": user.role, "email": email})
        return user


def _user(account: Account | None) -> User | None:
    return None if account is None else User(account.name, account.role, account.email)  # type: ignore[arg-type]
