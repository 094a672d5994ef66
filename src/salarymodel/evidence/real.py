"""Served bands against real salaries: ``python -m salarymodel.evaluate --real FILE``.

Anyone with real base salaries (a records file, :mod:`salarymodel.data.records`)
can check the bands a model serves. Each salary is moved to the model's
reference money (the wage index to the reference year, the reference year's
exchange rate), scored against the served predictive distribution at its
own country, years and employer, and the file is summarised per country:

* coverage of the 50/80/90% bands, each with its exact (Clopper-Pearson)
  95% binomial interval, so a small file says how little it proves;
* sharpness as proper scores, in log pay: the CRPS (from 99 served
  quantiles) and the 80% interval score;
* the model's median ratio (median over rows of real / served median);
* the same scores for two baselines that use no model: one lognormal per
  country, and one per level read off that level's figure (the country's
  lognormal where no figure reports the level).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import ndtri

from ..data.aging import load_wage_index
from ..data.figures import level_edges
from ..data.levels import levels_for_years
from ..data.normalise import normalise_figures
from ..data.records import check_records_money
from ..data.statistics import figure_points, kind_of
from ..serving.core import ModelCore
from ..serving.explanations import quantiles
from ..serving.model import SalaryModel
from ..training.state_file import training_state

__all__ = ["LEVELS", "real_salary_section", "interval_score", "crps_from_quantiles"]

LEVELS = (0.5, 0.8, 0.9)
_QUANTILES = np.arange(1, 100) / 100
_FALLBACK_SD = 0.3  # a baseline spread where a country's figures report none


def crps_from_quantiles(values: np.ndarray, quantiles: np.ndarray, levels: np.ndarray = _QUANTILES) -> np.ndarray:
    """CRPS of each value against its quantiles: twice the mean pinball loss over the levels."""
    diff = values[:, None] - quantiles
    return 2 * np.mean(np.maximum(levels * diff, (levels - 1) * diff), axis=1)


def interval_score(values: np.ndarray, low: np.ndarray, high: np.ndarray, alpha: float) -> np.ndarray:
    """Gneiting and Raftery's interval score of a central (1 - alpha) interval (smaller is better)."""
    return (high - low) + 2 / alpha * np.maximum(low - values, 0) + 2 / alpha * np.maximum(values - high, 0)


def _reference_usd(records: pd.DataFrame, core: ModelCore) -> np.ndarray:
    frame = records.assign(value=records["salary"], value_high=np.nan)
    normalised, _ = normalise_figures(frame, reference_year=core.reference_year, per_usd=core.per_usd)
    return normalised["value_usd"].to_numpy(float)


def _lognormal(figures: pd.DataFrame) -> tuple[float, float | None]:
    """(log median, sd or None) read straight off figures: ranges and percentile pairs
    give both; a mean gives the location only."""
    centres, sds = [], []
    for _, rows in figures.groupby("id"):
        quantiles = []
        for r in rows.to_dict("records"):
            kind, points = kind_of(r["statistic"]), figure_points(r)
            if kind.spans:  # one row gives both ends: its own location and spread
                (z_low, lo), (z_high, hi) = points
                centres.append((lo + hi) / 2)
                sds.append((hi - lo) / (z_high - z_low))
            elif points:
                quantiles += points
            else:  # a location only; the spread's correction follows below
                centres.append(np.log(r["value_usd"]))
        if len(quantiles) >= 2:
            z, lg = np.array(quantiles).T
            slope, intercept = np.polyfit(z, lg, 1)
            centres.append(intercept)
            sds.append(slope)
    sd = float(np.median(sds)) if sds else None
    return float(np.mean(centres)), sd


def _locations_only(figures: pd.DataFrame) -> bool:
    """Whether every figure says only where pay sits (means: the lognormal's mean, not its median)."""
    return all(kind_of(s).location_only for s in figures["statistic"])


def _baselines(data) -> tuple[dict, dict]:
    """Per country and per (country, level): (log median, sd) with no model."""
    used = data.used_figures()
    market = used[used["company"].isna()]
    country, level = {}, {}
    for code, mine in market.groupby("country"):
        centre, sd = _lognormal(mine)
        sd = sd if sd else _FALLBACK_SD
        country[code] = (centre - (sd**2 / 2 if _locations_only(mine) else 0.0), sd)
        for name, rows in mine[mine["level"] != "all"].groupby("level"):
            centre, own = _lognormal(rows)
            own = own if own else sd
            level[(code, {"late": "lead"}.get(name, name))] = (
                centre - (own**2 / 2 if _locations_only(rows) else 0.0),
                own,
            )
    return country, level


def _scores(log_real: np.ndarray, quantiles: np.ndarray) -> dict:
    """Coverage (with exact intervals), CRPS and interval score from 99 quantiles per row."""
    n = len(log_real)
    out: dict[str, object] = {"n": int(n)}
    for level in LEVELS:
        low = quantiles[:, int(round((1 - level) / 2 * 100)) - 1]
        high = quantiles[:, int(round((1 + level) / 2 * 100)) - 1]
        inside = int(np.sum((log_real >= low) & (log_real <= high)))
        bounds = None
        if n:
            interval = stats.binomtest(inside, n).proportion_ci(0.95, method="exact")
            bounds = [interval.low, interval.high]
        out[f"coverage_{int(level * 100)}"] = {"share": inside / n if n else None, "inside": inside, "interval_95": bounds}
    out["crps"] = float(np.mean(crps_from_quantiles(log_real, quantiles))) if n else None
    out["interval_score_80"] = float(np.mean(interval_score(log_real, quantiles[:, 9], quantiles[:, 89], 0.2))) if n else None
    return out


def real_salary_section(model: SalaryModel, records: pd.DataFrame, population: str | None = None) -> dict:
    """Score a records file against the model's served bands (see the module docstring),
    or a population's answers (``population``: a source of records the model was trained with)."""
    core = model.core if population is None else model.core.population_view(population, owner="evaluate")
    base = records[records["pay"] == "base"].reset_index(drop=True)
    known = base["country"].isin(core.countries)
    skipped = {"total pay": int((records["pay"] != "base").sum()), "country the model does not serve": int((~known).sum())}
    in_file = records[(records["pay"] == "base") & records["country"].isin(core.countries)]
    check_records_money(in_file, core.reference_year, core.per_usd, load_wage_index())
    rows = base[known].reset_index(drop=True)
    log_real = np.log(_reference_usd(rows, core)) if len(rows) else np.zeros(0)
    frame = pd.DataFrame({"country": rows["country"], "company": rows["company"], "years": rows["years"]})
    served = np.log(quantiles(core, frame, _QUANTILES)) if len(rows) else np.zeros((0, len(_QUANTILES)))
    trained = training_state(model).training_data
    by_country, level_baseline = _baselines(trained)
    levels = levels_for_years(rows["years"].to_numpy(float), level_edges(trained.levels))
    z = ndtri(_QUANTILES)
    country_q = np.array([by_country.get(c, (np.nan, np.nan)) for c in rows["country"]]).reshape(-1, 2)
    level_q = np.array(
        [level_baseline.get((c, lv), by_country.get(c, (np.nan, np.nan))) for c, lv in zip(rows["country"], levels)]
    ).reshape(-1, 2)
    countries: dict[str, dict] = {}
    report = {
        "file_rows": int(len(records)),
        "scored": int(len(rows)),
        "skipped": skipped,
        "money": f"each salary aged with the wage index to {core.reference_year} and converted at that "
        "year's rate; scores in log pay",
        "countries": countries,
    }
    for code in sorted(set(rows["country"])):
        mine = (rows["country"] == code).to_numpy()
        real = log_real[mine]
        countries[code] = {
            "model": {**_scores(real, served[mine]), "median_ratio": float(np.median(np.exp(real - served[mine][:, 49])))},
            "country_lognormal": _scores(real, country_q[mine, :1] + country_q[mine, 1:] * z),
            "level_lognormal": _scores(real, level_q[mine, :1] + level_q[mine, 1:] * z),
        }
    return report
