"""Static HTML pages: an ``index.html`` per run directory and a combined report for ``reproduce``.

The pages are built only from what is on disk (``manifest.json``, ``tables/*.csv``,
``figures/*.png|svg``), so a report can be rebuilt from a run directory at any time and never
holds a number that is not in a file next to it. Text that may carry TeX (descriptions, titles,
artifact names, table headers and text cells) goes through :mod:`powertail.report.latex`;
everything else is escaped verbatim.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from powertail.errors import InputError
from powertail.report.latex import tex_to_html, tex_to_text
from powertail.runs.atomic import atomic_write_text

INDEX_NAME = "index.html"
MAX_TABLE_ROWS = 60
"""Rows of a table shown inline; the full table is always one click away (CSV/Parquet)."""

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #222; }
h1 { font-size: 1.6rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: right; }
th { background: #f3f3f3; } td.text { text-align: left; }
figure { display: inline-block; margin: 0.5rem; vertical-align: top; }
figure img { max-width: 34rem; border: 1px solid #eee; }
.complete, .resumed { color: #1a7f37; } .failed { color: #cf222e; } .missing { color: #9a6700; }
.meta { color: #555; font-size: 0.9rem; }
.about { white-space: pre-wrap; max-width: 60rem; line-height: 1.4; }
"""


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(tex_to_text(title))}</title><style>{_STYLE}</style></head>"
        f"<body>\n<h1>{tex_to_html(title)}</h1>\n{body}\n</body></html>\n"
    )


def _read_manifest(run_dir: Path) -> dict[str, Any]:
    path = run_dir / "manifest.json"
    if not path.is_file():
        raise InputError(
            f"run directory {str(run_dir)!r} has no manifest.json; pass a directory written by "
            "a powertail command"
        )
    return json.loads(path.read_text(encoding="utf-8"))


def _table_html(csv_path: Path, *, max_rows: int = MAX_TABLE_ROWS) -> str:
    table = pd.read_csv(csv_path)
    shown = table.head(max_rows)
    header = "".join(f"<th>{tex_to_html(str(c))}</th>" for c in shown.columns)
    rows = []
    for record in shown.itertuples(index=False):
        cells = []
        for value in record:
            if isinstance(value, float):
                cells.append(f"<td>{value:.6g}</td>")
            elif isinstance(value, int):
                cells.append(f"<td>{value}</td>")
            else:
                text = "" if pd.isna(value) else str(value)
                cells.append(f"<td class='text'>{tex_to_html(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = (
        f"<p class='meta'>showing {max_rows} of {len(table)} rows</p>"
        if len(table) > max_rows
        else ""
    )
    return f"<table><tr>{header}</tr>{''.join(rows)}</table>{more}"


def _links(files: Sequence[str]) -> str:
    return " · ".join(
        f"<a href='{html.escape(f)}'>{html.escape(Path(f).suffix.lstrip('.'))}</a>" for f in files
    )


def _manifest_html(manifest: dict[str, Any]) -> str:
    steps = manifest.get("steps", [])
    step_rows = "".join(
        f"<tr><td class='text'>{html.escape(s['name'])}</td><td>{s['seconds']:.2f}</td>"
        f"<td class='text'>{html.escape(s.get('status', ''))}</td></tr>"
        for s in steps
    )
    versions = ", ".join(
        f"{html.escape(k)} {html.escape(v)}"
        for k, v in manifest.get("package_versions", {}).items()
    )
    units = manifest.get("units", {})
    unit_line = (
        f"units: {units.get('completed', 0)} saved, {units.get('computed', 0)} computed in this "
        f"session, {units.get('resumed', 0)} resumed · "
        if units.get("completed", 0)
        else ""
    )
    command = " ".join(manifest.get("command", []))
    config = json.dumps(manifest.get("config", {}), sort_keys=True)
    return (
        "<h2>Run</h2>"
        f"<p class='meta'>command: <code>{html.escape(command)}</code><br>"
        f"status: <span class='{html.escape(manifest.get('status', ''))}'>"
        f"{html.escape(manifest.get('status', ''))}</span> · seed: {manifest.get('seed')} · "
        f"started {html.escape(str(manifest.get('started')))} · "
        f"finished {html.escape(str(manifest.get('finished')))}<br>"
        f"{unit_line}sessions: {len(manifest.get('previous_sessions', [])) + 1}<br>"
        f"config: <code>{html.escape(config)}</code>"
        f"<br>versions: {versions}</p>"
        + (
            f"<table><tr><th>step</th><th>seconds</th><th>status</th></tr>{step_rows}</table>"
            if step_rows
            else ""
        )
        + "<p class='meta'><a href='manifest.json'>manifest.json</a></p>"
    )


def _artifacts_html(run_dir: Path, manifest: dict[str, Any]) -> str:
    artifacts = manifest.get("artifacts", [])
    parts = []
    figures = [a for a in artifacts if a["kind"] == "figure"]
    tables = [a for a in artifacts if a["kind"] == "table"]
    if figures:
        parts.append("<h2>Figures</h2>")
        for a in figures:
            png = next((f for f in a["files"] if f.endswith(".png")), a["files"][0])
            parts.append(
                f"<figure><a href='{html.escape(png)}'><img src='{html.escape(png)}' "
                f"alt='{html.escape(tex_to_text(a['name']))}'></a>"
                f"<figcaption>{tex_to_html(a['name'])} "
                f"({_links(a['files'])})</figcaption></figure>"
            )
    if tables:
        parts.append("<h2>Tables</h2>")
        for a in tables:
            csv = next((f for f in a["files"] if f.endswith(".csv")), None)
            parts.append(f"<h3>{tex_to_html(a['name'])} <small>({_links(a['files'])})</small></h3>")
            if csv is not None and (run_dir / csv).is_file():
                parts.append(_table_html(run_dir / csv))
    return "\n".join(parts)


def write_run_report(
    run_dir: str | os.PathLike[str], *, title: str | None = None, description: str | None = None
) -> Path:
    """Write ``index.html`` for one run directory from its manifest, tables and figures.

    Parameters
    ----------
    run_dir : path-like
        A directory written by :class:`powertail.runs.Run`.
    title : str or None
        Page title; defaults to the run's command.
    description : str or None
        Plain text shown under the title: what the run computes and how to read it. Inline TeX
        in it (and in the title, artifact names and text table cells) is rendered readably by
        :func:`powertail.report.latex.tex_to_html`.

    Returns
    -------
    Path
        The written ``index.html`` (written atomically).

    Raises
    ------
    InputError
        If ``run_dir`` holds no ``manifest.json``.
    """
    root = Path(run_dir)
    manifest = _read_manifest(root)
    page_title = title or " ".join(manifest.get("command", [])) or root.name
    about = f"<div class='about'>{tex_to_html(description)}</div>" if description else ""
    body = about + _artifacts_html(root, manifest) + _manifest_html(manifest)
    path = root / INDEX_NAME
    atomic_write_text(path, _page(page_title, body))
    return path


def write_combined_report(
    out_dir: str | os.PathLike[str],
    studies: Sequence[tuple[str, str, str, str]],
    *,
    title: str = "powertail reproduce",
) -> Path:
    """Write the top-level ``index.html`` of ``powertail reproduce``, linking each study's report
    and the top-level run's own tables (``tables/studies.csv``).

    Parameters
    ----------
    out_dir : path-like
        The ``reproduce`` output folder (a run directory whose sub-folders are the study runs).
    studies : sequence of (name, title, status, message)
        One entry per study in report order; status is ``complete``, ``resumed``, ``missing`` or
        ``failed``.
    title : str
        Page title.

    Returns
    -------
    Path
        The written ``index.html``.
    """
    root = Path(out_dir)
    rows = []
    for name, description, status, message in studies:
        study_index = root / name / INDEX_NAME
        link = (
            f"<a href='{html.escape(name)}/{INDEX_NAME}'>{html.escape(name)}</a>"
            if study_index.is_file()
            else html.escape(name)
        )
        rows.append(
            f"<tr><td class='text'>{link}</td><td class='text'>{tex_to_html(description)}</td>"
            f"<td class='text {html.escape(status)}'>"
            f"{html.escape(status)}</td><td class='text'>{html.escape(message)}</td></tr>"
        )
    manifest = _read_manifest(root)
    own_tables = "".join(
        f"<br>table {tex_to_html(a['name'])}: {_links(a['files'])}"
        for a in manifest.get("artifacts", [])
        if a["kind"] == "table"
    )
    body = (
        "<h2>Studies</h2><table><tr><th>study</th><th>what it reproduces</th><th>status</th>"
        "<th>note</th></tr>" + "".join(rows) + "</table>"
    )
    if own_tables:
        body += f"<p class='meta'>{own_tables.removeprefix('<br>')}</p>"
    body += _manifest_html(manifest)
    path = root / INDEX_NAME
    atomic_write_text(path, _page(title, body))
    return path
