"""A process that imports the harness (torch included) once, then forks one child per `ida` command it is sent, so
the kill/resume tests pay the import once instead of once per process. It never runs a torch op itself, so its
children start with a fresh thread pool (forking after OpenMP work can hang the child).

Protocol: one JSON line per request on stdin, {"jobs": [{"argv": [...], "env": {...}, "out": path}, ...]}; the jobs
are forked at once, and one JSON line comes back with {"rcs": [...]}: each child's exit code, or -signal."""

from __future__ import annotations

import json
import os
import sys


def _child(job: dict) -> None:
    os.environ.update(job.get("env", {}))
    fd = os.open(job["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    import torch

    torch.set_num_threads(1)  # two children at once on two cores; and the same arithmetic in every child
    from ida.cli import app

    code = 0
    try:
        app(args=job["argv"], prog_name="ida")
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main() -> None:
    import ida.cli  # noqa: F401  the whole CLI, so children start warm
    import ida.cycle  # noqa: F401

    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        jobs = json.loads(line)["jobs"]
        pids = []
        for job in jobs:
            pid = os.fork()
            if pid == 0:
                _child(job)
            pids.append(pid)
        rcs = []
        for pid in pids:
            _, status = os.waitpid(pid, 0)
            rcs.append(os.waitstatus_to_exitcode(status))
        print(json.dumps({"rcs": rcs}), flush=True)


if __name__ == "__main__":
    main()
