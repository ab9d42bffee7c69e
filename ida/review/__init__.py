"""Review: who checks amplified examples before they become training targets — the policies (none, simulated,
human), the SQLite review queue with its leases and verdicts, overseers' accounts, and reviewer statistics."""

from ida.review.policies import Review, review_examples
from ida.review.queue import WHOLE_EXAMPLE, Lease, LeaseError, ReviewQueue
from ida.review.users import ROLES, User, UserError, Users, default_users_db

__all__ = ["ROLES", "WHOLE_EXAMPLE", "Lease", "LeaseError", "Review", "ReviewQueue", "User", "UserError", "Users",
           "default_users_db", "review_examples"]
