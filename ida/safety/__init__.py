"""Safety monitoring of capability per cycle: `Monitor`s, `Tripwire`s that hold promotion, sign-off and the config
lock (diversity injection, a change to the distillation set, is `ida.distill.diversity`). The app's alerts page
uses `list_alerts` and `sign_off`."""

from ida.safety.alerts import NothingToSignOff, list_alerts, open_alerts, sign_off, signoffs
from ida.safety.gate import promotion_held, wait_for_signoff
from ida.safety.lock import apply_resume_overrides, check_safety_unchanged
from ida.safety.monitors import MONITORS, Monitor, compute_monitors
from ida.safety.phase import monitor_phase
from ida.safety.tripwires import TRIPWIRES, Alert, Tripwire, check_tripwires

__all__ = ["MONITORS", "TRIPWIRES", "Alert", "Monitor", "NothingToSignOff", "Tripwire", "apply_resume_overrides",
           "check_safety_unchanged", "check_tripwires", "compute_monitors", "list_alerts",
           "monitor_phase", "open_alerts", "promotion_held", "sign_off", "signoffs", "wait_for_signoff"]
