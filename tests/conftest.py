"""Shared fixtures: one model trained per test session, in a temporary folder."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from salarymodel.data.shipped import raw_data_file
from salarymodel.train import train

# Property tests draw the same examples on every run, so CI is reproducible;
# HYPOTHESIS_PROFILE=explore draws new ones (run it when changing input handling).
settings.register_profile("seeded", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "seeded"))


@pytest.fixture(autouse=True, scope="session")
def _bounded_threads():
    """The whole suite, and the commands it starts, with one native thread per pool:
    on a busy 2-core machine oversubscribed BLAS threads made single tests take minutes."""
    from threadpoolctl import threadpool_limits

    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")  # inherited by subprocesses
    with threadpool_limits(limits=1):
        yield


def uk_figures(folder):
    """The shipped figures plus three United Kingdom figures from one site (all levels), as a CSV in ``folder``."""
    import pandas as pd

    shipped = pd.read_csv(raw_data_file("reported_figures.csv"), dtype=str, keep_default_na=False)
    site = {"source": "UK1", "source_detail": "ExampleSite", "country": "United Kingdom", "currency": "GBP",
            "year": "2023", "level": "all", "pay": "base"}
    uk = pd.DataFrame([{**site, "id": "u01", "statistic": "mean", "value": "65000"},
                       {**site, "id": "u02", "statistic": "range", "value": "50000", "value_high": "80000",
                        "coverage": "0.5"},
                       {**site, "id": "u03", "statistic": "median", "value": "62000"}])
    path = folder / "with_uk.csv"
    pd.concat([shipped, uk], ignore_index=True).fillna("").to_csv(path, index=False)
    return path


def model_file(folder, kind: str = "data"):
    """The file of a model folder that its card names: 'data', 'training' or 'training_set'."""
    from salarymodel.serving.persist import model_file as named
    from salarymodel.serving.persist import read_card

    return named(read_card(folder), kind, folder)[0]


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    """A model folder trained with the default settings (seed 0)."""
    folder = tmp_path_factory.mktemp("model")
    train(out=folder, seed=0)
    return folder


@pytest.fixture(scope="session")
def model(model_dir):
    from salarymodel import load_model

    return load_model(model_dir)


@pytest.fixture(scope="session")
def plan(model):
    return model.plan


@pytest.fixture(scope="session")
def evaluation_json(model_dir):
    """``python -m salarymodel.evaluate --json --no-compare`` on the session's model, run once
    (validation refits the pipeline many times); the README test and the evaluate test share it."""
    import json
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "salarymodel.evaluate", "--model", str(model_dir), "--json",
                           "--no-compare"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(autouse=True, scope="session")
def _default_model_in_tmp(tmp_path_factory):
    """Point the module-level API at a private cache so tests never touch ~/.cache."""
    import os

    folder = tmp_path_factory.mktemp("default-model")
    previous = os.environ.get("SALARYMODEL_MODEL_DIR")
    os.environ["SALARYMODEL_MODEL_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("SALARYMODEL_MODEL_DIR", None)
    else:
        os.environ["SALARYMODEL_MODEL_DIR"] = previous


@pytest.fixture
def edited_figures(tmp_path):
    """Write a copy of the shipped figures with cells changed: ``{(row, column): text}``."""
    import pandas as pd

    def write(changes: dict, name: str = "figures.csv"):
        table = pd.read_csv(raw_data_file("reported_figures.csv"), dtype=str, keep_default_na=False)
        for (row, column), value in changes.items():
            table.at[row, column] = value
        path = tmp_path / name
        table.to_csv(path, index=False)
        return path

    return write
