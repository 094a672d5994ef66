"""evaluate --real: any file of real salaries scored against the served bands."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from salarymodel.data.records import load_records
from salarymodel.errors import FiguresError
from salarymodel.evidence.real import crps_from_quantiles, interval_score, real_salary_section
from salarymodel.serving.explanations import quantiles


def _drawn_from_the_model(model, n: int, seed: int) -> pd.DataFrame:
    """Salaries drawn from the model's own served distribution (2023 money, local currency)."""
    rng = np.random.default_rng(seed)
    country = rng.choice(["US", "DE"], n)
    years = rng.uniform(0.5, 15, n).round(2)
    levels = np.arange(1, 1000) / 1000
    frame = pd.DataFrame({"country": country, "company": None, "years": years})
    served = quantiles(model.core, frame, levels)  # reference-year USD
    pick = rng.integers(0, len(levels), n)
    usd = served[np.arange(n), pick]
    currency = np.where(country == "US", "USD", "EUR")
    local = usd * np.array([model.core.per_usd[c] for c in currency])
    return pd.DataFrame(
        {
            "country": country,
            "years": years,
            "company": "",
            "salary": local.round(2),
            "currency": currency,
            "year": 2023,
            "pay": "base",
            "source": "drawn",
        }
    )


def test_salaries_drawn_from_the_served_bands_are_covered_at_their_level(model, tmp_path):
    rows = _drawn_from_the_model(model, 3000, seed=3)
    path = tmp_path / "real.csv"
    rows.to_csv(path, index=False)
    report = real_salary_section(model, load_records(path))
    assert report["scored"] == 3000 and set(report["countries"]) == {"DE", "US"}
    for code, parts in report["countries"].items():
        model_part = parts["model"]
        for level in (50, 80, 90):
            part = model_part[f"coverage_{level}"]
            low, high = part["interval_95"]
            assert low <= part["share"] <= high
            assert low - 0.02 <= level / 100 <= high + 0.02, (code, level, part)  # exact interval, small slack
        assert model_part["median_ratio"] == pytest.approx(1.0, abs=0.06)
        # On its own draws the model scores at least as well as either no-model baseline.
        for baseline in ("country_lognormal", "level_lognormal"):
            assert parts[baseline]["n"] == model_part["n"]
            assert model_part["crps"] <= parts[baseline]["crps"] + 1e-3


def test_the_command_prints_coverage_scores_and_baselines_and_skips_total_pay(model_dir, model, tmp_path):
    rows = _drawn_from_the_model(model, 200, seed=4)
    rows.loc[0, "pay"] = "total"
    rows.loc[1, "country"] = "France"  # a country the model does not serve
    path = tmp_path / "real.csv"
    rows.to_csv(path, index=False)
    done = subprocess.run(
        [sys.executable, "-m", "salarymodel.evaluate", "--model", str(model_dir), "--real", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "198 of 200 rows scored" in done.stdout and "1 total pay, 1 country the model does not serve" in done.stdout
    for words in (
        "inside 80% band (95% interval)",
        "CRPS",
        "interval score 80%",
        "country lognormal",
        "level lognormal",
        "real / served median",
    ):
        assert words in done.stdout


def test_a_malformed_records_file_names_line_and_column(tmp_path, model_dir):
    path = tmp_path / "bad.csv"
    path.write_text(
        "country,years,company,salary,currency,year,pay,source\nUS,-3,,90000,USD,2023,base,s\n"
        "Atlantis,4,,90000,USD,2023,base,s\nUS,4,,0,USD,2023,bonus,s\n"
    )
    with pytest.raises(FiguresError) as error:
        load_records(path)
    text = str(error.value)
    for where in ("line 2, column 'years'", "line 3, column 'country'", "line 4, column 'salary'", "line 4, column 'pay'"):
        assert where in text
    done = subprocess.run(
        [sys.executable, "-m", "salarymodel.evaluate", "--model", str(model_dir), "--real", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr and "line 2, column 'years'" in done.stderr


def test_scores_are_proper_and_match_their_definitions():
    values = np.array([0.0, 1.0, -2.0])
    low, high = np.full(3, -1.0), np.full(3, 1.0)
    # Width 2, plus 2/alpha times the distance outside: 0, 0, and 1 * 2 / 0.2.
    assert interval_score(values, low, high, 0.2).tolist() == [2.0, 2.0, 12.0]
    levels = np.arange(1, 100) / 100
    from scipy.special import ndtri

    normal = ndtri(levels)[None, :]
    # CRPS of a standard normal at 0 is (sqrt(2) - 1) / sqrt(pi) = 0.2337 (quantile grid: within 0.01).
    assert crps_from_quantiles(np.zeros(1), normal)[0] == pytest.approx(0.2337, abs=0.01)
    # A sharper, centred forecast scores better; a shifted one worse.
    assert crps_from_quantiles(np.zeros(1), 0.5 * normal)[0] < crps_from_quantiles(np.zeros(1), normal)[0]
    assert crps_from_quantiles(np.zeros(1), normal + 1)[0] > crps_from_quantiles(np.zeros(1), normal)[0]
