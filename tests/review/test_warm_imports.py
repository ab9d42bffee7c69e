"""The app warms the cycles page's imports in one background thread per process, whatever the number of reruns."""

import subprocess
import sys

SCRIPT = """
import sys, threading, time
from oversight_ui import warm
assert not set(warm.MODULES) & set(sys.modules), "imported before start()"
for _ in range(5):  # app.py calls start() on every rerun
    warm.start()
threads = [t for t in threading.enumerate() if t.name == "ida-warm-imports"]
assert len(threads) == 1, threads
threads[0].join(60)
missing = [m for m in warm.MODULES if m not in sys.modules]
assert not missing, missing
assert "torch" not in sys.modules  # the report code imports no model stack
"""


def test_one_thread_imports_the_chart_stack_and_no_torch():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
