"""Named kill points for the reliability tests: with `IDA_KILL_AT=<name>` in the environment the process SIGKILLs
itself when it reaches that point (a phase boundary, inside a phase's final transaction, mid file swap). Without
the variable a kill point does nothing. Names: `before:<cycle>:<phase>`, `commit:<cycle>:<phase>`,
`startup:store`, `startup:built`, `checkpoint:<folder>:swap`, `atomic:<file name>`, `before:finish`."""

from __future__ import annotations

import os
import signal


def kill_point(name: str) -> None:
    if os.environ.get("IDA_KILL_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
