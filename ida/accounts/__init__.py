"""Accounts of the oversight app: users (roles, salted scrypt password hashes, login lockout) and their
server-side sessions. Both live in an accounts `Store` (`<runs root>/users.sqlite` by default)."""

from ida.accounts.sessions import SESSION_HOURS, Sessions
from ida.accounts.users import ROLES, LoginLocked, User, UserError, Users, default_users_db, hash_password

__all__ = ["ROLES", "SESSION_HOURS", "LoginLocked", "Sessions", "User", "UserError", "Users", "default_users_db",
           "hash_password"]
