"""Scoring a table of profiles with a :class:`~salarymodel.serving.core.ModelCore`.

The vectorised side of serving: each row's country, company and years are
resolved once per distinct value (or pair), then centre, band scale and
median are gathered from the model's tables in one pass with numpy. The
model's :meth:`~salarymodel.serving.model.SalaryModel.predict_frame` calls
:func:`predict_frame` here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np

from ..data.levels import MAX_YEARS
from ..errors import ParameterError, ParameterTypeError
from .bands import check_confidence, rising_in_levels
from .estimate import SUPPORT_GRADES, InvalidRowsError
from .grid import GRID_SIZE, grid_index, grid_position, interpolate

_NORMAL = NormalDist()

if TYPE_CHECKING:
    import pandas as pd

    from .core import ModelCore

__all__ = ["predict_frame", "resolve_rows", "frame_categories", "read_tables", "read_stacked"]


def read_tables(tables: tuple[np.ndarray, ...], cell: np.ndarray, years: np.ndarray) -> list[np.ndarray]:
    """Each table (cells x grid) linearly interpolated at ``years``."""
    i, f = grid_position(years)
    return [table[cell, i] + f * (table[cell, i + 1] - table[cell, i]) for table in tables]


def read_stacked(stacked: np.ndarray, cell: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Rows of ``stacked`` (k, cells * grid) at ``years``, shape (k, rows):
    the interpolation of :func:`read_tables` as two contiguous gathers
    (positions from :func:`~salarymodel.serving.grid.grid_position`)."""
    i, f = grid_position(years)
    flat = cell * GRID_SIZE + i
    lower = np.take(stacked, flat, axis=1)
    upper = np.take(stacked, flat + 1, axis=1)
    upper -= lower
    upper *= f
    upper += lower
    values: np.ndarray = upper
    return values


def resolve_rows(
    core: ModelCore, frame: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[tuple[int, str, str]]]:
    """Cell index, country index, known flag and years per row, plus
    problems as (row position, column, reason)."""
    from ._rows import factorize, numeric_years, unwrap

    problems: list[tuple[int, str, str]] = []
    n = len(frame)
    codes, uniques = factorize(frame["country"])
    country_idx = np.full(n, -1)
    position = {c: i for i, c in enumerate(core.countries)}
    resolved = np.full(len(uniques), -1)
    unique_errors = {}
    for u, value in enumerate(uniques):
        try:
            resolved[u] = position[core.resolve_country(unwrap(value))]
        except (ValueError, TypeError) as error:
            unique_errors[u] = str(error).split(". Pass")[0]
    ok = codes >= 0
    if ok.all():
        country_idx = np.take(resolved, codes)
    else:
        country_idx[ok] = resolved[codes[ok]]
    for row in np.flatnonzero(~ok):
        problems.append((int(row), "country", "missing country"))
    for u, reason in unique_errors.items():
        for row in np.flatnonzero(codes == u):
            problems.append((int(row), "country", reason))

    raw_years = frame["years"]
    years = numeric_years(raw_years)
    bad_years = ~((years >= 0.0) & (years <= MAX_YEARS))
    for row in np.flatnonzero(bad_years):
        problems.append(
            (int(row), "years", f"must be a finite number of years in [0, {MAX_YEARS:g}]; got {frame['years'].iloc[row]!r}")
        )

    market_cells = np.array([core.cell_index(c) for c in core.countries])
    ci = np.maximum(country_idx, 0)
    if "company" not in frame.columns:
        return np.take(market_cells, ci), country_idx, np.zeros(n, dtype=bool), years, problems
    company_codes, company_names = factorize(frame["company"])
    # One integer per (country, company) pair, 0 standing for "no company":
    # each pair is resolved once, then every row reads its pair's answer.
    width = len(company_names) + 1
    pair = ci * width + (company_codes + 1)
    n_pairs = len(core.countries) * width
    if n_pairs <= 4 * n + 1024:  # a count per possible pair is cheaper than sorting
        present = np.flatnonzero(np.bincount(pair, minlength=n_pairs))
        slot = np.zeros(n_pairs, dtype=np.int64)
        slot[present] = np.arange(len(present))
        inverse = np.take(slot, pair)
    else:
        present, inverse = np.unique(pair, return_inverse=True)
    pair_cell = np.empty(len(present), dtype=np.int64)
    pair_known = np.zeros(len(present), dtype=bool)
    for u, code in enumerate(present):
        c_idx, k = divmod(int(code), width)
        pair_cell[u] = market_cells[c_idx]
        name = unwrap(company_names[k - 1]) if k else None
        if name is None or (isinstance(name, str) and not name.strip()):
            continue  # no company, or a blank one: the market
        try:
            pair_cell[u], _, pair_known[u], _ = core.resolve_company(core.countries[c_idx], name)
        except (ValueError, TypeError) as error:
            rows = np.flatnonzero(inverse == u)
            problems.extend((int(row), "company", str(error)) for row in rows if country_idx[row] >= 0)
    cell = np.take(pair_cell, inverse)
    known = np.take(pair_known, inverse)
    known[country_idx < 0] = False
    return cell, country_idx, known, years, problems


def predict_frame(
    core: ModelCore,
    frame: pd.DataFrame,
    *,
    confidence: float = 0.8,
    currency: str | None = None,
    errors: str = "raise",
    sources: bool = False,
    as_of: object = None,
    aging_rate: float | None = None,
    percentiles: tuple[float, ...] | None = None,
) -> pd.DataFrame:
    """Estimate many engineers at once, vectorised.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``country``, ``years`` and optionally ``company``
        (missing or empty means the market).
    confidence : float, default=0.8
        Nominal coverage of the bands.
    currency : str, default=None
        One currency for all rows; each row's local currency when None.
    errors : {'raise', 'coerce'}, default='raise'
        ``'raise'``: any bad row raises :class:`InvalidRowsError` naming
        every bad row and why. ``'coerce'``: bad rows get NaN and their
        reason in an ``error`` column; good rows are scored.
    sources : bool, default=False
        Add a ``sources`` column (tuple of figure ids per row).
    as_of, aging_rate
        As for :meth:`predict`, one for all rows. With ``as_of=None``
        each country gets today clamped to what its tables support.
    percentiles : sequence of float, default=None
        Also return these percentiles of each row's salary distribution, as
        columns ``p10``, ``p25``, ... (the same numbers as
        :meth:`~salarymodel.serving.model.SalaryModel.percentiles`).

    A ``salary`` column (empty for none) adds ``percentile`` and
    ``compa_ratio`` (salary over the median): where each row's salary
    stands, as :meth:`~salarymodel.serving.model.SalaryModel.rank` gives it.

    Returns
    -------
    pandas.DataFrame
        Same index as ``frame``; columns ``low``, ``median``, ``high``
        (float), ``currency``, ``support`` and ``as_of`` (categorical:
        one small code per row, empty for a bad row), ``company_known``
        and ``projected`` (bool), plus ``sources`` on request (tuples)
        and ``error`` with 'coerce' ('' for a good row), and the requested
        percentile columns.
    """
    import pandas as pd

    from ._rows import problem_table, require_profile_columns

    if not isinstance(frame, pd.DataFrame):
        if type(frame).__module__.startswith("dask"):
            from ._dask import predict_dask

            return predict_dask(
                predict_frame,
                frame_categories,
                core,
                frame,
                confidence=confidence,
                currency=currency,
                sources=sources,
                as_of=as_of,
                aging_rate=aging_rate,
                percentiles=percentiles,
                errors=errors,
            )
        raise ParameterTypeError(
            "frame", f"predict_frame expects a pandas or Dask DataFrame. Got {type(frame).__name__} instead."
        )
    if errors not in ("raise", "coerce"):
        raise ParameterError(
            "errors", f"The 'errors' parameter of predict_frame must be 'raise' or 'coerce'. Got {errors!r} instead."
        )
    require_profile_columns(frame.columns)
    confidence = check_confidence(confidence, "predict_frame")
    levels = core.check_q(percentiles) if percentiles is not None else None
    from .year_ranges import split_year_ranges

    frame = split_year_ranges(frame)  # a years cell '3-5' is a range, as on the command line
    cell, country_idx, known, years, problems = resolve_rows(core, frame)
    years_max = _years_max(frame, years, problems)
    salary = _salaries(frame, problems)
    if problems and errors == "raise":
        raise InvalidRowsError(problem_table(problems, frame.index), len(frame))
    bad = np.zeros(len(frame), dtype=bool)
    bad[[position for position, _, _ in problems]] = True

    any_bad = bool(problems)
    ci = np.maximum(country_idx, 0)
    n_countries = len(core.countries)
    # Only the countries present are quoted: a date one country's tables
    # cannot serve does not fail a frame without that country.
    present = np.flatnonzero(np.bincount(ci[~bad] if any_bad else ci, minlength=n_countries))
    # Per country: log multiplier, low and high band score; currency and as_of
    # category codes; projected flag (-1 / False for a country not present).
    currencies, as_ofs = frame_categories(core, currency, as_of)
    log_rate = np.zeros(n_countries)
    codes = np.full((2, n_countries), -1, dtype=np.int8)
    projected = np.zeros(n_countries, dtype=bool)
    for i in present:
        quote = core.money_quote(core.countries[i], currency, as_of, aging_rate)
        log_rate[i] = math.log(quote.multiplier)
        codes[:, i] = currencies.index(quote.currency), as_ofs.index(quote.as_of)
        projected[i] = quote.projected
    y = np.where(bad, 0.0, years) if any_bad else years
    points = grid_index(y)
    block = read_stacked(core.stacked(confidence), cell, y)  # rows: low, median, high
    np.minimum(block[0], block[1], out=block[0])  # the band never crosses the median
    np.maximum(block[2], block[1], out=block[2])
    row_rate = np.take(log_rate, ci)
    block += row_rate
    np.exp(block, out=block)
    if any_bad:
        block[:, bad] = np.nan
    result = pd.DataFrame({"low": block[0], "median": block[1], "high": block[2]}, index=frame.index, copy=False)
    # Categorical columns: a code per row instead of a string object per row.
    currency_codes, as_of_codes = np.take(codes[0], ci), np.take(codes[1], ci)
    if any_bad:
        currency_codes[bad] = as_of_codes[bad] = -1
    result["currency"] = pd.Categorical.from_codes(currency_codes, categories=currencies)
    result["company_known"] = known
    result["employer"] = _employers(core, cell, bad)
    support = np.take(core.tables.support.reshape(-1), cell * GRID_SIZE + points)
    if any_bad:
        support[bad] = -1
    result["support"] = pd.Categorical.from_codes(support, categories=SUPPORT_GRADES)
    result["as_of"] = pd.Categorical.from_codes(as_of_codes, categories=as_ofs)
    result["projected"] = np.take(projected, ci) & ~bad if any_bad else np.take(projected, ci)
    if sources:
        lists = np.empty(len(core.source_lists), dtype=object)
        lists[:] = core.source_lists
        column = lists[core.tables.source[cell, points]]
        column[bad] = None
        result["sources"] = column
    if levels is not None:
        stacked = np.stack([core.quantile_table(level) for level in levels]).reshape(len(levels), -1)
        values = np.exp(read_stacked(stacked, cell, y) + row_rate)
        values = rising_in_levels(values, levels, axis=0)
        if any_bad:
            values[:, bad] = np.nan
        for q, column in zip(percentiles or (), values):
            result[f"p{float(q):g}"] = column
    if years_max is not None:
        _apply_ranges(core, result, cell, years, years_max, bad, np.take(log_rate, ci), confidence, levels, percentiles)
    if salary is not None:
        _apply_salary(core, result, salary, cell, y, points, bad, row_rate, years, years_max)
    if errors == "coerce":
        reasons = np.full(len(frame), "", dtype=object)
        for position, column, reason in problems:
            previous = reasons[position]
            reasons[position] = (previous + "; " if previous else "") + f"{column}: {reason}"
        result["error"] = reasons
    return result


def _salaries(frame: pd.DataFrame, problems: list[tuple[int, str, str]]) -> np.ndarray | None:
    """The optional ``salary`` column (a salary to rank; empty for none), with a
    problem for each value outside the salaries :func:`~salarymodel.serving.rank.check_salary` ranks."""
    if "salary" not in frame.columns:
        return None
    from ._rows import numeric_years
    from .constraints import SALARY

    raw = frame["salary"]
    values = numeric_years(raw)  # numbers and numeric text, as for years
    given = ~raw.isna().to_numpy() & (raw.astype(str).str.strip() != "").to_numpy()
    low, high = SALARY.low, SALARY.high
    bad = given & ~((values >= low) & (values <= high))
    for row in np.flatnonzero(bad):
        problems.append(
            (
                int(row),
                "salary",
                f"must be empty, or an annual base salary from {low:,.0f} to {high:,.0f} in the row's currency; "
                f"got {str(raw.iloc[row])[:40]}",
            )
        )
    return np.where(given & ~bad, values, np.nan)


def _apply_salary(
    core: ModelCore,
    result: pd.DataFrame,
    salary: np.ndarray,
    cell: np.ndarray,
    y: np.ndarray,
    points: np.ndarray,
    bad: np.ndarray,
    row_rate: np.ndarray,
    years: np.ndarray,
    years_max: np.ndarray | None,
) -> None:
    """Rows with a salary get its ``percentile`` (as :meth:`SalaryModel.rank` gives it)
    and ``compa_ratio`` (salary over the median)."""
    from .bands import Z_GRID, Z_STEP
    from .year_ranges import Z_LEVELS, cell_quantiles, mixture_cdf

    percentile, compa_ratio = np.full(len(salary), np.nan), np.full(len(salary), np.nan)
    wanted = ~np.isnan(salary) & ~bad
    levels = Z_LEVELS
    for c in np.unique(cell[wanted]):
        rows = np.flatnonzero(wanted & (cell == c))
        stack = cell_quantiles(core, int(c))  # (levels, grid), as percentiles() reads it
        if years_max is not None:  # a range: its mixture's CDF ranks the salary directly
            ranged = rows[~np.isnan(years_max[rows])]
            for row in ranged:
                x, cdf = mixture_cdf(core, int(c), float(years[row]), float(years_max[row]), quantiles=stack)
                share = float(np.interp(math.log(salary[row]) - row_rate[row], x, cdf))
                percentile[row] = 100.0 * min(max(share, levels[0]), levels[-1])
            rows = rows[np.isnan(years_max[rows])]
        logs = np.maximum.accumulate(interpolate(stack, y[rows]) + row_rate[rows], axis=0)
        # The quantile function is linear in the normal score between grid levels: invert it there.
        target = np.log(salary[rows])
        above = (logs < target).sum(axis=0)
        k = np.clip(above, 1, len(levels) - 1)
        lower, upper = np.take_along_axis(logs, (k - 1)[None], 0)[0], np.take_along_axis(logs, k[None], 0)[0]
        step = np.where(upper > lower, (target - lower) / np.where(upper > lower, upper - lower, 1.0), 0.0)
        z = np.clip(Z_GRID[k - 1] + np.clip(step, 0.0, 1.0) * Z_STEP, Z_GRID[0], Z_GRID[-1])
        percentile[rows] = [100.0 * _NORMAL.cdf(float(v)) for v in z]
    median = result["median"].to_numpy(dtype=float)
    compa_ratio[wanted] = salary[wanted] / median[wanted]
    result["percentile"] = percentile
    result["compa_ratio"] = compa_ratio


def _years_max(frame: pd.DataFrame, years: np.ndarray, problems: list[tuple[int, str, str]]) -> np.ndarray | None:
    """The optional ``years_max`` column (a range's high end; empty for one number),
    with a problem for each value that is not above ``years`` and at most 50."""
    if "years_max" not in frame.columns:
        return None
    from ._rows import numeric_years

    raw = frame["years_max"]
    values = numeric_years(raw)
    given = ~raw.isna().to_numpy() & (raw.astype(str).str.strip() != "").to_numpy()
    bad = given & ~((values > years) & (values <= MAX_YEARS))
    for row in np.flatnonzero(bad):
        problems.append(
            (
                int(row),
                "years_max",
                f"must be empty, or a number of years above 'years' and at most "
                f"{MAX_YEARS:g} (the range's high end); got {raw.iloc[row]!s}",
            )
        )
    return np.where(given & ~bad, values, np.nan)


def _apply_ranges(
    core: ModelCore,
    result: pd.DataFrame,
    cell: np.ndarray,
    years: np.ndarray,
    years_max: np.ndarray,
    bad: np.ndarray,
    row_log_rate: np.ndarray,
    confidence: float,
    levels: list[float] | None,
    percentiles: Iterable[float] | None,
) -> None:
    """Rows with an experience range get the mixture's band, median, percentiles and support."""
    import pandas as pd

    from .bands import band_levels
    from .year_ranges import cell_quantiles, mixture_quantiles, range_support, support_codes

    ranged = np.flatnonzero(~np.isnan(years_max) & ~bad)
    if not len(ranged):
        return
    low_level, high_level = band_levels(confidence)
    wanted = np.array([low_level, 0.5, high_level, *(levels or [])])
    combos: dict[tuple[int, float, float], tuple[np.ndarray, str]] = {}
    per_cell: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    logs = np.empty((len(ranged), len(wanted)))
    support = result["support"].to_numpy(dtype=object).copy()
    for row, position in enumerate(ranged):
        key = (int(cell[position]), float(years[position]), float(years_max[position]))
        if key not in combos:
            if key[0] not in per_cell:
                per_cell[key[0]] = cell_quantiles(core, key[0]), support_codes(core, key[0])
            quantiles, codes = per_cell[key[0]]
            combos[key] = (mixture_quantiles(core, *key, wanted, quantiles=quantiles), range_support(codes, *key[1:]))
        logs[row], support[position] = combos[key]
    logs += row_log_rate[ranged][:, None]
    # Written column by column (one assignment each, not one per row and column).
    columns = {"low": np.minimum(logs[:, 0], logs[:, 1]), "median": logs[:, 1], "high": np.maximum(logs[:, 2], logs[:, 1])}
    for value, q in zip(rising_in_levels(logs[:, 3:], levels or [], axis=1).T, percentiles or ()):
        columns[f"p{float(q):g}"] = value
    for name, value in columns.items():
        column = result[name].to_numpy(dtype=float).copy()
        column[ranged] = np.exp(value)
        result[name] = column
    result["support"] = pd.Categorical(support, categories=SUPPORT_GRADES)


def _employers(core: ModelCore, cell: np.ndarray, bad: np.ndarray) -> pd.Categorical:
    """The employer each row's company resolved to (``ByteDance`` -> ``TikTok``); missing
    for the market (no company, or one the model does not know) and for a bad row."""
    import pandas as pd

    from ._rows import employer_names

    names = employer_names(core)
    of_cell = np.array([names.index(company) if company else -1 for _, company in core.cells], dtype=np.int64)
    codes = np.take(of_cell, cell)
    if bad.any():
        codes[bad] = -1
    return pd.Categorical.from_codes(codes, categories=names)


def frame_categories(core: ModelCore, currency: object = None, as_of: object = None) -> tuple[list[str], list[str]]:
    """The fixed categories of ``predict_frame``'s ``currency`` and ``as_of``
    columns, the same for every chunk or partition of one call."""
    if currency is None:
        currencies = sorted(set(core.local_currency.values()))
    else:
        currencies = [core.money.check_currency(currency)]
    if as_of is None:
        today = core.today()
        as_ofs = sorted({core.money.default_as_of(c, today).isoformat() for c in core.countries})
    else:
        from ..data.aging import parse_as_of

        as_ofs = [parse_as_of(as_of).isoformat()]
    return currencies, as_ofs
