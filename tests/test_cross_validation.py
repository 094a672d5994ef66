"""evaluate --cross-validate: anyone can check that the model learns from their rows."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from salarymodel.evidence.cross_validation import assign_folds


def _records(model, path, seed: int = 4):
    """German rows of two populations: a survey at the market, a payroll at 1.3x."""
    rng = np.random.default_rng(seed)
    frames = []
    for source, factor, n in (("survey", 1.0, 160), ("payroll", 1.3, 160)):
        years = rng.uniform(0, 18, n).round(1)
        median = np.array([model.predict("DE", float(y), as_of="2023-07-01").median for y in years])
        salary = factor * median * np.exp(rng.normal(0, 0.2, n))
        frames.append(
            pd.DataFrame(
                {
                    "country": "DE",
                    "years": years,
                    "company": "",
                    "salary": salary.round(),
                    "currency": "EUR",
                    "year": 2023,
                    "pay": "base",
                    "source": source,
                }
            )
        )
    pd.concat(frames).to_csv(path, index=False)
    return path


def test_folds_deal_each_population_out_evenly():
    frame = pd.DataFrame({"source": ["a"] * 10 + ["b"] * 7})
    folds = assign_folds(frame, 3, seed=1)
    assert sorted(np.bincount(folds[:10])) == [3, 3, 4] and sorted(np.bincount(folds[10:])) == [2, 2, 3]
    assert (assign_folds(frame, 3, seed=1) == folds).all()


def test_bad_folds_and_files_are_refused_by_name(tmp_path):
    def run(*options):
        return subprocess.run(
            [sys.executable, "-m", "salarymodel.evaluate", *options], capture_output=True, text=True, timeout=120
        )

    path = tmp_path / "r.csv"
    path.write_text("country,years,company,salary,currency,year,pay,source\nDE,3,,60000,EUR,2023,base,a\n")
    assert "'--folds' option must be a whole number from 2 to 20" in run("--cross-validate", str(path), "--folds", "1").stderr
    assert "fewer than --folds 2" in run("--cross-validate", str(path), "--folds", "2").stderr
    done = run("--cross-validate", str(tmp_path / "missing.csv"))
    assert done.returncode == 2 and "Traceback" not in done.stderr


@pytest.mark.slow
def test_cross_validation_reports_coverage_crps_and_baselines_and_the_population_learns(model, tmp_path):
    path = _records(model, tmp_path / "records.csv")
    done = subprocess.run(
        [sys.executable, "-m", "salarymodel.evaluate", "--cross-validate", str(path), "--folds", "2", "--json"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["k"] == 2 and report["rows"] == 320 and len(report["folds"]) == 2
    pooled = report["pooled"]["DE"]
    assert set(pooled) == {"market", "population", "country_lognormal", "level_lognormal"}
    for part in pooled.values():
        assert part["n"] == 320
        for level in (50, 80, 90):
            low, high = part[f"coverage_{level}"]["interval_95"]
            assert 0 <= low <= part[f"coverage_{level}"]["share"] <= high <= 1
        assert part["crps"] > 0 and part["interval_score_80"] > 0
    # Answering as each row's own population beats the market's consensus on these rows.
    assert pooled["population"]["crps"] < pooled["market"]["crps"]
    assert 0.7 <= pooled["population"]["coverage_80"]["share"] <= 0.9
