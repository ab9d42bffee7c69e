"""Decomposition: subquestion graphs and the executor that answers them in batched waves.

This package never imports `ida`: it depends only on the small `Answerer` protocol in `answerer.py`.
"""

from decomposition.answerer import Answer, Answerer
from decomposition.executor import (
    Budget,
    Execution,
    Executor,
    ExecutorStats,
    Program,
    SubquestionLike,
    WaveStats,
    run_sequential,
)
from decomposition.graph import BudgetExceeded, GraphError, SubquestionGraph
from decomposition.recursive import recursive_program

__all__ = [
    "Answer",
    "Answerer",
    "Budget",
    "BudgetExceeded",
    "Execution",
    "Executor",
    "ExecutorStats",
    "GraphError",
    "Program",
    "SubquestionGraph",
    "SubquestionLike",
    "WaveStats",
    "recursive_program",
    "run_sequential",
]
