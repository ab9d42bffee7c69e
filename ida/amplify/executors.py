"""Where an amplifier's graphs run (`amplify.executor`), chosen once through `EXECUTORS`:

- `local`: this process, every graph at once in batched waves (the default);
- `ray`: the questions sharded round-robin over `amplify.ray.num_workers` Ray actors, each holding a copy of the
  current student (shipped through Ray's object store, so workers on other hosts need no shared disk) and the
  task, each amplifying its shard with the same answerer, decomposer and depth; the examples come back to this
  process in question order, and only this process writes the store (the phase's one transaction). A worker
  that dies mid-phase is restarted and its shard retried (`max_restarts`, `max_task_retries`). Without
  `amplify.ray.address` a local runtime on 127.0.0.1 is started for the call and stopped after it.

Greedy answers do not depend on which other prompts share a batch, so `ray` gives the answers `local` gives (the
log-probs to float32 rounding); a node's `answered_by` says `memo:` only for its worker's own memo hits.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from decomposition import WaveStats
from ida.config import RunConfig
from ida.tasks import Question

if TYPE_CHECKING:
    from ida.amplify.amplifier import Amplifier
    from ida.amplify.examples import AmplifiedExample

OnWave = Callable[[WaveStats], None] | None


class AmplifyExecutor(Protocol):
    def check(self, config: RunConfig) -> None:
        """ValueError naming the field when this executor cannot run the config (before any work)."""

    def amplify(self, amp: Amplifier, questions: list[Question], on_wave: OnWave) -> list[AmplifiedExample]:
        """Amp(H, M_n) on `questions` with `amp`'s answerer, decomposer and depth, in question order."""


class LocalExecutor:
    def check(self, config: RunConfig) -> None:
        """The local executor runs every config."""

    def amplify(self, amp: Amplifier, questions: list[Question], on_wave: OnWave) -> list[AmplifiedExample]:
        from ida.amplify.examples import amplify

        return amplify(amp.task, questions, amp.answerer, amp.cfg, overseer=amp.overseer, on_wave=on_wave,
                       programs=amp.programs(questions))


class RayExecutor:
    def check(self, config: RunConfig) -> None:
        _ray()
        address = config.amplify.ray.address
        if address not in (None, "auto"):
            host, _, port = address.removeprefix("ray://").rpartition(":")
            try:
                socket.create_connection((host or "127.0.0.1", int(port)), timeout=5).close()
            except (OSError, ValueError):
                raise ValueError(f"amplify.ray.address: nothing answers at {address}; start the cluster "
                                 "(ray start --head) or leave the address unset for a local runtime") from None

    def amplify(self, amp: Amplifier, questions: list[Question], on_wave: OnWave) -> list[AmplifiedExample]:
        from ida.amplify.amplifier import ConfidentAnswerer

        ray = _ray()
        cfg = amp.cfg.ray
        started = not ray.is_initialized()
        if started:
            ray.init(address=cfg.address, include_dashboard=False, log_to_driver=False, configure_logging=False,
                     **({} if cfg.address else {"num_cpus": max(2, int(cfg.num_workers * cfg.resources.get(
                         "CPU", 1))), "_node_ip_address": "127.0.0.1"}))
        try:
            unsure = isinstance(amp.answerer, ConfidentAnswerer)
            student = amp.answerer.inner if unsure else amp.answerer
            worker = ray.remote(_Worker).options(
                max_restarts=cfg.max_restarts, max_task_retries=cfg.max_restarts,
                num_cpus=cfg.resources.get("CPU", 1), num_gpus=cfg.resources.get("GPU", 0),
                resources={k: v for k, v in cfg.resources.items() if k not in ("CPU", "GPU")} or None)
            shared = ray.put((amp.cfg, amp.task, student, unsure))
            n = min(cfg.num_workers, max(1, len(questions)))
            actors = [worker.remote(shared) for _ in range(n)]
            shards = [list(range(i, len(questions), n)) for i in range(n)]
            pending = {a.amplify.remote([questions[j] for j in shard]): shard for a, shard in zip(actors, shards)}
            out: list[Any] = [None] * len(questions)
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                examples, filtered = ray.get(done[0])
                for j, example in zip(pending.pop(done[0]), examples):
                    out[j] = example
                if unsure:
                    amp.answerer.filtered += filtered
                if on_wave is not None:  # a worker's shard is a wave of the whole phase, as the progress bar sees it
                    on_wave(WaveStats(n - len(pending), len(pending), 0, 0, 0))
            for actor in actors:
                ray.kill(actor)
            return out
        finally:
            if started:
                ray.shutdown()


class _Worker:
    """A Ray actor: its own amplifier over a copy of the student and the task."""

    def __init__(self, shared: Any) -> None:
        from ida.amplify.amplifier import Amplifier

        cfg, task, student, unsure = shared
        self.amp = Amplifier(cfg.model_copy(update={"executor": "local"}), task, student, filter_unsure=unsure)

    def amplify(self, questions: list[Question]) -> tuple[list[AmplifiedExample], int]:
        _kill_once()
        examples = self.amp.amplify(questions)
        return examples, getattr(self.amp.answerer, "filtered", 0)


def _kill_once() -> None:
    """A kill point (ida/faults.py) for the first worker only: with `IDA_KILL_AT=ray:worker:<file>` the first
    worker to find `<file>` missing creates it and SIGKILLs itself mid-phase, so Ray's restart-and-retry runs."""
    import os
    import signal

    point = os.environ.get("IDA_KILL_AT", "")
    if point.startswith("ray:worker:"):
        marker = point.removeprefix("ray:worker:")
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return
        os.kill(os.getpid(), signal.SIGKILL)


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ValueError("amplify.executor: ray is not installed; pip install 'ida-harness[ray]' "
                         "(or set amplify.executor=local)") from None
    return ray


EXECUTORS: dict[str, AmplifyExecutor] = {"local": LocalExecutor(), "ray": RayExecutor()}


def executor(name: str) -> AmplifyExecutor:
    return EXECUTORS[name]
