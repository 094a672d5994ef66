"""The regression that compiles the posterior's engineers, and the tables it leaves.

A model's quantile tables are its :class:`QuantileCurves` regressions'
predictions, one per served row; older formats' two-piece tables are read
into the same form.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from scipy.special import ndtr

from salarymodel import load_model
from salarymodel.serving.bands import Z_GRID, quantile_rows
from salarymodel.serving.grid import QUANTILE_YEARS
from salarymodel.serving.model_io.records import TrainingFacts
from salarymodel.training.cells import served_rows
from salarymodel.training.compile import compile_model, fit_quantile_curves
from salarymodel.training.engineers import ENGINEERS_PER_DRAW, row_engineers
from salarymodel.training.quantile_curves import QuantileCurves
from salarymodel.training.state_file import training_state

FORMAT_12 = Path(__file__).parent / "data" / "model_format_12"


def test_the_curves_recover_known_quantiles_and_never_cross():
    # Engineers on a grid of years, log pay Normal(11 + 0.03 * years, 0.2 + 0.004 * years).
    rng = np.random.default_rng(1)
    years = np.repeat(QUANTILE_YEARS, 4000)
    pay = 11 + 0.03 * years + (0.2 + 0.004 * years) * rng.standard_normal(len(years))
    curves = QuantileCurves(knots=np.linspace(0, 50, 11)).fit(years.reshape(-1, 1), pay)
    predicted = curves.predict_quantiles(QUANTILE_YEARS.reshape(-1, 1))
    exact = 11 + 0.03 * QUANTILE_YEARS[:, None] + (0.2 + 0.004 * QUANTILE_YEARS[:, None]) * Z_GRID[None, :]
    middle = np.abs(Z_GRID) <= 1.7  # the 5th to the 95th percentile
    assert np.abs(predicted - exact)[:, middle].max() < 0.02
    assert (np.diff(predicted, axis=1) >= 0).all()
    assert curves.predict(np.array([[10.0]]))[0] == pytest.approx(11.3, abs=0.01)
    assert curves.n_engineers_ == len(years) and np.allclose(curves.levels_, ndtr(Z_GRID))


def test_the_curves_smooth_what_each_point_alone_would_give():
    # Few engineers a point: the fitted curve lies nearer the truth than the points' own quantiles.
    rng = np.random.default_rng(2)
    years = np.repeat(QUANTILE_YEARS, 200)
    pay = 11 + 0.02 * years + 0.3 * rng.standard_normal(len(years))
    curves = QuantileCurves(knots=np.linspace(0, 50, 6)).fit(years.reshape(-1, 1), pay)
    exact = 11 + 0.02 * QUANTILE_YEARS[:, None] + 0.3 * Z_GRID[None, :]
    fitted = curves.predict_quantiles(QUANTILE_YEARS.reshape(-1, 1))
    middle = np.abs(Z_GRID) <= 1.7  # the 5th to the 95th percentile: 200 engineers reach no further
    assert np.abs(fitted - exact)[:, middle].mean() < 0.5 * np.abs(curves.binned_ - exact)[:, middle].mean()


def test_bad_training_input_is_refused_in_words():
    with pytest.raises(ValueError, match="one column of years"):
        QuantileCurves().fit(np.zeros((10, 2)), np.zeros(10))
    with pytest.raises(ValueError, match="same, non-zero length"):
        QuantileCurves().fit(np.zeros((10, 1)), np.zeros(9))
    with pytest.raises(ValueError, match="levels must rise"):
        QuantileCurves(levels=[0.5, 0.1]).fit(np.zeros((10, 1)), np.zeros(10))


def test_a_rows_training_set_is_every_draw_at_every_half_year(model):
    posterior = training_state(model).posterior
    years, pay = row_engineers(posterior, "DE", None, None, np.random.default_rng(0))
    assert len(pay) == posterior.size * len(QUANTILE_YEARS) * ENGINEERS_PER_DRAW
    assert set(np.unique(years)) == set(QUANTILE_YEARS)
    # Each draw's engineers at a point hold one score from each stratum: their median lies
    # at the draw's median (the stratified scores are symmetric in law).
    at_ten = pay[years == 10.0].reshape(posterior.size, ENGINEERS_PER_DRAW)
    median = posterior.median_draws("DE", None, np.array([10.0]))[:, 0]
    spread = posterior.spread_draws("DE", None, np.array([10.0]))[:, 0]
    scores = np.sort((at_ten - median[:, None]) / spread[:, None], axis=1)
    strata = ndtr(scores) * ENGINEERS_PER_DRAW
    assert (np.floor(strata) == np.arange(ENGINEERS_PER_DRAW)).all()


def test_the_served_tables_are_the_regressions_predictions_and_change_with_it(model):
    state = training_state(model)
    cells, populations = served_rows(state.training_data, state.posterior)
    fitted = state.estimator
    assert len(fitted) == len(cells) + len(populations) and all(isinstance(f, QuantileCurves) for f in fitted)
    for row, curves in enumerate(fitted):
        np.testing.assert_array_equal(model.tables.quantiles[row], curves.predict_quantiles(QUANTILE_YEARS.reshape(-1, 1)))
    # Another regression (one straight line a level) gives other tables.
    stiff = fit_quantile_curves(
        state.posterior, cells, populations, seed=0, regression=QuantileCurves(knots=[0.0, 50.0], alpha=10.0)
    )
    facts = TrainingFacts(seed=0, rows=1, rows_per_country=1, version="test")
    other = compile_model(stiff, state.training_data, facts, state.posterior)
    difference = np.abs(other.tables.quantiles - model.tables.quantiles)
    assert difference.max() > 0.05
    assert other.predict("DE", 5).median != model.predict("DE", 5).median


def test_served_percentiles_are_the_tables_read_linearly_in_the_normal_score(model):
    z_index = int(np.flatnonzero(np.isclose(Z_GRID, 1.0))[0])
    level = float(ndtr(Z_GRID[z_index]))
    served = quantile_rows(level, model.tables.quantiles)
    at_points = served[:, np.searchsorted(np.round(np.linspace(0, 50, served.shape[1]), 9), QUANTILE_YEARS)]
    np.testing.assert_allclose(at_points, np.maximum.accumulate(model.tables.quantiles[:, :, z_index], axis=1))


# tests/data/model_format_12 is the shipped folder as format 12 wrote it (the two-piece form,
# centre + scale * (S + rZ)); these are its answers under format 12's own reader, as_of pinned.
FORMAT_12_ANSWERS = {
    ("DE", 5, None): [48759.1, 69186.24, 98566.5, 56895.51, 85442.52],
    ("US", 1, None): [67585.6, 94657.24, 132742.48, 82755.53, 108103.13],
    ("IN", 3, "Infosys"): [417722.33, 609994.13, 920812.36, 483670.39, 799227.92],
    ("US", 12, "TikTok"): [206861.27, 267772.98, 345008.62, 239498.12, 299012.86],
    ("DE", 30, None): [81795.04, 119695.43, 175865.84, 94996.47, 151060.73],
    ("IN", 0.37, "Microsoft"): [1075239.88, 1685605.1, 2535227.57, 1214299.92, 2202679.41],
    ("US", 47.3, None): [117012.48, 156322.28, 208465.92, 141763.06, 171510.36],
}
FORMAT_12_PERCENTILES = {  # the 1st, 5th, 25th, 75th, 95th and 99th
    ("DE", 5, None): [35154.18, 43762.67, 57802.48, 82882.72, 110080.52, 137884.86],
    ("IN", 0.37, "Microsoft"): [674242.83, 925001.5, 1349894.63, 2080414.48, 2874044.91, 3700405.45],
    ("US", 47.3, None): [91740.79, 107081.86, 134741.36, 181164.83, 227722.73, 268491.87],
}


def test_a_format_12_folder_is_read_into_quantile_tables_and_answers_within_a_tenth_of_a_percent():
    old = load_model(FORMAT_12)
    assert old.tables.quantiles.shape == (9, len(QUANTILE_YEARS), len(Z_GRID))
    for (country, years, company), values in FORMAT_12_ANSWERS.items():
        e = old.predict(country, years, company, as_of="2023-07-01")
        assert [e.low, e.median, e.high, e.median_low, e.median_high] == pytest.approx(values, rel=1e-3)
    for (country, years, company), values in FORMAT_12_PERCENTILES.items():
        got = old.percentiles(country, years, company, q=(1, 5, 25, 75, 95, 99), as_of="2023-07-01")
        assert list(got.values()) == pytest.approx(values, rel=1e-3)


def _rewritten(folder: Path, version: int, drop: str | None = None, change=None) -> None:
    """A copy of a model folder's data file with ``drop`` left out or ``change`` applied to
    its arrays, its card saying format ``version``."""
    data_path = next(folder.glob("salary_model-*.npz"))
    with np.load(data_path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files if name != drop}
    if change is not None:
        change(arrays)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    data_path.write_bytes(buffer.getvalue())
    card_path = folder / "salary_model.json"
    card = json.loads(card_path.read_text())
    card["format_version"] = version
    card["artifact"]["sha256"] = hashlib.sha256(buffer.getvalue()).hexdigest()
    card["artifact"]["bytes"] = len(buffer.getvalue())
    card_path.write_text(json.dumps(card))


def test_a_format_9_file_reads_one_scale_for_both_sides(tmp_path):
    # Format 9 had no scale_high: its one scale serves both sides. Below the median both
    # readings agree; above it the format-9 file answers with the lower side's scale.
    folder = tmp_path / "m"
    shutil.copytree(FORMAT_12, folder)
    _rewritten(folder, 9, drop="scale_high")
    older, newer = load_model(folder), load_model(FORMAT_12)
    for years in (1.0, 5.0, 12.5):
        below = [m.percentiles("DE", years, q=(10, 25, 50), as_of="2023-07-01") for m in (older, newer)]
        assert list(below[0].values()) == pytest.approx(list(below[1].values()), rel=1e-12)
    with np.load(next(FORMAT_12.glob("salary_model-*.npz"))) as archive:
        assert not np.array_equal(archive["scale_high"], archive["scale"])  # so the upper side can differ
    upper = [m.percentiles("IN", 3.0, "Microsoft", q=(90,), as_of="2023-07-01")[90.0] for m in (older, newer)]
    assert upper[0] != upper[1]


def test_a_format_12_file_with_tables_of_the_wrong_shape_is_refused_by_name(tmp_path):
    from salarymodel.errors import ModelIntegrityError

    folder = tmp_path / "m"
    shutil.copytree(FORMAT_12, folder)

    def shorter_shapes(arrays):
        arrays["shapes"] = arrays["shapes"][:, :, :-1]

    _rewritten(folder, 12, change=shorter_shapes)
    with pytest.raises(ModelIntegrityError, match=r"'shapes' must be a finite table of shape \(3, 81, 71\)"):
        load_model(folder)


def test_the_docs_quote_the_regressions_settings_as_the_code_has_them():
    from salarymodel.serving.model_io._protocol import FORMAT_VERSION
    from salarymodel.training.engineers import DEFAULT_ROWS_PER_COUNTRY
    from salarymodel.training.measurement import POPULATION_SPREAD_SD

    docs = Path(__file__).parents[1] / "docs"
    methodology = " ".join((docs / "methodology.md").read_text(encoding="utf-8").split())
    assert f"every posterior draw gives {ENGINEERS_PER_DRAW} engineers" in methodology
    assert f"at {len(Z_GRID)} normal-score levels ({Z_GRID[0]:g} to {Z_GRID[-1]:g} sd)" in methodology
    assert f"{DEFAULT_ROWS_PER_COUNTRY:,} per country (`--rows`)" in methodology
    assert f"`log factor ~ Normal(0, {POPULATION_SPREAD_SD:g})`" in methodology
    model_files = " ".join((docs / "model-files.md").read_text(encoding="utf-8").split())
    assert f"format ({FORMAT_VERSION})" in model_files
