"""The figures of one training run in one money: read, folded and normalised once.

:func:`training_data` is the data stage's last step. It reads the figures,
folds employer names that serving treats as one (aliases), moves every
figure to the reference year's money (:mod:`salarymodel.data.normalise`),
marks the figures the base-pay model leaves out, and keeps the tables it
read (levels, aliases, wage index) so that no later stage reads them again.
Individual salaries (records) are put in the same money: base pay only,
employers under a figure's spelling folded onto it, aged with the same
indices and converted at the same rates.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .aging import WageSeries, load_wage_index
from .figures import exclusion_reasons, load_figures, load_levels, local_currencies
from .names import fold_company_names, load_company_aliases
from .normalise import MoneyBasis, load_cpi, normalise_figures
from .records import check_records_money
from .statistics import figure_points
from .tables import TablePaths

__all__ = ["TrainingData", "training_data", "with_records"]


@dataclass
class TrainingData:
    """Everything a training run reads, normalised to one money basis.

    Attributes
    ----------
    figures : pandas.DataFrame
        Every figure row, normalised (``value_usd``, ``value_high_usd``,
        ``aging_factor``, ``cpi_factor``) with ``excluded``: why the figure is
        left out ('' when used).
    basis : MoneyBasis
        Reference year, exchange rates and the aging applied.
    levels : pandas.DataFrame
        The level -> years table.
    tables : TablePaths
        Where the wage, price and alias tables came from.
    aliases : dict of str to str
        Employer aliases (folded name -> the name serving uses).
    wages : dict of str to WageSeries
        Wage indices per country, for the served money table.
    records : pandas.DataFrame or None
        The base-pay records in reference-year USD (``salary_usd``, ``real_growth_years``),
        or None.
    """

    figures: pd.DataFrame
    basis: MoneyBasis
    levels: pd.DataFrame
    tables: TablePaths
    aliases: dict[str, str]
    wages: dict[str, WageSeries] = field(repr=False)
    records: pd.DataFrame | None = field(default=None, repr=False)

    def used_figures(self) -> pd.DataFrame:
        """Rows of the figures that enter the model."""
        return self.figures[self.figures["excluded"] == ""]

    def local_currencies(self) -> dict[str, str]:
        """Each country's currency: its figures' usual one, else its records' (a country
        known only from records answers in their currency)."""
        found = local_currencies(self.figures)
        if self.records is not None and len(self.records):
            found = {**local_currencies(self.records), **found}
        return found


def _records_in_reference_money(records: pd.DataFrame, figures: pd.DataFrame, basis: MoneyBasis, wages, aliases) -> pd.DataFrame:
    """Base-pay records in the figures' reference-year USD (aged with the indices, converted
    at the reference year's rates); total-pay rows are left out."""
    check_records_money(records[records["pay"] == "base"], basis.reference_year, basis.per_usd, wages)
    base = records[records["pay"] == "base"].reset_index(drop=True)
    used = figures[figures["excluded"] == ""]
    known = zip(used["country"], used["company"])
    base["company"] = fold_company_names(base["country"], base["company"], known, aliases=aliases)
    frame = base.assign(value=base["salary"], value_high=np.nan)
    normalised, _ = normalise_figures(frame, reference_year=basis.reference_year, wages=wages, per_usd=basis.per_usd)
    return base.assign(
        salary_usd=normalised["value_usd"].to_numpy(float), real_growth_years=normalised["real_growth_years"].to_numpy(float)
    )


def _check_spreads_rise(used: pd.DataFrame) -> None:
    """A figure's percentiles and range ends must rise with their level: a pair
    that does not is a typing slip no model can read."""
    for figure_id, rows in used.groupby("id", sort=False):
        points = [point for row in rows.to_dict("records") for point in figure_points(row)]
        if len(points) < 2:
            continue
        points.sort()
        z, value = np.array(points).T
        if np.any(np.diff(value) <= 0) or np.any(np.diff(z) <= 0):
            raise ValueError(
                f"Figure {figure_id!r}: its quantiles/range must rise with the percentile. "
                f"Got values {np.round(value, 0).tolist()} at normal scores {np.round(z, 3).tolist()}."
            )


def training_data(
    figures: pd.DataFrame | str | Path | None = None,
    *,
    records: pd.DataFrame | None = None,
    tables: TablePaths | None = None,
    reference_year: int | None = None,
    basis: MoneyBasis | None = None,
) -> TrainingData:
    """Read and normalise the figures of one training run.

    Parameters
    ----------
    figures : DataFrame, str or Path, default=None
        Figures (from :func:`~salarymodel.data.figures.load_figures`) or a
        figures file; the shipped figures when None.
    records : pandas.DataFrame, default=None
        Individual salaries (:func:`~salarymodel.data.records.load_records`'s frame),
        put in the figures' money; a country they hold and the figures lack takes its
        currency from them.
    tables : TablePaths, default=None
        Your own wage-index, CPI and alias tables; the shipped ones when None.
    reference_year : int, default=None
        Year whose money the figures are put in; the latest year in them.
    basis : MoneyBasis, default=None
        Reuse a basis already computed (its year and rates; skips the ECB
        table). Figures that already carry ``value_usd`` are taken as in it.

    Returns
    -------
    TrainingData

    Raises
    ------
    ValueError
        No usable figure, a figure whose percentiles do not rise, or records of
        another year than the reference year in a country without an index.

    Examples
    --------
    The shipped figures: 25 of 27 are used (one is total pay, one names no country),
    all in the money of 2023.

    >>> data = training_data()
    >>> data.basis.reference_year, data.used_figures()["id"].nunique()
    (2023, 25)
    """
    tables = tables or TablePaths()
    table = load_figures(figures) if figures is None or isinstance(figures, (str, Path)) else figures
    if "group" not in table:
        table = table.assign(group=None)
    # One employer per name that serving folds together ("TIKTOK Inc." is TikTok).
    aliases = load_company_aliases(tables.path("aliases"))
    table = table.assign(company=fold_company_names(table["country"], table["company"], aliases=aliases))
    wages = load_wage_index(tables.path("wage_index"))
    if basis is not None and "value_usd" in table:
        normalised = table.copy()
    elif basis is not None:
        normalised, basis = normalise_figures(table, reference_year=basis.reference_year, wages=wages, per_usd=basis.per_usd)
    else:
        normalised, basis = normalise_figures(table, reference_year=reference_year, wages=wages, cpi=load_cpi(tables.path("cpi")))
    normalised["excluded"] = exclusion_reasons(normalised)
    used = normalised[normalised["excluded"] == ""]
    if used.empty:
        raise ValueError("No usable figure: every figure is total pay or names no country.")
    _check_spreads_rise(used)
    data = TrainingData(normalised, basis, load_levels(), tables, aliases, wages)
    return data if records is None else with_records(data, records)


def with_records(data: TrainingData, records: pd.DataFrame) -> TrainingData:
    """``data`` with ``records`` (:func:`~salarymodel.data.records.load_records`'s frame)
    put in its money: base pay only, in reference-year USD."""
    in_money = _records_in_reference_money(records, data.figures, data.basis, data.wages, data.aliases)
    return replace(data, records=in_money)
