"""The default model ships inside the package: first use answers at once, no training."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from salarymodel import load_model
from salarymodel.serving.paths import CARD_FILE, shipped_model_dir

# Training is seeded, but the same locked versions on another CPU can move the
# solvers' last bits (measured: 2e-15 relative on an Indian employer's median), so
# tables and answers are compared within this relative tolerance, never bit for bit.
TABLE_RTOL = 1e-6


def test_a_fresh_process_answers_from_the_shipped_model_without_training(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SALARYMODEL_MODEL_DIR"}
    env.update(HOME=str(tmp_path / "home"), XDG_CACHE_HOME=str(tmp_path / "cache"))
    code = ("import sys, json; from salarymodel import predict; from salarymodel.api import default_model; "
            "e = predict('Germany', 5); print(json.dumps({'median': e.median, 'folder': str(default_model().folder), "
            "'sklearn': 'sklearn' in sys.modules, 'jax': 'jax' in sys.modules}))")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["folder"] == str(shipped_model_dir().resolve())
    assert answer["median"] > 0 and not answer["sklearn"] and not answer["jax"]
    assert "training" not in done.stderr  # no first-use training, and nothing written:
    assert not (tmp_path / "cache").exists() and not (tmp_path / "home").exists()


def test_the_shipped_model_is_what_training_with_its_seed_gives(model):
    card = json.loads((shipped_model_dir() / CARD_FILE).read_text())
    assert card["seed"] == 0 and card["rows"] == model.metadata["rows"]
    shipped = load_model(shipped_model_dir())
    assert list(shipped.countries) == list(model.countries)
    for name in ("centre", "scale", "median", "median_low", "median_high", "ratio_low", "ratio_high"):
        np.testing.assert_allclose(shipped.tables[name], model.tables[name], rtol=TABLE_RTOL, err_msg=name)
    assert shipped.predict("India", 3, "TCS", as_of="2023-07-01").median == pytest.approx(
        model.predict("India", 3, "TCS", as_of="2023-07-01").median, rel=TABLE_RTOL)


def test_only_serving_files_ship():
    names = {p.name for p in shipped_model_dir().iterdir()} - {"__pycache__"}
    shipped = {n for n in names if not n.endswith((".joblib", ".csv"))}  # the training side stays local (git-ignored)
    assert CARD_FILE in shipped and any(n.endswith(".npz") for n in shipped)
    assert sum((shipped_model_dir() / n).stat().st_size for n in shipped) < 2_000_000
