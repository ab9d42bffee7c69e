"""Amplification: Amp(H, M_n) over a batch of questions — the `Amplifier` (answerer, decomposer, depth, each
chosen once through its registry), the `AmplifiedExample` rows it produces, and what the phase records."""

from ida.amplify.amplifier import Amplifier, ConfidentAnswerer
from ida.amplify.curriculum import CURRICULA, Curriculum, Window, check_curriculum, estimate_frontier, make_curriculum
from ida.amplify.decomposers import (DECOMPOSERS, AmplifyContext, Decomposer, DecomposerProvider,
                                     decomposer_provider, llm_text, register_decomposer)
from ida.amplify.examples import AmplifiedExample, amplify, is_usable, make_executor
from ida.amplify.filters import TargetFilter, TruncationGuard, apply_filters, target_filters
from ida.amplify.record import phase_record
from ida.amplify.vote import SamplingAnswerer, amplify_with_vote, majority

__all__ = ["DECOMPOSERS", "AmplifiedExample", "AmplifyContext", "Amplifier", "ConfidentAnswerer", "Decomposer",
           "DecomposerProvider", "amplify", "decomposer_provider", "is_usable", "llm_text", "make_executor",
           "phase_record", "register_decomposer", "SamplingAnswerer", "amplify_with_vote", "majority",
           "CURRICULA", "Curriculum", "Window", "check_curriculum", "estimate_frontier", "make_curriculum",
           "TargetFilter", "TruncationGuard", "apply_filters", "target_filters"]
