"""How well a model reproduces each reported figure: one computation, used
by the evaluation report, the model card and :func:`salarymodel.explain`.

For a figure's cell the model's salary distribution is the mixture, over
the cell's years (drawn as the training set draws them, fixed seed), of the
model's predictive quantiles. The figure's statistic (mean, percentile or
range ends) is computed on that mixture and compared with the reported value.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ..data.levels import sample_years
from ..data.listing import first_ids
from ..data.statistics import kind_of, sorted_quantile
from ..data.training_data import TrainingData

__all__ = ["P_GRID", "fidelity_table", "cell_sample"]

# Probability levels at which the predictive distribution is read.
P_GRID = (np.arange(200) + 0.5) / 200
_CELL_YEARS = 400
# Overlapping figures a reason names before it counts the rest.
_NAMED_OVERLAPS = 8

QuantileFunction = Callable[[pd.DataFrame, np.ndarray], np.ndarray]


def cell_sample(quantiles: QuantileFunction, figure: pd.Series | dict, levels: pd.DataFrame, company: str | None) -> np.ndarray:
    """A model's salaries for a figure's cell: predictive quantiles mixed over
    the cell's years (drawn as the training set draws them, fixed seed)."""
    years = sample_years(figure["level"], figure["years_min"], figure["years_max"], levels, _CELL_YEARS, np.random.default_rng(0))
    frame = pd.DataFrame({"country": figure["country"], "company": company, "years": years})
    return np.asarray(quantiles(frame, P_GRID)).ravel()


def _why_not(figure: dict, key: tuple, used: pd.DataFrame, overlapping: dict) -> str:
    if isinstance(figure["company"], str):
        return (
            "partially pooled toward its market: an employer's effect has a prior centred on the market, "
            "so the model moves a site's employer figure part of the way toward it"
        )
    if key not in overlapping:  # the figures whose cells overlap this one's, found once per cell
        company = figure["company"]
        same = used[
            (used["country"] == figure["country"])
            & ((used["company"] == company) | (used["company"].isna() & pd.isna(company)))
            & (used["years_min"] < figure["years_max"])
            & (used["years_max"] > figure["years_min"])
        ]
        ids = sorted(same["id"].unique())
        overlapping[key] = (ids, set(ids))
    ids, members = overlapping[key]
    own = figure["id"]
    # A survey can put thousands of figures in one cell: name a few, count the rest.
    others = len(ids) - (own in members)
    if others:
        named = first_ids([i for i in ids[: _NAMED_OVERLAPS + 1] if i != own], _NAMED_OVERLAPS, total=others)
        return f"sources disagree: overlapping figures {named} report other values; the model fits between them"
    return "the country's smooth level curve cannot pass through this figure exactly"


def _cell_key(figure) -> tuple:
    """Figures with the same key have the same cell, so the same model distribution."""
    company = figure["company"] if isinstance(figure["company"], str) else None
    return (figure["country"], company, figure["level"], float(figure["years_min"]), float(figure["years_max"]))


def fidelity_table(quantiles: QuantileFunction, data: TrainingData, countries: tuple[str, ...]) -> pd.DataFrame:
    """One row per reported figure statistic, with the model's value beside it.

    Parameters
    ----------
    quantiles : callable
        ``quantiles(frame, levels)`` -> array (rows, levels) of salaries in
        reference-year USD, for a frame with country, company, years.
    data : TrainingData
        The run's figures (normalised) and levels.
    countries : tuple of str
        Countries the model knows.

    Returns
    -------
    pandas.DataFrame
        Columns: id, source, site, country, company, level, years_min, years_max,
        statistic, currency, published_year, published_value and
        published_value_high (as the source published it), reported_usd, reported_high_usd, model_usd,
        model_high_usd, relative_error, relative_error_high, in_band_80,
        in_band_95, status ('reproduced', 'not reproduced', 'excluded') and
        reason.
    """
    figures = data.figures
    used = figures[figures["excluded"] == ""]
    records = []
    # One model distribution per cell, not per figure: many figures share a cell,
    # so the cost grows with the cells, not with the figures.
    samples: dict[tuple, np.ndarray] = {}
    overlapping: dict[tuple, list] = {}
    for figure in figures.to_dict("records"):
        record = {
            column: figure[column]
            for column in ("id", "source", "country", "company", "level", "years_min", "years_max", "statistic", "currency")
        }
        # The site or survey behind the figure ('' where the article names none), and the figure
        # as that source published it (its own currency and year), beside the model's money.
        detail = figure.get("source_detail")
        record["site"] = detail if isinstance(detail, str) else ""
        record.update(published_year=figure["year"], published_value=figure["value"], published_value_high=figure["value_high"])
        record.update(
            reported_usd=figure["value_usd"],
            reported_high_usd=figure["value_high_usd"],
            model_usd=np.nan,
            model_high_usd=np.nan,
            relative_error=np.nan,
            relative_error_high=np.nan,
            in_band_80=None,
            in_band_95=None,
        )
        if figure["excluded"] or figure["country"] not in countries:
            record.update(status="excluded", reason=figure["excluded"] or "country not in the model")
            records.append(record)
            continue
        key = _cell_key(figure)
        if key not in samples:  # sorted once, so each statistic is a lookup, not a partition
            samples[key] = np.sort(cell_sample(quantiles, figure, data.levels, key[1]))
        sample = samples[key]
        kind = kind_of(figure["statistic"])
        model_value, model_high = kind.value_on(sample, figure["coverage"])
        band80, band95 = sorted_quantile(sample, [0.1, 0.9]), sorted_quantile(sample, [0.025, 0.975])
        reported = [figure["value_usd"]] + ([figure["value_high_usd"]] if kind.spans else [])
        error = model_value / figure["value_usd"] - 1
        error_high = model_high / figure["value_high_usd"] - 1 if kind.spans else np.nan
        worst = np.nanmax(np.abs([error, error_high]))
        record.update(
            model_usd=model_value,
            model_high_usd=model_high,
            relative_error=error,
            relative_error_high=error_high,
            in_band_80=bool(all(band80[0] <= v <= band80[1] for v in reported)),
            in_band_95=bool(all(band95[0] <= v <= band95[1] for v in reported)),
        )
        tolerance = kind.tolerance
        if worst <= tolerance:
            record.update(status="reproduced", reason=f"within {tolerance:.0%}")
        else:
            record.update(status="not reproduced", reason=_why_not(figure, key, used, overlapping))
        records.append(record)
    return pd.DataFrame.from_records(records)
