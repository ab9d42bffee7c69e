"""The oversight app (Streamlit): overseers review queued items of a run in the browser; admins watch capability
per cycle, reviewer statistics and the audit log. Start it with `ida review RUN_DIR`; the entry point is
`oversight_ui/app.py`, one page per concern in `oversight_ui/views/`."""
