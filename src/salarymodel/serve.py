"""Serving: the fitted model compiled to lookup tables.

:class:`SalaryModel` wraps the fitted :class:`~salarymodel.model.SalaryRegressor`
and, at construction, evaluates it once on a fine years grid for every
(country, company) cell. ``predict`` then reads those tables with plain
Python arithmetic: no pandas, no scikit-learn dispatch, no file I/O on the
hot path. ``predict_frame`` does the same gather with numpy for many rows.
"""

from __future__ import annotations

import datetime as dt
import math
import time
import warnings

import numpy as np
import pandas as pd

from ._errors import UnknownCountryError
from ._rows import factorize, numeric_years, problem_table, require_profile_columns, unwrap
from .bands import check_confidence
from .estimate import InvalidRowsError, SalaryEstimate
from .figures import GRID_STEP, MAX_YEARS, YEARS_GRID, level_edges, level_for_years, local_currencies
from .money import MoneyQuote, MoneyTable
from .names import check_text, company_key, country_code, load_company_aliases
from .provenance import SUPPORT_GRADES, provenance_tables
from .synthetic import TrainingPlan

__all__ = ["SalaryModel", "model_cells", "GRID_STEP", "YEARS_GRID"]


def _money_table(plan: TrainingPlan, local_currency: dict[str, str]) -> MoneyTable:
    """The aging and currency tables for a plan's countries (shipped indices, ECB months)."""
    from .aging import load_wage_index
    from .fx import monthly_rates_per_usd

    first_year = int(plan.used_figures()["year"].min())
    fx_first, fx_rates = monthly_rates_per_usd(first_year, 1)
    return MoneyTable(reference_year=plan.basis.reference_year, first_year=first_year,
                      reference_per_usd=plan.basis.per_usd, local_currency=local_currency,
                      wages=load_wage_index(), fx_first=fx_first, fx_rates=fx_rates)

# Years grid of the compiled tables (the estimator's median grid); linear
# interpolation between points differs from the scikit-learn model by < 1e-4
# in log salary (tested).
_GRID_SIZE = len(YEARS_GRID)


def model_cells(estimator, plan: TrainingPlan) -> list[tuple[str, str | None]]:
    """The (country, company) cells a model serves: each market, then employers."""
    countries = sorted(estimator.scores_)
    used = plan.used_figures()
    companies = {c: sorted(set(used.loc[(used["country"] == c) & used["company"].notna(), "company"]))
                 for c in countries}
    return [(c, None) for c in countries] + [(c, k) for c in countries for k in companies[c]]


# Years that are a grid point up to float error (3.0 / 0.05 = 59.999...) snap to it.
_SNAP = 1e-9


def _grid_index(years: np.ndarray) -> np.ndarray:
    """Grid point at or below each years value (where provenance is read)."""
    return np.minimum((years / GRID_STEP + _SNAP).astype(np.int64), _GRID_SIZE - 1)


def _grid_position(years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower grid index and interpolation weight for each years value."""
    i = np.minimum(_grid_index(years), _GRID_SIZE - 2)
    return i, years / GRID_STEP - i


def _years_error(owner: str, years: object) -> ValueError:
    return ValueError(f"The 'years' parameter of {owner} must be a finite number of years in "
                      f"[0, {MAX_YEARS:g}]. Got {years!r} instead.")


def _check_years(years: object, owner: str = "predict") -> float:
    if isinstance(years, bool) or not isinstance(years, (int, float, np.integer, np.floating)):
        raise TypeError(f"The 'years' parameter of {owner} must be a number. Got {years!r} of type "
                        f"{type(years).__name__} instead.")
    try:
        value = float(years)
    except OverflowError:  # an int too large for a float
        raise _years_error(owner, years) from None
    if not 0.0 <= value <= MAX_YEARS:  # NaN fails both comparisons
        raise _years_error(owner, years)
    return value


class SalaryModel:
    """A trained salary model, ready to serve.

    Parameters
    ----------
    estimator : SalaryRegressor
        Fitted on log reference-year USD salary.
    plan : TrainingPlan
        Figures, money basis and cell distributions the training set came from.
    metadata : dict
        Seed, rows and other facts for the model card.
    """

    def __init__(self, estimator, plan: TrainingPlan, metadata: dict,
                 bootstrap: np.ndarray | None = None, money: MoneyTable | None = None) -> None:
        self.estimator = estimator
        self.plan = plan
        self.metadata = metadata
        self.countries = tuple(sorted(estimator.scores_))
        used = plan.used_figures()
        self.local_currency = {c: code for c, code in local_currencies(used).items() if c in self.countries}
        self.cells = model_cells(estimator, plan)
        self.companies = {c: [k for cc, k in self.cells if cc == c and k is not None] for c in self.countries}
        self.aliases = load_company_aliases()
        frame = pd.DataFrame([(c, k, y) for c, k in self.cells for y in YEARS_GRID],
                             columns=["country", "company", "years"])
        centre, scale = estimator.centre_scale(frame)
        self.centre_table = centre.reshape(len(self.cells), _GRID_SIZE)
        self.scale_table = scale.reshape(len(self.cells), _GRID_SIZE)
        self.band_scale_table = estimator.centre_scale(frame, band=True)[1].reshape(len(self.cells), _GRID_SIZE)
        median = estimator.predict(frame).reshape(len(self.cells), _GRID_SIZE)
        self.median_table = median
        if bootstrap is None or len(bootstrap) == 0:
            self.median_low_table = self.median_high_table = median
        else:
            with warnings.catch_warnings():
                # An employer cell that no replicate drew is all-NaN: handled below.
                warnings.simplefilter("ignore", RuntimeWarning)
                low, high = np.nanpercentile(bootstrap, [10, 90], axis=0)
            # The interval always holds the model's own median.
            self.median_low_table = np.fmin(np.where(np.isnan(low), median, low), median)
            self.median_high_table = np.fmax(np.where(np.isnan(high), median, high), median)
        self.support_table, self.source_table, self.source_lists = provenance_tables(
            used, self.cells, YEARS_GRID)
        self.money = money or _money_table(plan, self.local_currency)
        self._prepare()

    # -- state that is rebuilt, not pickled -------------------------------
    def _prepare(self) -> None:
        self._cell_index = {cell: i for i, cell in enumerate(self.cells)}
        self._centre_rows = [row.tolist() for row in self.centre_table]
        self._median_rows = [row.tolist() for row in self.median_table]
        self._band_rows = [row.tolist() for row in self.band_scale_table]
        self._median_low_rows = [row.tolist() for row in self.median_low_table]
        self._median_high_rows = [row.tolist() for row in self.median_high_table]
        self._support_rows = [[SUPPORT_GRADES[g] for g in row] for row in self.support_table]
        self._source_rows = [[self.source_lists[i] for i in row] for row in self.source_table]
        self._fidelity: pd.DataFrame | None = None
        self._country_cache: dict[object, str] = {}
        self._company_cache: dict[tuple[str, object], tuple[int, str | None, bool]] = {}
        self._bounds_cache: dict[tuple[str, float], tuple[float, float, float]] = {}
        self._money_cache: dict[tuple, MoneyQuote] = {}
        self._today: tuple[int, dt.date] = (-1, dt.date.min)
        self._level_edges = level_edges(self.plan.levels)
        self.per_usd = dict(self.plan.basis.per_usd)
        self.reference_year = int(self.plan.basis.reference_year)

    @property
    def reference_date(self) -> str:
        """ISO date of the internal money basis: ``as_of`` at which the model's
        amounts are exactly the reference-year figures (1 July of that year)."""
        return f"{self.reference_year}-07-01"

    # Rebuilt by _prepare() from the pickled state, so never pickled themselves.
    _DERIVED = frozenset({"per_usd", "reference_year"})

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_") and k not in self._DERIVED}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._prepare()

    # -- input resolution (validated once, then cached) -------------------
    def resolve_country(self, country: object) -> str:
        """ISO alpha-2 code of a country the model knows, else raise."""
        code = self._country_cache.get(country) if isinstance(country, str) else None
        if code is not None:
            return code
        code = country_code(country)
        if code is None:
            raise UnknownCountryError(country, self.countries, "not a recognised country name or code")
        if code not in self.countries:
            raise UnknownCountryError(country, self.countries, f"{code} has no reported figures")
        if len(self._country_cache) < 10_000:  # bounded: inputs can be arbitrary
            self._country_cache[country] = code
        return code

    def resolve_company(self, code: str, company: object) -> tuple[int, str | None, bool]:
        """Cell index, canonical name and whether the company is known.

        None, NaN and pandas.NA (a missing cell of a table) mean the market.
        """
        if company is None or company is pd.NA or (isinstance(company, float) and math.isnan(company)):
            return self._cell_index[(code, None)], None, False
        cached = self._company_cache.get((code, company)) if isinstance(company, str) else None
        if cached is not None:
            return cached
        text = check_text(company, "company")
        key = company_key(text)
        canonical = {company_key(k): k for k in self.companies[code]}.get(key)
        if canonical is None and self.aliases.get(key) in self.companies[code]:
            canonical = self.aliases[key]
        if canonical is None:
            result = (self._cell_index[(code, None)], text, False)
        else:
            result = (self._cell_index[(code, canonical)], canonical, True)
        if len(self._company_cache) < 10_000:
            self._company_cache[(code, company)] = result
        return result

    def today(self) -> dt.date:
        """Today's date (UTC), recomputed once per day rather than per call."""
        day = int(time.time() // 86400)
        if self._today[0] != day:
            self._today = (day, dt.date.fromordinal(dt.date(1970, 1, 1).toordinal() + day))
        return self._today[1]

    def money_quote(self, code: str, currency: object = None, as_of: object = None,
                    aging_rate: float | None = None) -> MoneyQuote:
        """Cached :meth:`MoneyTable.quote`: how reference USD becomes the asked money."""
        hashable = (currency is None or type(currency) is str) and (
            as_of is None or type(as_of) is str) and (aging_rate is None or type(aging_rate) is float)
        key = (code, currency, as_of, aging_rate, self.today() if as_of is None else None)
        quote = self._money_cache.get(key) if hashable else None
        if quote is None:
            quote = self.money.quote(code, currency, as_of, aging_rate, today=self.today())
            if hashable and len(self._money_cache) < 10_000:  # bounded: inputs can be arbitrary
                self._money_cache[key] = quote
        return quote

    def score_bounds(self, code: str, confidence: object) -> tuple[float, float]:
        """Cached (low, high) band scores of a country."""
        bounds = self._bounds_cache.get((code, confidence)) if type(confidence) is float else None
        if bounds is None:
            value = check_confidence(confidence)
            bounds = self.estimator.score_bounds(code, value)
            if math.isinf(bounds[0]) or math.isinf(bounds[1]):
                raise ValueError(f"The 'confidence' parameter of predict is too close to 1 for the "
                                 f"{len(self.estimator.band_scores_[code])} calibration rows of {code}. "
                                 f"Got {confidence!r}.")
            self._bounds_cache[(code, value)] = bounds
        return bounds

    # -- the hot path -----------------------------------------------------
    def predict(self, country: str, years: float, company: str | None = None, *,
                confidence: float = 0.8, currency: str | None = None, as_of: object = None,
                aging_rate: float | None = None) -> SalaryEstimate:
        """Estimate one engineer's base salary with a confidence band.

        Parameters
        ----------
        country : str
            ISO alpha-2/alpha-3 code or English/German name, any case.
        years : float
            Years of experience, a finite number in [0, 50].
        company : str, default=None
            Employer; unknown names give the market estimate with
            ``company_known=False``. None or NaN means the market.
        confidence : float, default=0.8
            Nominal coverage of the band, in (0, 1).
        currency : str, default=None
            ISO 4217 code with an ECB rate; the country's currency when None.
            Another currency is converted at the ECB monthly mean of the
            ``as_of`` month.
        as_of : str or datetime.date, default=None
            Date whose money the estimate is in ('2026-07-01' or '2026-07';
            resolved to its month). None means today (UTC), clamped to the
            dates the model's wage indices and ECB rates support; the date
            used is recorded as ``as_of`` on the estimate.
        aging_rate : float, default=None
            Annual wage movement assumed past the last published wage-index
            value (0.04 = 4%); the last published movement when None.

        Returns
        -------
        SalaryEstimate

        Raises
        ------
        UnknownCountryError
            The country is not recognised or has no figures.
        ValueError, TypeError
            Years, confidence, company, currency, as_of or aging_rate is
            malformed, or the date is outside what the model's tables cover.
        """
        code = self._country_cache.get(country) if type(country) is str else None
        if code is None:
            code = self.resolve_country(country)
        if type(years) is float and 0.0 <= years <= MAX_YEARS:  # NaN fails the comparison
            y = years
        elif type(years) is int and 0 <= years <= MAX_YEARS:
            y = float(years)
        else:
            y = _check_years(years)  # raises the precise error, or converts numpy numbers
        if company is None:
            cell, canonical, known = self._cell_index[(code, None)], None, False
        else:
            # Cache keys only for strings: other types go to validation (and its error).
            cached = self._company_cache.get((code, company)) if type(company) is str else None
            cell, canonical, known = cached or self.resolve_company(code, company)
        bounds = self._bounds_cache.get((code, confidence)) if type(confidence) is float else None
        s_low, s_high = bounds or self.score_bounds(code, confidence)
        money = self.money_quote(code, currency, as_of, aging_rate)
        rate = money.multiplier
        centre_row, median_row, band_row = self._centre_rows[cell], self._median_rows[cell], self._band_rows[cell]
        low_row, high_row = self._median_low_rows[cell], self._median_high_rows[cell]
        position = y / GRID_STEP
        i = int(position + _SNAP)
        if i >= _GRID_SIZE - 1:
            i = _GRID_SIZE - 1
            centre, log_median, band = centre_row[i], median_row[i], band_row[i]
            m_low, m_high = low_row[i], high_row[i]
        else:
            f = position - i
            centre = centre_row[i] + f * (centre_row[i + 1] - centre_row[i])
            log_median = median_row[i] + f * (median_row[i + 1] - median_row[i])
            band = band_row[i] + f * (band_row[i + 1] - band_row[i])
            m_low = low_row[i] + f * (low_row[i + 1] - low_row[i])
            m_high = high_row[i] + f * (high_row[i + 1] - high_row[i])
        return SalaryEstimate(
            code, y, canonical, known, level_for_years(y, self._level_edges), money.currency, float(confidence),
            math.exp(min(centre + s_low * band, log_median)) * rate, math.exp(log_median) * rate,
            math.exp(max(centre + s_high * band, log_median)) * rate, math.exp(m_low) * rate, math.exp(m_high) * rate,
            self._support_rows[cell][i], self._source_rows[cell][i], money.fx_rate, money.fx_period,
            money.as_of, money.projected, self.reference_year)

    @staticmethod
    def _read(tables: tuple[np.ndarray, ...], cell: np.ndarray, years: np.ndarray) -> list[np.ndarray]:
        """Each table (cells x grid) linearly interpolated at ``years``."""
        i, f = _grid_position(years)
        return [table[cell, i] + f * (table[cell, i + 1] - table[cell, i]) for table in tables]

    # -- evidence -----------------------------------------------------------
    def quantiles(self, frame: pd.DataFrame, levels: np.ndarray) -> np.ndarray:
        """Predictive salary quantiles (reference-year USD) for valid rows.

        Parameters
        ----------
        frame : pandas.DataFrame
            Columns country (ISO code the model knows), company, years.
        levels : ndarray
            Probability levels in (0, 1).

        Returns
        -------
        ndarray of shape (len(frame), len(levels))
        """
        cell, country_idx, _, years, problems = self._resolve_rows(frame)
        if problems:
            raise InvalidRowsError(problem_table(problems, frame.index), len(frame))
        score_quantiles = np.array([np.quantile(self.estimator.scores_[c], levels) for c in self.countries])
        centre, scale = self._read((self.centre_table, self.scale_table), cell, years)
        return np.exp(centre[:, None] + scale[:, None] * score_quantiles[country_idx])

    def fidelity(self) -> pd.DataFrame:
        """Each reported figure beside the model's value of the same statistic.

        Computed once per loaded model by :func:`salarymodel.fidelity.fidelity_table`;
        the evaluation report and :meth:`explain` both read this table.
        """
        if self._fidelity is None:
            from .fidelity import fidelity_table

            self._fidelity = fidelity_table(self.quantiles, self.plan, self.countries)
        return self._fidelity

    def explain(self, country: str, years: float, company: str | None = None, *,
                currency: str | None = None, as_of: object = None, aging_rate: float | None = None) -> pd.DataFrame:
        """The reported figures behind one estimate, beside the model's values.

        Parameters
        ----------
        country, years, company, currency, as_of, aging_rate
            As for :meth:`predict`; reported figures and model values are
            shown in the same money as the estimate.

        Returns
        -------
        pandas.DataFrame
            One row per contributing figure statistic: ``id``, ``source``,
            ``statistic``, ``level``, ``years_min``, ``years_max``,
            ``company``, ``reported`` and ``reported_high`` (a range's high
            end) aged to the estimate's ``as_of`` and in its currency, the
            model's ``model`` / ``model_high`` for that figure's cell, their
            ``relative_difference`` (model / reported - 1; ``_high`` for a
            range's high end) and the ``currency``.

        Examples
        --------
        With the default model, Germany at 4 years rests on one figure, f18
        (60,000-80,000 EUR), and the model's range for that cell is beside it:

        >>> from salarymodel import explain
        >>> table = explain("Germany", 4)
        >>> table["id"].tolist()
        ['f18']
        """
        estimate = self.predict(country, years, company, currency=currency, as_of=as_of, aging_rate=aging_rate)
        table = self.fidelity().set_index("id").loc[list(estimate.sources)].reset_index()
        rate = self.money_quote(estimate.country, currency, estimate.as_of, aging_rate).multiplier
        out = pd.DataFrame({
            "id": table["id"], "source": table["source"], "statistic": table["statistic"],
            "level": table["level"], "years_min": table["years_min"], "years_max": table["years_max"],
            "company": table["company"],
            "reported": table["reported_usd"] * rate, "reported_high": table["reported_high_usd"] * rate,
            "model": table["model_usd"] * rate, "model_high": table["model_high_usd"] * rate,
            "relative_difference": table["relative_error"],
            "relative_difference_high": table["relative_error_high"],
        })
        out["currency"] = estimate.currency
        return out

    # -- batch ------------------------------------------------------------
    def _resolve_rows(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list]:
        """Cell index, country index, known flag and years per row, plus
        problems as (row position, column, reason)."""
        problems: list[tuple[int, str, str]] = []
        n = len(frame)
        codes, uniques = factorize(frame["country"])
        country_idx = np.full(n, -1)
        position = {c: i for i, c in enumerate(self.countries)}
        resolved = np.full(len(uniques), -1)
        unique_errors = {}
        for u, value in enumerate(uniques):
            try:
                resolved[u] = position[self.resolve_country(unwrap(value))]
            except (ValueError, TypeError) as error:
                unique_errors[u] = str(error).split(". Pass")[0]
        ok = codes >= 0
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
            problems.append((int(row), "years", f"must be a finite number of years in [0, {MAX_YEARS:g}]; "
                             f"got {frame['years'].iloc[row]!r}"))

        cell = np.array([self._cell_index[(c, None)] for c in self.countries])[np.maximum(country_idx, 0)]
        known = np.zeros(n, dtype=bool)
        if "company" in frame.columns:
            company_codes, company_names = factorize(frame["company"])
            rows_with = np.flatnonzero((company_codes >= 0) & (country_idx >= 0))
            if len(rows_with):
                # One integer per (country, company) pair: resolve each pair once.
                pair = country_idx[rows_with] * len(company_names) + company_codes[rows_with]
                pairs, inverse = np.unique(pair, return_inverse=True)
                pair_cell = np.empty(len(pairs), dtype=np.int64)
                pair_known = np.zeros(len(pairs), dtype=bool)
                for u, code in enumerate(pairs):
                    c_idx, k = divmod(int(code), len(company_names))
                    name = unwrap(company_names[k])
                    if isinstance(name, str) and not name.strip():
                        pair_cell[u] = self._cell_index[(self.countries[c_idx], None)]  # blank = market
                        continue
                    try:
                        pair_cell[u], _, pair_known[u] = self.resolve_company(self.countries[c_idx], name)
                    except (ValueError, TypeError) as error:
                        pair_cell[u] = -1
                        for row in rows_with[inverse == u]:
                            problems.append((int(row), "company", str(error)))
                good = pair_cell[inverse] >= 0
                cell[rows_with[good]] = pair_cell[inverse][good]
                known[rows_with] = pair_known[inverse]
        return cell, country_idx, known, years, problems

    def predict_frame(self, frame: pd.DataFrame, *, confidence: float = 0.8, currency: str | None = None,
                      errors: str = "raise", sources: bool = False, as_of: object = None,
                      aging_rate: float | None = None) -> pd.DataFrame:
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

        Returns
        -------
        pandas.DataFrame
            Same index as ``frame``; columns ``low``, ``median``, ``high``,
            ``currency``, ``company_known``, ``support``, ``as_of`` and
            ``projected`` (and ``sources`` on request, ``error`` with
            'coerce').
        """
        if not isinstance(frame, pd.DataFrame):
            if type(frame).__module__.startswith("dask"):
                from ._dask import predict_dask
                return predict_dask(self, frame, confidence=confidence, currency=currency, sources=sources,
                                    as_of=as_of, aging_rate=aging_rate)
            raise TypeError(f"predict_frame expects a pandas or Dask DataFrame. Got {type(frame).__name__} instead.")
        if errors not in ("raise", "coerce"):
            raise ValueError(f"The 'errors' parameter of predict_frame must be 'raise' or 'coerce'. Got {errors!r} instead.")
        require_profile_columns(frame.columns)
        check_confidence(confidence, "predict_frame")
        cell, country_idx, known, years, problems = self._resolve_rows(frame)
        if problems and errors == "raise":
            raise InvalidRowsError(problem_table(problems, frame.index), len(frame))
        bad = np.zeros(len(frame), dtype=bool)
        bad[[position for position, _, _ in problems]] = True

        bounds = np.array([self.score_bounds(c, confidence) for c in self.countries])
        ci = np.maximum(country_idx, 0)
        # Only the countries present are quoted: a date one country's tables
        # cannot serve does not fail a frame without that country.
        present = np.unique(ci)
        quotes = {int(i): self.money_quote(self.countries[i], currency, as_of, aging_rate) for i in present}
        log_rate = np.log(np.array([quotes[i].multiplier if i in quotes else 1.0
                                    for i in range(len(self.countries))]))[ci]
        currencies = np.array([quotes[i].currency if i in quotes else None for i in range(len(self.countries))],
                              dtype=object)[ci]
        y = np.where(bad, 0.0, years)
        centre, band, log_median = self._read((self.centre_table, self.band_scale_table, self.median_table), cell, y)
        logs = {"low": np.minimum(centre + bounds[ci, 0] * band, log_median), "median": log_median,
                "high": np.maximum(centre + bounds[ci, 1] * band, log_median)}
        out = {}
        for name, values in logs.items():
            values = np.exp(values + log_rate)
            values[bad] = np.nan
            out[name] = values
        result = pd.DataFrame(out, index=frame.index)
        result["currency"] = currencies
        result["company_known"] = known
        grid_index = _grid_index(y)
        support = np.asarray(SUPPORT_GRADES, dtype=object)[self.support_table[cell, grid_index]]
        support[bad] = None
        result["support"] = support
        result["as_of"] = np.array([quotes[i].as_of if i in quotes else None
                                    for i in range(len(self.countries))], dtype=object)[ci]
        result["projected"] = np.array([quotes[i].projected if i in quotes else False
                                        for i in range(len(self.countries))])[ci]
        if sources:
            lists = np.empty(len(self.source_lists), dtype=object)
            lists[:] = self.source_lists
            column = lists[self.source_table[cell, grid_index]]
            column[bad] = None
            result["sources"] = column
        if errors == "coerce":
            reasons = np.full(len(frame), "", dtype=object)
            for position, column, reason in problems:
                previous = reasons[position]
                reasons[position] = (previous + "; " if previous else "") + f"{column}: {reason}"
            result["error"] = reasons
        return result
