"""The linters run with the suite, so CI fails on what they find: ruff on the
code, the tests and the benchmarks (its linter and its formatter), mypy on the
package (settings in pyproject.toml), and strict on the core and the model-file package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from package_graph import import_graph, reached_from

ROOT = Path(__file__).resolve().parents[1]


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing():
    done = _run("ruff", "check", "src", "tests", "benchmarks")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format_would_change_nothing():
    done = _run("ruff", "format", "--check", "src", "tests", "benchmarks")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_finds_nothing_in_the_package():
    done = _run("mypy", "--no-incremental")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found" in done.stdout


def test_mypy_strict_finds_nothing_in_the_core_and_the_model_file_package():
    # What every answer reads (the core, its facade, the years grid), the package every model
    # folder is written and read through, and every package module they import, named on the
    # command line: mypy silences a followed import it finds through an editable install's path,
    # so naming them keeps the check the same however the package is installed.
    graph = import_graph()
    roots = {"serving.core", "serving.model", "serving.grid"} | {m for m in graph if m.startswith("serving.model_io.")}
    # The checkout's files, not the installed copy's (a regular install puts that in site-packages).
    source = Path("src") / "salarymodel"
    files = sorted(str((source / module.replace(".", "/")).with_suffix(".py")) for module in reached_from(graph, roots))
    done = _run("mypy", "--no-incremental", "--strict", *files)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found" in done.stdout
    assert len(files) > 25, files  # the imports were followed
