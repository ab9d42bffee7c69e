"""Import the cycles page's chart stack (pandas, altair) and the report code in a background thread, once per app
process, while the first visitor is still logging in: the cycles page's first render then pays only for reading
the run, not for the imports (about 1 s of a 1.5 s first render on 2 idle cores, several seconds under load).
The imports are the ones Python would do anyway; a failure here is left for the page itself to show."""

from __future__ import annotations

import importlib
import threading

MODULES = ("pandas", "altair", "ida.reporting.capability")
_started = threading.Event()


def _import_all() -> None:
    for name in MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the page that needs it raises it where a person sees it
            return


def start() -> None:
    """Start the background imports unless this process already has (each rerun of app.py calls this)."""
    if not _started.is_set():
        _started.set()
        threading.Thread(target=_import_all, name="ida-warm-imports", daemon=True).start()
