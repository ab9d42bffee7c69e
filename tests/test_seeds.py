"""Every derived seed keeps the value the runs have always used (same seed, same numbers), and no two streams of
one cycle collide by accident."""

from ida.seeds import _STREAMS, seed_for


def test_the_derived_seeds_are_the_historical_ones():
    for seed in (0, 1, 12345):
        assert seed_for(seed, "amplify", 3) == seed_for(seed, "review", 3) == seed * 7919 + 3
        assert seed_for(seed, "distill", 2) == seed * 10007 + 2
        assert seed_for(seed, "baseline") == seed * 10007 + 99991
        assert seed_for(seed, "diversity", 2) == seed * 31337 + 2
        assert seed_for(seed, "vote", 4) == seed * 1009 + 4
        assert seed_for(seed, "on_policy", 7 * 101 + 1) == seed * 1_000_003 + 7 * 101 + 1
        assert (seed_for(seed, "retention"), seed_for(seed, "probe")) == (seed * 7 + 1, seed * 7 + 2)


def test_distinct_purposes_give_distinct_seeds_within_a_cycle():
    shared = {"amplify", "review"}  # one stream, as the runs have always drawn them (same numbers)
    for cycle in range(1, 6):
        values = {p: seed_for(42, p, cycle) for p in _STREAMS if p not in shared | {"sample"}}
        assert len(set(values.values())) == len(values), values
