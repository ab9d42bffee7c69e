"""Every seed a run derives from `RunConfig.seed`, in one function, so that no two uses share a stream by accident
and a resumed phase draws the same numbers.

    seed_for(config.seed, "amplify", cycle)   # the amplify and review phases of `cycle`
"""

from __future__ import annotations

# purpose -> (multiplier, offset); the values are those the runs have always used (same numbers for the same seed)
_STREAMS = {
    "amplify": (7919, 0),       # amplify phase: sampling votes, the decomposer's context
    "review": (7919, 0),        # review phase: which items are sampled, simulated overseer errors
    "distill": (10007, 0),      # a cycle's student: init and batch order
    "baseline": (10007, 99991),  # the supervised baseline (not per cycle)
    "diversity": (31337, 0),    # diversity injection's pick of earlier examples
    "vote": (1009, 0),          # the i-th sampler of a vote (`index` instead of a cycle)
    "sample": (7919, 0),        # a vote sampler's n-th call (from the sampler's own seed)
    "on_policy": (1_000_003, 0),  # on-policy samples of a training step (index: step * 101 + process)
    "retention": (7, 1),        # the monitors' retention set (from task.seed: the same questions every cycle)
    "probe": (7, 2),            # the monitors' probe set (from task.seed)
}


def seed_for(seed: int, purpose: str, index: int = 0) -> int:
    """The seed of `purpose` (see `_STREAMS`) for cycle (or sampler) `index`."""
    multiplier, offset = _STREAMS[purpose]
    return seed * multiplier + offset + index
