"""Reports: matplotlib figure helpers, static HTML pages for run directories, and the inline-TeX
renderer their text goes through."""

from powertail.report.figures import axes_or_new, new_figure
from powertail.report.html import write_combined_report, write_run_report
from powertail.report.latex import tex_to_html, tex_to_text

__all__ = [
    "axes_or_new",
    "new_figure",
    "tex_to_html",
    "tex_to_text",
    "write_combined_report",
    "write_run_report",
]
