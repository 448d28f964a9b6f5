"""Reports: matplotlib figure helpers and static HTML pages for run directories."""

from powertail.report.figures import axes_or_new, new_figure
from powertail.report.html import write_combined_report, write_run_report

__all__ = ["axes_or_new", "new_figure", "write_combined_report", "write_run_report"]
