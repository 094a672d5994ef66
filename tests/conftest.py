"""Shared fixtures: one model trained per test session, in a temporary folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

from salarymodel.data.shipped import raw_data_file
from salarymodel.train import train
from salarymodel.training.state_file import training_state

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


@pytest.fixture(autouse=True, scope="session")
def _shared_posteriors(tmp_path_factory):
    """One posterior per distinct set of figures for the whole run: trainings of the same
    figures (in this process, another worker or a command a test starts) reuse the fit
    instead of sampling again (salarymodel.training.posterior_cache; the key covers
    everything the draws depend on, so reuse gives the same model). The sampler's XLA
    programs are kept the same way (JAX's persistent compilation cache): a fit of new
    figures of known shapes then skips most of its compilation."""
    from salarymodel.training.posterior_cache import CACHE_VARIABLE

    os.environ.setdefault(CACHE_VARIABLE, str(_run_folder(tmp_path_factory) / "posteriors"))
    os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(_run_folder(tmp_path_factory) / "xla"))
    if "jax" in sys.modules:  # already started: its configuration read the environment before
        sys.modules["jax"].config.update("jax_compilation_cache_dir", os.environ["JAX_COMPILATION_CACHE_DIR"])
    yield


def _run_folder(tmp_path_factory) -> Path:
    """A folder of this test run that every xdist worker shares (the run's base temp)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


_EVALUATION_WANTED: list[str] = []
_READERS = ("evaluation_json", "validation_json")


@pytest.hookimpl(trylast=True)  # after the run's marks deselected the tests it skips
def pytest_collection_modifyitems(config, items):
    """Note which evaluation this run's tests read (then it is started early): with the
    leave-out validation (its refits sample dozens of posteriors: only the slow tests read
    it) or without. Then order the modules (the suite hands out whole modules): first
    those that never use the shared model, so one worker runs them while another trains
    it; then the rest; those reading the evaluation last, those tests at their end, so no
    worker waits for it while other tests remain."""
    reading = {item for item in items if any(name in item.fixturenames for name in _READERS)}
    validating = any("validation_json" in item.fixturenames for item in items)
    _EVALUATION_WANTED.append("validation" if validating else "evaluation" if reading else "")
    waiting = {item.module for item in reading}
    sharing = {item.module for item in items if "_shared_model_and_evaluation" in item.fixturenames}
    items[:] = (
        [item for item in items if item.module not in sharing]
        + [item for item in items if item.module in sharing and item.module not in waiting]
        + [item for item in items if item.module in waiting and item not in reading]
        + [item for item in items if item in reading]
    )


@pytest.fixture(scope="session")
def _shared_model_and_evaluation(tmp_path_factory):
    """One model (seed 0, default settings) for the whole run, however many workers:
    the first worker trains it, then starts ``python -m salarymodel.evaluate --json
    --no-compare`` on it in the background (with ``--no-validation`` unless a test of
    the run reads the validation), so the tests that read it find it ready or nearly."""
    import fcntl
    import subprocess
    import sys

    shared = _run_folder(tmp_path_factory)
    folder, report = shared / "model", shared / "evaluation.json"
    evaluation = None
    with open(shared / "model.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the others wait here while the first trains
        _train_once(folder)
        if not (shared / "evaluation.log").exists() and _EVALUATION_WANTED[0]:
            log = open(shared / "evaluation.log", "w")
            evaluation = subprocess.Popen(
                [sys.executable, "-c", _EVALUATE, str(folder), str(report), _EVALUATION_WANTED[0]],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
    yield folder, report
    if evaluation is not None:  # a test in another worker may still wait for it
        evaluation.wait(timeout=900)


# Writes the report atomically, so a reader sees all of it or nothing; a failure
# is written too, so no reader waits for a report that will never come.
_EVALUATE = """
import json, os, subprocess, sys
folder, report, wanted = sys.argv[1], sys.argv[2], sys.argv[3]
options = [] if wanted == 'validation' else ['--no-validation']
done = subprocess.run([sys.executable, '-m', 'salarymodel.evaluate', '--model', folder, '--json', '--no-compare', *options],
                      capture_output=True, text=True)
text = done.stdout if done.returncode == 0 else json.dumps({'failed': done.returncode, 'stderr': done.stderr})
with open(report + '.tmp', 'w') as handle:
    handle.write(text)
os.replace(report + '.tmp', report)
"""


def _train_once(folder: Path) -> None:
    """Train seed 0 into ``folder`` unless an earlier worker did (call under the folder's lock)."""
    if not (folder / "salary_model.json").exists():
        train(out=folder, seed=0)


@pytest.fixture(scope="session")
def model_dir(_shared_model_and_evaluation):
    """A model folder trained with the default settings (seed 0), shared by the run."""
    return _shared_model_and_evaluation[0]


@pytest.fixture(scope="session")
def model(model_dir):
    from salarymodel import load_model

    return load_model(model_dir)


@pytest.fixture(scope="session")
def training_data(model):
    return training_state(model).training_data


@pytest.fixture(scope="session")
def evaluation_json(_shared_model_and_evaluation):
    """``python -m salarymodel.evaluate --json --no-compare`` on the run's model, run once
    in the background (see above); the README and evaluate tests share it."""
    import json
    import time

    report = _shared_model_and_evaluation[1]
    deadline = time.monotonic() + 900
    while not report.exists():
        assert time.monotonic() < deadline, "the background evaluation did not finish in 15 minutes"
        time.sleep(0.5)
    data = json.loads(report.read_text())
    assert "failed" not in data, data.get("stderr")
    return data


@pytest.fixture(scope="session")
def validation_json(evaluation_json):
    """The same report with its leave-out validation: for slow tests only (its refits
    sample dozens of posteriors)."""
    assert "validation" in evaluation_json, "the run's evaluation was started without its validation"
    return evaluation_json


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
