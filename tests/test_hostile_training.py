"""Training runs under hostile paths and figures: model folders are replaced as
a whole or not at all, bad paths and figures stop before any work, no
traceback."""

from __future__ import annotations

import hashlib
import json
import random
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from helpers import model_file
from salarymodel import load_model
from salarymodel.data.shipped import raw_data_file


def _train(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "salarymodel.train", *args], capture_output=True, text=True, timeout=300, cwd=cwd
    )


def _whole(folder) -> bool:
    """The folder holds a loadable model whose training set is the one its card names."""
    model = load_model(folder)
    card = json.loads((folder / "salary_model.json").read_text())
    data = model_file(folder, "training_set").read_bytes()
    return model.predict("DE", 4).median > 0 and hashlib.sha256(data).hexdigest() == card["training_set"]["sha256"]


def test_out_naming_a_file_is_refused_before_any_work(tmp_path, model_dir):
    inside = tmp_path / "inside"
    inside.mkdir()
    done = _train("--out", "new.npz", "--rows", "300", cwd=inside)
    assert done.returncode == 2 and "names a model folder, not a file" in done.stderr
    assert list(inside.iterdir()) == []  # nothing written anywhere
    (inside / "plain").write_text("mine")
    done = _train("--out", "plain", "--rows", "300", cwd=inside)
    assert done.returncode == 2 and "exists and is not a folder" in done.stderr
    assert (inside / "plain").read_text() == "mine"


def test_unwritable_out_is_refused_before_any_work(tmp_path, monkeypatch):
    from salarymodel.serving.model_io import folder as persist

    folder = tmp_path / "models"
    folder.mkdir()
    monkeypatch.setattr(persist.os, "access", lambda path, mode: False)  # as a read-only folder answers
    from salarymodel.train import train

    with pytest.raises(ValueError, match="is not writable"):
        train(out=folder, rows_per_country=300)
    assert list(folder.iterdir()) == []


@pytest.mark.slow
def test_a_new_version_replaces_the_old_one_as_a_whole(tmp_path):
    folder = tmp_path / "m"
    (tmp_path / "m").mkdir()
    (folder / "notes.txt").write_text("my notes")  # not ours: never touched
    assert _train("--out", "m", "--rows", "300", cwd=tmp_path).returncode == 0
    first = {p.name for p in folder.iterdir()}
    assert _train("--out", "m", "--rows", "300", "--seed", "1", cwd=tmp_path).returncode == 0
    second = {p.name for p in folder.iterdir()}
    assert (folder / "notes.txt").read_text() == "my notes"
    assert len(second) == len(first) and second != first  # the old version's files are gone
    assert _whole(folder)


@pytest.mark.slow
def test_kill_at_random_points_always_leaves_a_whole_model(tmp_path):
    folder = tmp_path / "m"
    assert _train("--out", "m", "--rows", "300", cwd=tmp_path).returncode == 0
    start = time.perf_counter()
    assert _train("--out", "m", "--rows", "300", "--seed", "1", cwd=tmp_path).returncode == 0
    duration = time.perf_counter() - start
    rng = random.Random(0)
    for run in range(20):
        process = subprocess.Popen(
            [sys.executable, "-m", "salarymodel.train", "--out", "m", "--rows", "300", "--seed", str(run + 2)],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.3, 1.05) * duration)  # before, during and after the writes
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        assert _whole(folder), f"run {run}"


def test_bad_figures_stop_at_validation_naming_line_and_column(tmp_path):
    table = pd.read_csv(raw_data_file("reported_figures.csv"), dtype=str, keep_default_na=False)
    cases = {
        ("coverage", "f04"): "1e-12",
        ("value", "f01"): "1e308",
        ("value_high", "f04"): "1e-300",
        ("company", "f15"): "Tik\x07Tok",
    }
    for (column, figure_id), value in cases.items():
        table.loc[table["id"] == figure_id, column] = value
    mixed = table[table["id"] == "f02"].iloc[[0]].assign(statistic="mean", value="90000")  # a mean beside p25..p90
    pd.concat([table, mixed]).to_csv(tmp_path / "bad.csv", index=False)
    done = _train("--figures", "bad.csv", "--out", "m", "--rows", "300", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    for column in ("coverage", "value", "value_high", "company"):
        assert f"column '{column}'" in done.stderr, column
    assert "gives a mean and" in done.stderr
    assert not (tmp_path / "m").exists()
