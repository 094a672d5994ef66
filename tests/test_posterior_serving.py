"""A model trained through the measurement model is its posterior predictive, compiled.

The run's default model (seed 0, the shipped figures, conftest's ``model``)
is one; the tests read its tables against the posterior it keeps.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy.special import ndtr

from salarymodel.serving.bands import quantile_rows
from salarymodel.serving.grid import YEARS_GRID
from salarymodel.train import train
from salarymodel.training.posterior import PosteriorDiagnosticsError
from salarymodel.training.state_file import training_state


def _mixture_quantile(median: np.ndarray, spread: np.ndarray, level: float) -> np.ndarray:
    """Quantile of the mixture of Normal(median[j], spread[j]) by bisection (independent
    of the compile's Newton steps)."""
    low, high = (median - 6 * spread).min(axis=0), (median + 6 * spread).max(axis=0)
    for _ in range(45):
        mid = (low + high) / 2
        below = ndtr((mid - median) / spread).mean(axis=0) < level
        low, high = np.where(below, mid, low), np.where(below, high, mid)
    return (low + high) / 2


def _served(model, cell: int, level: float) -> np.ndarray:
    return quantile_rows(level, model.tables.quantiles[cell : cell + 1])[0]


# Percentiles the product serves by default within 2%, the 5th and 95th within 4%: the
# regression's curves are learnt from finitely many engineers (4 per posterior draw and point).
TOLERANCE = {10: 0.02, 25: 0.02, 50: 0.02, 75: 0.02, 90: 0.02, 5: 0.04, 95: 0.04}


def test_served_percentiles_are_the_posterior_predictive_on_the_grid(model):
    posterior = training_state(model).posterior
    points = np.flatnonzero(np.isclose(YEARS_GRID % 1, 0))  # every whole year, 0 to 50 (the bisection is the cost)
    assert len(points) == 51
    worst = {}
    for cell, (country, company) in enumerate(model.core.cells):
        median = posterior.median_draws(country, company, YEARS_GRID[points])
        spread = posterior.spread_draws(country, company, YEARS_GRID[points])
        for q, tolerance in TOLERANCE.items():
            served = _served(model, cell, q / 100)[points]
            error = np.abs(np.expm1(served - _mixture_quantile(median, spread, q / 100)))
            worst[(country, company, q)] = float(error.max())
            assert error.max() <= tolerance, (country, company, q, YEARS_GRID[points][error.argmax()], error.max())
    assert len({key[:2] for key in worst}) == len(model.core.cells) >= 8  # every market and employer was checked


def test_every_percentile_and_the_median_interval_are_ordered_and_never_fall(model):
    t = model.tables.arrays()
    assert (t["median_low"] <= t["median"]).all() and (t["median"] <= t["median_high"]).all()
    for name in ("median", "median_low", "median_high"):
        assert (np.diff(t[name], axis=1) >= 0).all(), name
    for level in (0.05, 0.1, 0.25, 0.75, 0.9, 0.95):
        for cell in range(len(model.core.cells)):
            assert (np.diff(_served(model, cell, level)) >= 0).all(), (model.core.cells[cell], level)


@pytest.mark.parametrize("years", [1, 4, 8])
def test_germanys_80_percent_band_is_at_most_2_1_fold(model, years):
    # Germany's figures are one site's (TechMinds): its offset from the market is unknown by
    # the sites' spread, which the band carries (2.04-2.05x on seed 0; 2.0 when its three
    # ranges were read as three sites).
    estimate = model.predict("DE", years, as_of=model.core.reference_date)
    assert estimate.high / estimate.low <= 2.1


def test_the_german_median_rises_no_faster_than_the_figures_demand(model, model_dir):
    from salarymodel.serving.model_io.folder import read_card

    # TechMinds' entry, mid and senior ranges are one site's, so their rise is the market's
    # (6.5% a year on seed 0; read as three sites, a third of it went into their offsets).
    start, end = model.predict("DE", 0).median, model.predict("DE", 12).median
    assert (end / start) ** (1 / 12) - 1 <= 0.07
    slope = read_card(model_dir)["measurement_model"]["countries"]["DE"]["mean_slope_0_12_years"]
    assert 0 < slope["low_80"] < slope["median"] < slope["high_80"] <= 0.08


def test_the_card_records_the_posterior_its_diagnostics_and_every_prior(model_dir):
    from salarymodel.serving.model_io.folder import read_card
    from salarymodel.serving.model_io.paths import CARD_MARKDOWN_FILE

    section = read_card(model_dir)["measurement_model"]
    assert section["diagnostics_pass"] and section["library"] == "numpyro"
    assert section["diagnostics"]["r_hat_max"] <= section["diagnostics"]["limits"]["r_hat_max"]
    # Vehtari et al. (2021)'s limits, which need 4 chains: what the default model is held to.
    assert section["settings"]["chains"] >= 4
    assert section["diagnostics"]["limits"] == {
        "r_hat_max": 1.01,
        "ess_bulk_min": 400,
        "ess_tail_min": 400,
        "divergences_max": 0,
    }
    assert section["diagnostics"]["ess_bulk_min"] >= 400 and section["diagnostics"]["ess_tail_min"] >= 400
    assert section["diagnostics"]["divergences"] == 0
    for name in ("tau_source", "tau_employer", "employer_spread_share"):
        value = section["hyperparameters"][name]
        assert value["low_80"] < value["median"] < value["high_80"]
    assert "range coverage" in section["priors"] and "shared site bias" in section["priors"]
    assert "## Measurement model (posterior)" in (model_dir / CARD_MARKDOWN_FILE).read_text(encoding="utf-8")


def test_training_refuses_a_posterior_whose_diagnostics_fail(monkeypatch, tmp_path):
    import salarymodel.pipeline as train_module
    from salarymodel.training.posterior import Diagnostics

    failing = Diagnostics(r_hat=1.2, ess_bulk=30, ess_tail=10, divergences=0, draws=1600, worst_parameter="level[0]")
    real = train_module.fit_posterior

    def fit_with_failing_diagnostics(*args, **kwargs):
        posterior = real(*args, **kwargs)
        return type(posterior)(posterior.data, posterior.draws, failing, posterior.settings, posterior.seed)

    monkeypatch.setattr(train_module, "fit_posterior", fit_with_failing_diagnostics)
    with pytest.raises(PosteriorDiagnosticsError, match=r"split R-hat 1.200 > 1.01 \(level\[0\]\)"):
        train_module.train(out=tmp_path / "m")
    assert not (tmp_path / "m").exists() or not any((tmp_path / "m").iterdir())


def _records_file(path, country: str, rows: int = 1500, median: float = 95000.0, seed: int = 3):
    rng = np.random.default_rng(seed)
    pd.DataFrame(
        {
            "country": country,
            "years": rng.uniform(0, 15, rows).round(1),
            "company": "",
            "salary": (median * np.exp(0.2 * rng.standard_normal(rows))).round(),
            "currency": "EUR",
            "year": 2023,
            "pay": "base",
            "source": "payroll export",
        }
    ).to_csv(path, index=False)
    return path


@pytest.mark.slow  # the default suite trains a population in tests/test_populations.py
def test_train_records_enter_the_likelihood_and_move_their_population_toward_them(tmp_path, model):
    from salarymodel import load_model
    from salarymodel.serving.model_io.folder import read_card

    records = _records_file(tmp_path / "payroll.csv", "Germany", rows=400)
    done = subprocess.run(
        [sys.executable, "-m", "salarymodel.train", "--records", str(records), "--out", "m"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert "Posterior (NumPyro NUTS" in done.stdout
    card = read_card(tmp_path / "m")
    assert card["measurement_model"]["records"] == 400
    assert "records:payroll export" in card["measurement_model"]["source_offsets"]
    trained = load_model(tmp_path / "m")
    # 400 salaries around 95,000 EUR over 0-15 years: their population is answered there in the
    # middle of their years. The market keeps the sites' level; it moves only through what it
    # shares with the rows, here the German slope (flat rows pull it down), so less than half as far.
    population = trained.predict("DE", 7.5, population="payroll export", as_of="2023-07-01").median
    assert population == pytest.approx(95000, rel=0.08)
    before = model.predict("DE", 7.5, as_of="2023-07-01").median
    after = trained.predict("DE", 7.5, as_of="2023-07-01").median
    assert abs(np.log(after / before)) < 0.5 * abs(np.log(population / after))


def test_records_of_another_year_in_a_country_without_an_index_are_refused_before_sampling(tmp_path):
    records = _records_file(tmp_path / "fr.csv", "France", rows=20)
    table = pd.read_csv(records)
    table["year"] = 2021  # to be moved to 2023, France needs a wage index the shipped table lacks
    table.to_csv(records, index=False)
    done = subprocess.run(
        [sys.executable, "-m", "salarymodel.train", "--records", str(records), "--out", "m"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "No wage index for FR, needed to move its 2021 pay to 2023" in done.stderr
    assert "--wage-index FILE" in done.stderr and "Traceback" not in done.stderr and not (tmp_path / "m").exists()


@pytest.mark.slow
def test_records_for_a_country_without_figures_train_and_answer_in_their_money(tmp_path):
    from salarymodel import load_model
    from salarymodel.data.shipped import raw_data_file

    # 600 French salaries of 2023 around 52,000 EUR, flat in years: no figure names France.
    records = _records_file(tmp_path / "fr.csv", "France", rows=600, median=52000.0)
    done = subprocess.run(
        [sys.executable, "-m", "salarymodel.train", "--records", str(records), "--out", "m"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    model = load_model(tmp_path / "m")
    e = model.predict("France", 7.5)
    # In the rows' own money (EUR of 2023: no index moves French pay), said by its as_of.
    assert (e.currency, e.as_of) == ("EUR", "2023-07-01")
    assert e.median == pytest.approx(52000, rel=0.05)
    # Fresh draws of the same population fall in the 80% band about 80% of the time.
    fresh = 52000 * np.exp(0.2 * np.random.default_rng(9).standard_normal(4000))
    assert 0.75 <= np.mean((fresh >= e.low) & (fresh <= e.high)) <= 0.92
    with pytest.raises(ValueError, match="FR has no wage index.*--wage-index FILE"):
        model.predict("France", 5, as_of="2026-01-01")
    # With an index for France, the same rows answer in today's money too.
    index = pd.read_csv(raw_data_file("wage_index.csv"), dtype=str, keep_default_na=False)
    france = pd.DataFrame(
        [
            {"country": "FR", "period": "2022-07", "change_pct": "", "series": "stated 3% a year", "source": "a test"},
            {"country": "FR", "period": "2024-07", "change_pct": "6.09", "series": "stated 3% a year", "source": "a test"},
        ]
    )
    pd.concat([index, france], ignore_index=True).fillna("").to_csv(tmp_path / "wages.csv", index=False)
    done = subprocess.run(
        [sys.executable, "-m", "salarymodel.train", "--records", str(records), "--wage-index", "wages.csv", "--out", "w"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    indexed = load_model(tmp_path / "w")
    later, now = (indexed.predict("France", 7.5, as_of=d) for d in ("2024-07-01", "2023-07-01"))
    assert later.median / now.median == pytest.approx(1.0609**0.5, rel=1e-3)


@pytest.mark.slow
def test_removing_f02_leaves_the_other_bands_and_the_us_medians_from_5_years(model, tmp_path):
    # f02 (a US site whose percentiles contradict its neighbours) gets a heavy-tailed
    # offset, so it cannot set the width of the German and Indian market bands (within 7%:
    # Germany rests on one site, whose offset's spread the sites share, so f02 still
    # widens its band a little, 6.1% at 1 year on seed 0 with 4 chains). TCS, known from
    # one figure of its own site, leans on that shared spread too: within 8%.
    from salarymodel.data.shipped import raw_data_file

    shipped = pd.read_csv(raw_data_file("reported_figures.csv"), dtype=str, keep_default_na=False)
    path = tmp_path / "without_f02.csv"
    shipped[shipped["id"] != "f02"].to_csv(path, index=False)
    without = train(path, seed=0).model
    for country, company in [("DE", None), ("IN", None), ("IN", "TCS")]:
        for years in (1, 4, 8):
            a = model.predict(country, years, company, as_of=model.core.reference_date)
            b = without.predict(country, years, company, as_of=model.core.reference_date)
            bound = np.log(1.08 if company else 1.07)
            assert abs(np.log(np.log(b.high / b.low) / np.log(a.high / a.low))) < bound, (country, years)
    for years in (5, 8, 12, 20):
        a, b = (m.predict("US", years, as_of=model.core.reference_date).median for m in (model, without))
        assert abs(b / a - 1) < 0.05, years


def test_training_has_one_path_with_no_moment_model_to_choose(tmp_path):
    # The posterior is the only model trained: the quick moment model and its switch are gone.
    import inspect

    assert "posterior" not in inspect.signature(train).parameters
    done = subprocess.run(
        [sys.executable, "-m", "salarymodel.train", "--moments", "--out", "m"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 2 and "unrecognized arguments: --moments" in done.stderr
    assert not (tmp_path / "m").exists()
