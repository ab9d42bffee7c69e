"""Throughput of LLM amplification: the batched, memoizing `Executor` vs a sequential node-by-node loop.

Both run `PlanDecomposer` programs with an `OpenAIAnswerer` against the local fake OpenAI server
(tests/llm/fake_openai.py), which answers every request after a fixed artificial latency (default 50 ms), so the
numbers measure scheduling, not a model. Each question "What is v<a> combined with v<b>?" is planned as
[value of v<a>, value of v<b>, #1 combined with #2]; a and b come from a small pool, so plans share subquestions
and the executor's memo has something to find. The sequential baseline (`run_sequential`: one prompt per call,
no memo) runs on the first --sequential-questions questions only, to keep the script under a minute; rates are
per second, so the two are comparable.

    python benchmarks/llm_amplify_throughput.py [--questions 64] [--concurrency 8] [--latency 0.05]

Goal: subquestions/s speed-up / C >= 0.8 (the memo can push it above 1; the requests/s row shows the speed-up
from concurrency alone).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "llm")]  # the repo's packages and the fake server

from fake_openai import Call, FakeOpenAI, Reply  # noqa: E402

from decomposition.planning import PlanDecomposer  # noqa: E402
from decomposition.executor import Executor, run_sequential  # noqa: E402
from decomposition.prompts import PLAN_MARKER, RECOMPOSE_MARKER  # noqa: E402
from ida.models.openai_api import OpenAIAnswerer  # noqa: E402

_QUESTION = re.compile(r"Question: (.*?)\n")
_PAIR = re.compile(r"v(\d+) combined with v(\d+)")


def questions(count: int, pool: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"What is v{rng.randrange(pool)} combined with v{rng.randrange(pool)}? (#{i})" for i in range(count)]


def respond(call: Call) -> Reply:
    """The scripted model: a plan for each question, a value per variable, a combination, a recomposition."""
    prompt = call.prompt
    question = _QUESTION.search(prompt + "\n").group(1)
    if PLAN_MARKER in prompt:
        a, b = _PAIR.search(question).groups()
        return Reply(text=json.dumps({"subquestions": [
            {"id": 1, "text": f"What is the value of v{a}?", "depends_on": []},
            {"id": 2, "text": f"What is the value of v{b}?", "depends_on": []},
            {"id": 3, "text": "What is #1 combined with #2?", "depends_on": [1, 2]}]}))
    if RECOMPOSE_MARKER in prompt:
        return Reply(text=re.findall(r"   Answer: (.*)", prompt)[-1])
    if match := re.search(r"value of v(\d+)", question):
        return Reply(text=str(int(match.group(1)) % 7))
    if match := re.search(r"What is (\d+) combined with (\d+)", question):
        return Reply(text=str((int(match.group(1)) + int(match.group(2))) % 7))
    return Reply(status=400, error=f"unexpected prompt: {question}")


def timed_executor(answerer: OpenAIAnswerer, qs: list[str]) -> tuple[float, Executor, list]:
    decomposer, executor = PlanDecomposer(max_subquestions=4), Executor(answerer)
    start = time.perf_counter()
    executions = executor.run(qs, [decomposer.program(q) for q in qs])
    return time.perf_counter() - start, executor, executions


def timed_sequential(answerer: OpenAIAnswerer, qs: list[str]) -> tuple[float, list]:
    decomposer = PlanDecomposer(max_subquestions=4)
    start = time.perf_counter()
    executions = run_sequential(answerer, qs, [decomposer.program(q) for q in qs])
    return time.perf_counter() - start, executions


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=64, help="questions the executor runs")
    parser.add_argument("--sequential-questions", type=int, default=16, help="questions the baseline runs")
    parser.add_argument("--concurrency", "-C", type=int, default=8, help="the answerer's max_concurrency")
    parser.add_argument("--latency", type=float, default=0.05, help="server latency per request, seconds")
    parser.add_argument("--pool", type=int, default=24, help="distinct variables (smaller: more sharing)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    qs = questions(args.questions, args.pool, args.seed)
    with FakeOpenAI(respond, latency=args.latency) as server:
        settings = {"base_url": server.url, "api_key": "bench", "model": "fake", "max_retries": 0}
        with OpenAIAnswerer(max_concurrency=1, **settings) as seq_answerer, \
                OpenAIAnswerer(max_concurrency=args.concurrency, **settings) as answerer:
            for warm in (seq_answerer, answerer):  # start loop threads and connections outside the timing
                warm.answer(["Question: What is the value of v0?\n"])
            server.reset_counts()
            seq_s, seq_runs = timed_sequential(seq_answerer, qs[: args.sequential_questions])
            seq_requests = len(server.calls)
            server.reset_counts()
            exe_s, executor, exe_runs = timed_executor(answerer, qs)
            exe_requests, peak = len(server.calls), server.max_in_flight

    check(seq_runs, exe_runs)
    seq_nodes = sum(len(run.graph) - 1 for run in seq_runs)
    exe_nodes = executor.stats.subquestions
    report(args.concurrency, (seq_nodes, seq_requests, seq_s), (exe_nodes, exe_requests, exe_s),
           executor.stats.memo_hits / max(1, exe_nodes), peak)


def check(seq_runs: list, exe_runs: list) -> None:
    """Both ways must give the same answers (and no failures), or the rates mean nothing."""
    failed = [r.error for r in seq_runs + exe_runs if not r.ok]
    if failed:
        raise SystemExit(f"{len(failed)} executions failed, e.g. {failed[0]}")
    if [r.answer for r in seq_runs] != [r.answer for r in exe_runs[: len(seq_runs)]]:
        raise SystemExit("the executor and the sequential loop gave different answers")


def report(c: int, seq: tuple[int, int, float], exe: tuple[int, int, float], memo_rate: float, peak: int) -> None:
    print(f"{'':24}{'subquestions':>13}{'requests':>10}{'seconds':>9}{'subq/s':>9}{'req/s':>9}")
    for name, (nodes, requests, seconds) in (("sequential loop", seq), (f"executor (C={c}, memo)", exe)):
        print(f"{name:24}{nodes:13d}{requests:10d}{seconds:9.2f}{nodes / seconds:9.1f}{requests / seconds:9.1f}")
    node_speedup = (exe[0] / exe[2]) / (seq[0] / seq[2])
    request_speedup = (exe[1] / exe[2]) / (seq[1] / seq[2])
    print(f"speed-up, subquestions/s: {node_speedup:6.2f}   / C = {node_speedup / c:.2f}   (goal >= 0.8)")
    print(f"speed-up, requests/s:     {request_speedup:6.2f}   / C = {request_speedup / c:.2f}   (concurrency alone)")
    print(f"memo hit rate: {memo_rate:.1%}   peak requests in flight at the server: {peak}")


if __name__ == "__main__":
    main()
