"""Statistic kinds as classes: each kind a figure can be declares its reading, its
term in the measurement model, its value on a sample of pay and its tolerance, so
adding a kind is one class (here a toy one, trained with)."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd
import pytest

from salarymodel.data import statistics
from salarymodel.data.figures import load_figures
from salarymodel.data.shipped import raw_data_file
from salarymodel.data.statistics import (
    KINDS,
    LOCATION_TOLERANCE,
    CellView,
    Mean,
    OrderOfSites,
    Quantile,
    Range,
    StatisticKind,
    statistic_kind,
)
from salarymodel.errors import FiguresError
from salarymodel.serving.explanations import quantiles
from salarymodel.train import train
from salarymodel.training.fidelity import cell_sample


class GeometricMean(StatisticKind):
    """A toy kind: the geometric mean of salaries, exp(mean log pay)."""

    words = "gmean"
    tolerance = LOCATION_TOLERANCE

    @classmethod
    def parse(cls, text: str) -> StatisticKind | None:
        return cls(text) if text == "gmean" else None

    @staticmethod
    def predicted(cell: CellView) -> Any:
        return cell.centre

    def value_on(self, sorted_sample: np.ndarray, coverage: float) -> tuple[float, float]:
        return float(np.exp(np.log(sorted_sample).mean())), float("nan")

    def normal_points(self, value: float, high: float, coverage: float) -> list[tuple[float, float]]:
        return [(0.0, float(np.log(value)))]


@pytest.fixture
def with_geometric_means():
    statistics.register(GeometricMean)
    try:
        yield
    finally:
        KINDS.remove(GeometricMean)
        GeometricMean.code = -1


def test_each_statistic_a_figures_file_names_is_read_by_one_kind():
    assert [type(statistic_kind(text)) for text in ("mean", "median", "p25", "range")] == [Mean, Quantile, Quantile, Range]
    assert type(statistic_kind("mean", ranked=True)) is OrderOfSites
    assert statistic_kind("p0") is None and statistic_kind("gmean") is None and statistic_kind("p100") is None
    assert statistic_kind("p25").z == pytest.approx(-0.6745, abs=1e-4)
    assert [kind.code for kind in KINDS] == list(range(len(KINDS)))
    # One formula for numpy and JAX: a range's ends sit symmetrically around the cell's centre.
    cell = CellView(np.array([11.5]), np.array([11.0]), np.array([0.2]), np.array([0.0]), np.array([1.0]), np.array([0.1]))
    assert Range.predicted(cell) + Range.predicted_high(cell) == pytest.approx(2 * cell.centre)
    assert OrderOfSites.predicted(cell) == pytest.approx(Mean.predicted(cell) + 0.1)


def test_a_statistic_no_kind_reads_is_refused_naming_every_kind(edited_figures):
    with pytest.raises(FiguresError, match=r"column 'statistic'.*must be mean, median, a percentile p1..p99 or range"):
        load_figures(edited_figures({(0, "statistic"): "gmean"}))


def test_a_new_kind_is_one_class_the_loader_reads_and_the_model_trains_with(with_geometric_means, tmp_path):
    table = pd.read_csv(raw_data_file("reported_figures.csv"), dtype=str, keep_default_na=False)
    # A toy survey's geometric mean for f18's cell (mid-level Germany), at that range's centre.
    german = table[table["id"] == "f18"].iloc[0].copy()
    german.update({"id": "t01", "source": "T0", "source_detail": "a toy survey", "statistic": "gmean", "value": "69282"})
    german.update({"value_high": "", "coverage": "", "group": "", "group_rank": "", "note": ""})
    path = tmp_path / "figures.csv"
    pd.concat([table, german.to_frame().T], ignore_index=True).to_csv(path, index=False)
    assert statistics.kind_words().endswith("range or gmean")  # messages name the new kind too

    result = train(figures=path, seed=0)
    fidelity = result.model.fidelity().set_index("id")
    toy = fidelity.loc["t01"]
    # The model's value of the toy statistic is the toy kind's own: exp(mean log pay) of the cell.
    levels = result.model.training.training_data.levels
    sample = np.sort(
        cell_sample(functools.partial(quantiles, result.model.core), toy.to_dict() | {"country": "DE"}, levels, None)
    )
    assert toy["model_usd"] == pytest.approx(np.exp(np.log(sample).mean()), rel=1e-9)
    assert toy["status"] in ("reproduced", "not reproduced") and abs(toy["relative_error"]) < 0.5
    # The measurement model read it through its kind: its predicted statistic is the cell's
    # centre, the same functional a median gets at its 50th percentile.
    posterior = result.model.training.posterior
    row = posterior.data.ids.index("t01")
    assert posterior.data.kind[row] == GeometricMean.code
    assert np.isfinite(posterior.draws["predicted_low"][:, row]).all()
