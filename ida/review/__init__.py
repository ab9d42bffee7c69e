"""Review: who checks amplified examples before they become training targets — the policies (none, simulated,
human), the SQLite review queue with its leases and verdicts, node items (subanswers per memo key) and how their
verdicts propagate, sampling rules, what a reviewer sees of an item, disputes,
reviewer statistics (accounts: `ida.accounts`)."""

from ida.review.nodes import (
           NodeItem,
           NodeUse,
           example_confidence,
           memo_key,
           node_confidence,
           node_items,
)
from ida.review.policies import Review, review_examples
from ida.review.queue import WHOLE_EXAMPLE, Lease, LeaseError, ReviewQueue
from ida.review.view import ItemView, item_view, lease_node_item, lease_view

__all__ = ["WHOLE_EXAMPLE", "ItemView", "Lease", "LeaseError", "NodeItem", "NodeUse", "Review",
           "ReviewQueue", "example_confidence", "item_view",
           "lease_node_item", "lease_view", "memo_key", "node_confidence", "node_items", "review_examples"]
