"""The command line: help, one-line usage errors with exit code 2, and a real fit."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from powertail.cli import app
from powertail.studies import STUDIES

runner = CliRunner()


def _one_line_error(result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: "), result.output
    assert "Traceback" not in result.output
    return lines[0]


def test_help_lists_reproduce_and_available_studies():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "reproduce" in result.output
    for study in STUDIES:
        if study.has_cli:
            assert study.name in result.output


def test_help_does_not_import_the_studies():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from powertail.cli import app\n"
        "from typer.testing import CliRunner\n"
        "assert CliRunner().invoke(app, ['--help']).exit_code == 0\n"
        "print(sorted(m for m in sys.modules if m.startswith(('scipy', 'jax', 'pandas'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_study_subcommand_help():
    result = runner.invoke(app, ["tails", "fit", "--help"])
    assert result.exit_code == 0
    assert "--xmax" in result.output


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("powertail ")


def test_unknown_study_is_a_usage_error(tmp_path):
    result = runner.invoke(app, ["reproduce", "--only", "nope", "--out", str(tmp_path / "r")])
    assert result.exit_code == 2
    line = _one_line_error(result)
    assert "--only must name a study (tails, spectra, nngp, dwarfs, shear); got 'nope'." in line
    assert not (tmp_path / "r").exists()


def test_workers_and_scheduler_together_are_refused(tmp_path):
    result = runner.invoke(
        app,
        ["reproduce", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1", "--out", str(tmp_path)],
    )
    assert result.exit_code == 2
    assert "expected at most one of them" in _one_line_error(result)


def test_zero_workers_is_refused_by_typer_in_one_line(tmp_path):
    result = runner.invoke(app, ["reproduce", "--workers", "0", "--out", str(tmp_path / "r")])
    assert result.exit_code == 2
    line = _one_line_error(result)
    assert "Invalid value for '--workers'" in line
    assert "(see 'powertail reproduce --help')" in line
    assert not (tmp_path / "r").exists()


def test_tails_fit_writes_a_run(tmp_path):
    rng = np.random.default_rng(7)
    x = (1.0 - rng.random(3000)) ** (-1.0 / 1.5)  # Pareto, alpha = 2.5, xmin = 1
    values = tmp_path / "values.txt"
    np.savetxt(values, x)
    out = tmp_path / "fit"
    result = runner.invoke(app, ["tails", "fit", str(values), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("alpha = ")
    assert "vs lognormal: R = " in result.output
    alpha = float(result.output.split()[2])
    assert abs(alpha - 2.5) < 0.15
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    # the command is recorded with every option spelled out, so it reruns as it stands
    assert manifest["command"][:4] == ["powertail", "tails", "fit", str(values)]
    for word in ("--ks", "two-sided", "--min-tail", "10", "--out", str(out)):
        assert word in manifest["command"]
    for name in ("fit.csv", "fit.parquet", "ks_curve.csv", "comparison.csv"):
        assert (out / "tables" / name).is_file()
    for name in ("ccdf.png", "ccdf.svg", "ks_curve.png"):
        assert (out / "figures" / name).is_file()
    assert "fit.csv" in (out / "index.html").read_text()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "1.0\n2.0\n-3.0\n4.0\n",
            "x must be strictly positive (a power law lives on x > 0); got 1 entries <= 0",
        ),
        ("1.0\nabc\n", "value 2 is 'abc', which is not a number"),
    ],
)
def test_tails_fit_bad_values_give_one_line(tmp_path, content, expected):
    values = tmp_path / "bad.txt"
    values.write_text(content)
    out = tmp_path / "out"
    result = runner.invoke(app, ["tails", "fit", str(values), "--out", str(out)])
    assert result.exit_code == 2, result.output
    line = _one_line_error(result)
    assert expected in line
    assert "bad.txt" in line  # the file is named
    assert not out.exists()  # nothing half-written


def test_tails_fit_missing_file(tmp_path):
    result = runner.invoke(app, ["tails", "fit", str(tmp_path / "missing.txt")])
    assert result.exit_code == 2
    assert "Invalid value for 'FILE'" in _one_line_error(result)


def test_every_registered_study_is_found_with_its_reproduction():
    """Each study's ``experiments`` is found on disk, whether a module or a package (spectra)."""
    from powertail.studies import STUDIES

    assert [s.name for s in STUDIES if not (s.available and s.has_cli)] == []


def test_a_library_error_names_the_flag_the_user_typed(tmp_path):
    """``rand_precision: ...`` from the library reads ``--rand-precision: ...`` on the CLI."""
    from safetensors.numpy import save_file

    weights = tmp_path / "w.safetensors"
    save_file({"w": np.ones((8, 16), dtype=np.float32)}, str(weights))
    out = tmp_path / "run"
    result = runner.invoke(
        app, ["spectra", "analyze", str(weights), "--rand-precision", "float16", "--out", str(out)]
    )
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: --rand-precision: expected one of")
    assert not out.exists()


def test_a_library_error_names_the_long_flag_of_a_short_one(tmp_path):
    """``-A -1`` on ``dwarfs simulate``: the library's ``amplitude:`` reads ``--amplitude:``."""
    out = tmp_path / "run"
    result = runner.invoke(
        app, ["dwarfs", "simulate", "-A", "-1", "--eps", "0.2", "--out", str(out)]
    )
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2
    assert len(lines) == 1 and lines[0].startswith("Error: --amplitude: expected a number > 0")
    assert not out.exists()


def test_name_the_flag_only_rewrites_flags_that_were_typed():
    from powertail.cli import _name_the_flag

    assert _name_the_flag("dt: expected > 0", ["dwarfs", "simulate", "--dt", "0"]) == (
        "--dt: expected > 0"
    )
    assert _name_the_flag("dt: expected > 0", ["dwarfs", "simulate", "--dt=0"]).startswith("--dt:")
    # not typed (e.g. a short option or a config value): the library's name stays
    assert _name_the_flag("amplitude: expected > 0", ["-A", "-1"]) == "amplitude: expected > 0"
    assert (
        _name_the_flag("amplitude: expected > 0", ["-A", "-1"], {"-A": "--amplitude"})
        == "--amplitude: expected > 0"
    )
    # a plural parameter set by a singular, repeatable flag
    assert _name_the_flag("sweeps: expected lr", ["--sweep", "x"]) == "--sweep: expected lr"
    # a message that does not start with a name is left alone
    assert _name_the_flag("weights file 'x': bad", ["--x"]) == "weights file 'x': bad"


def test_reproduce_prints_each_study_line_when_the_study_ends(tmp_path, monkeypatch):
    """The hook fires once per study, in order, before ``reproduce`` returns."""
    from powertail import reproduce as reproduce_module

    seen: list[str] = []
    result = reproduce_module.reproduce(
        tmp_path / "r", only=["tails"], on_study_done=lambda o: seen.append(o.name)
    )
    assert seen == [o.name for o in result.outcomes] == ["tails"]


def _choice_options() -> list[tuple[list[str], dict[str, str]]]:
    """Per command: choice option -> the accepted values, from the library's own constants."""
    from powertail.dwarfs.integrate import METHODS
    from powertail.dwarfs.potentials.protocols import PROTOCOL_NAMES
    from powertail.dwarfs.simulation import HALOS
    from powertail.shear.model import BACKGROUNDS, NORMALISATIONS, SCATTERING_LAWS
    from powertail.shear.montecarlo import ENGINES, PRECISIONS
    from powertail.spectra.esd import NORMALIZATIONS, RAND_PRECISIONS, SOLVERS

    def one_of(values) -> str:
        return "|".join(values)

    protocols = one_of(PROTOCOL_NAMES)
    return [
        (
            ["spectra", "analyze"],
            {
                "--rand-precision": one_of(RAND_PRECISIONS),
                "--normalization": one_of(NORMALIZATIONS),
                "--solver": one_of(SOLVERS),
            },
        ),
        (["spectra", "compare"], {}),
        (
            ["dwarfs", "simulate"],
            {"--halo": one_of(HALOS), "--protocol": protocols, "--method": one_of(METHODS)},
        ),
        (["dwarfs", "sweep"], {"--halo": one_of(HALOS), "--protocol": protocols}),
        (
            ["shear", "simulate"],
            {
                "--background": one_of(BACKGROUNDS),
                "--scattering": one_of(SCATTERING_LAWS),
                "--normalisation": one_of(NORMALISATIONS),
                "--initial": "thermal|W1,W2,W3",
                "--precision": one_of(PRECISIONS),
                "--engine": one_of(ENGINES),
            },
        ),
        # gamma = 0 there, and the delta background needs gamma < 0
        (["shear", "moments"], {"--background": "maxwellian|bgk"}),
    ]


def test_help_shows_the_accepted_values_of_choice_options():
    """``--help`` names the values a choice option takes (never a bare ``<str>``)."""
    for command, choices in _choice_options():
        result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        assert "<str>" not in result.output, command
        lines = result.output.splitlines()
        for flag, metavar in choices.items():
            (line,) = [x for x in lines if f" {flag} " in x]
            assert metavar in line.split(), line
