"""python -m salarymodel.train end to end, in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from helpers import model_file


def _run(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "salarymodel.train", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_train_writes_model_card_and_training_set(tmp_path):
    # The default seed: its posterior is the suite's shared one (a new seed would sample a new one).
    done = _run("--out", "m", "--data-out", "d", "--rows", "6000", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "80% band coverage" in done.stdout and "Excluded f16" in done.stdout and "Excluded f27" in done.stdout
    card = json.loads((tmp_path / "m" / "salary_model.json").read_text())
    assert card["seed"] == 0 and card["rows"] == 18000  # 6000 per country
    rows = pd.read_csv(tmp_path / "d" / "training_set.csv")
    assert len(rows) == 18000 and not {"f16", "f27"} & set(rows["figure_id"])
    assert "## What the band means" in (tmp_path / "m" / "salary_model.md").read_text()
    # Each stage is said as it starts, on standard error (the summary stays on standard output).
    stages = [line for line in done.stderr.splitlines() if line[:1].isdigit() and line[1:3] == "/5"]
    assert [line[:3] for line in stages] == ["1/5", "2/5", "3/5", "4/5", "5/5"], done.stderr


def test_the_options_reach_the_training(monkeypatch, tmp_path):
    from salarymodel.cli import train as command

    asked = {}

    def recorded(figures, **options):
        asked.update(options, figures=figures)
        raise ValueError("stopped here by the test.")

    monkeypatch.setattr(command, "train", recorded)
    code = command.main(["--seed", "3", "--rows", "700", "--out", str(tmp_path / "m"), "--records", "r.csv"])
    assert code == 2 and not (tmp_path / "m").exists()
    assert (asked["seed"], asked["rows_per_country"], asked["out"], asked["records"]) == (3, 700, tmp_path / "m", Path("r.csv"))


@pytest.mark.slow
def test_same_seed_gives_the_same_training_set_bytes(tmp_path):
    for name in ("a", "b"):
        assert _run("--out", name, "--data-out", name, "--rows", "2000", cwd=tmp_path).returncode == 0
    assert model_file(tmp_path / "a", "training_set").read_bytes() == model_file(tmp_path / "b", "training_set").read_bytes()


def test_bad_figures_file_stops_before_writing_with_one_line_per_problem(tmp_path, edited_figures):
    path = edited_figures({(0, "currency"): "???", (2, "value"): "-1"}, "bad.csv")
    done = _run("--figures", str(path), "--out", "m", "--data-out", "d", cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    problem_lines = [line for line in done.stderr.splitlines() if line.strip().startswith("line ")]
    assert len(problem_lines) == 2
    assert "line 2, column 'currency'" in done.stderr and "line 4, column 'value'" in done.stderr
    assert not (tmp_path / "m").exists() and not (tmp_path / "d").exists()


@pytest.mark.slow
def test_compare_flag_records_the_model_comparison_in_the_card(tmp_path):
    done = _run("--out", "m", "--data-out", "d", "--rows", "4000", "--compare", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    comparison = json.loads((tmp_path / "m" / "salary_model.json").read_text())["metrics"]["model_comparison"]
    assert len(comparison["candidates"]) == 3 and comparison["candidates"][0]["name"] == comparison["served"]
    assert comparison["served"].endswith("compiled by QuantileCurves")
