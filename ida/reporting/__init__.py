"""Reports of a run, read from its store without the model stack (no torch): per-cycle capability, the safety
monitors and alerts, the self-contained HTML report, two runs compared, and the MLflow export."""

from ida.reporting.capability import build_report, capability_table, difficulties, plot_capability
from ida.reporting.compare import compare_table, load_side, plot_compare
from ida.reporting.html import write_html_report
from ida.reporting.safety import alert_lines, build_safety_report, monitor_table, plot_monitors

__all__ = ["alert_lines", "build_report", "build_safety_report", "capability_table", "compare_table",
           "difficulties", "load_side", "monitor_table", "plot_capability", "plot_compare", "plot_monitors",
           "write_html_report"]
