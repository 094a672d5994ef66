"""Serving: a trained model as plain tables, and nothing else.

A :class:`SalaryModel` holds numpy arrays (per (country, company) cell and
point of the years grid: centre, scales, median and its bootstrap interval,
support grade and sources; calibration scores; monthly ECB rates) and a
JSON-able ``meta`` (cells, names, aliases, wage indices, the fidelity of
every reported figure). ``predict`` reads them with plain Python
arithmetic, ``predict_frame`` with numpy.

Importing this module imports numpy only: pandas is imported when a frame
is scored or explained, scikit-learn never. The fitted estimator and the
training plan belong to the training side (:mod:`salarymodel.compile`):
``model.estimator`` and ``model.plan`` are there right after training and
are loaded on demand from the model folder's training file otherwise.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from ._errors import UnknownCountryError
from .bands import check_confidence, conformal_bounds
from .estimate import SUPPORT_GRADES, InvalidRowsError, SalaryEstimate
from .grid import GRID_STEP, MAX_YEARS, YEARS_GRID, level_for_years
from .money import MoneyQuote, MoneyTable
from .names import check_text, company_key, country_code, country_key

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SalaryModel", "TrainingState", "GRID_STEP", "YEARS_GRID", "FLOAT_TABLES", "INDEX_TABLES"]

# Years grid of the compiled tables (the estimator's median grid); linear
# interpolation between points differs from the scikit-learn model by < 1e-4
# in log salary (tested).
_GRID_SIZE = len(YEARS_GRID)
# Tables of shape (cells, grid): log-salary quantities, then indices.
FLOAT_TABLES = ("centre", "scale", "band_scale", "median", "median_low", "median_high")
INDEX_TABLES = ("support", "source")
_new_estimate = tuple.__new__
# Years that are a grid point up to float error (3.0 / 0.05 = 59.999...) snap to it.
_SNAP = 1e-9


class TrainingState:
    """The training side of a model: fitted estimator and training plan."""

    __slots__ = ("estimator", "plan")

    def __init__(self, estimator, plan) -> None:
        self.estimator = estimator
        self.plan = plan


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


def _is_missing(value: object) -> bool:
    """pandas.NA (a missing cell of a table), recognised without importing pandas."""
    return type(value).__name__ == "NAType" and type(value).__module__.startswith("pandas")


def _closest(key: str, names: dict[str, str], labels: dict[str, str] | None) -> str | None:
    """The known name closest to a folded input, for "did you mean ...?"."""
    import difflib

    match = difflib.get_close_matches(key, list(names), n=1, cutoff=0.75)
    if not match:
        return None
    return labels[names[match[0]]] if labels is not None else names[match[0]]


class SalaryModel:
    """A trained salary model, ready to serve.

    Build one with :func:`salarymodel.compile.compile_model` (training) or
    :func:`salarymodel.load_model` (a model folder).

    Parameters
    ----------
    tables : dict of str to ndarray
        :data:`FLOAT_TABLES` and :data:`INDEX_TABLES` of shape (cells, grid),
        ``fx_rates`` (currencies, months) and per country
        ``scores_<CC>`` / ``band_scores_<CC>`` (sorted calibration scores).
    meta : dict
        JSON-able: countries, cells, names, aliases, money, fidelity, metadata.
    training : TrainingState or callable, default=None
        The training side, or a function that loads it on first use.
    """

    def __init__(self, tables: dict[str, np.ndarray], meta: dict,
                 training: TrainingState | Callable[[], TrainingState] | None = None) -> None:
        self.tables = tables
        self.meta = meta
        self._training = training
        self._prepare()

    # -- state that is rebuilt, not stored ----------------------------------
    def _prepare(self) -> None:
        meta, tables = self.meta, self.tables
        self.countries = tuple(meta["countries"])
        self.cells = [(c, k) for c, k in meta["cells"]]
        self.companies = {c: [k for cc, k in self.cells if cc == c and k is not None] for c in self.countries}
        self.local_currency = dict(meta["local_currency"])
        self.aliases = dict(meta["company_aliases"])
        self.metadata = dict(meta["metadata"])
        self.reference_year = int(meta["reference_year"])
        self.per_usd = {k: float(v) for k, v in meta["reference_per_usd"].items()}
        self.source_lists = [tuple(ids) for ids in meta["source_lists"]]
        self.money = MoneyTable.from_meta(meta["money"], tables["fx_rates"])
        self.scores = {c: tables[f"scores_{c}"] for c in self.countries}
        self.band_scores = {c: tables[f"band_scores_{c}"] for c in self.countries}
        for name in FLOAT_TABLES + INDEX_TABLES:
            setattr(self, f"{name}_table", tables[name])
        self._country_names = dict(meta["country_names"])
        self._country_labels = dict(meta["country_labels"])
        self._level_edges = tuple(float(e) for e in meta["level_edges"])
        self._cell_index = {cell: i for i, cell in enumerate(self.cells)}
        self._centre_rows = [row.tolist() for row in self.centre_table]
        self._median_rows = [row.tolist() for row in self.median_table]
        self._band_rows = [row.tolist() for row in self.band_scale_table]
        self._median_low_rows = [row.tolist() for row in self.median_low_table]
        self._median_high_rows = [row.tolist() for row in self.median_high_table]
        self._support_rows = [[SUPPORT_GRADES[g] for g in row] for row in self.support_table.tolist()]
        self._source_rows = [[self.source_lists[i] for i in row] for row in self.source_table.tolist()]
        # Batch gathers centre, band scale and median in one pass: (3, cells * grid).
        self._stacked = np.stack([self.centre_table, self.band_scale_table, self.median_table]).reshape(3, -1)
        self._fidelity = None
        self._country_cache: dict[object, str] = {}
        self._company_cache: dict[tuple[str, object], tuple[int, str | None, bool, str | None]] = {}
        self._bounds_cache: dict[tuple[str, float], tuple[float, float]] = {}
        self._money_cache: dict[tuple, MoneyQuote] = {}
        self._today, self._next_midnight = dt.date.min, -math.inf
        # Level of each grid point (the level edges lie on the grid), read like support.
        self._level_rows = [level_for_years(float(y), self._level_edges) for y in YEARS_GRID]

    def __getstate__(self) -> dict:
        # Plain tables travel (to Dask workers, say); the training side stays home.
        return {"tables": self.tables, "meta": self.meta}

    def __setstate__(self, state: dict) -> None:
        self.tables, self.meta, self._training = state["tables"], state["meta"], None
        self._prepare()

    # -- the training side, on demand -----------------------------------------
    def _training_state(self) -> TrainingState:
        if callable(self._training):
            self._training = self._training()
        if self._training is None:
            raise RuntimeError("This model has only its serving tables (it was unpickled, or built without the "
                               "training side): evaluation needs the model folder's training file. Load the "
                               "folder with salarymodel.load_model(DIR).")
        return self._training

    @property
    def estimator(self):
        """The fitted :class:`~salarymodel.model.SalaryRegressor` (training side)."""
        return self._training_state().estimator

    @property
    def plan(self):
        """The :class:`~salarymodel.synthetic.TrainingPlan` (training side)."""
        return self._training_state().plan

    @property
    def reference_date(self) -> str:
        """ISO date of the internal money basis: ``as_of`` at which the model's
        amounts are exactly the reference-year figures (1 July of that year)."""
        return f"{self.reference_year}-07-01"

    def known(self) -> list[dict]:
        """What the model can estimate: each country with its name, currency
        and the employers it has figures for (plus their aliases)."""
        aliases = {}
        for alias, name in sorted(self.aliases.items()):
            aliases.setdefault(name, []).append(alias)
        return [{"country": c, "name": self._country_labels[c], "currency": self.local_currency[c],
                 "employers": list(self.companies[c]),
                 "aliases": {k: aliases[k] for k in self.companies[c] if k in aliases}} for c in self.countries]

    # -- input resolution (validated once, then cached) -------------------
    def resolve_country(self, country: object) -> str:
        """ISO alpha-2 code of a country the model knows, else raise."""
        code = self._country_cache.get(country) if isinstance(country, str) else None
        if code is not None:
            return code
        key = country_key(country)
        code = self._country_names.get(key)
        if code is None:
            # Not one of ours: the full ISO table says whether it is a country at all.
            code = country_code(country)
            if code is None:
                raise UnknownCountryError(country, self.countries, "not a recognised country name or code",
                                          _closest(key, self._country_names, self._country_labels))
            raise UnknownCountryError(country, self.countries, f"{code} has no reported figures")
        if len(self._country_cache) < 10_000:  # bounded: inputs can be arbitrary
            self._country_cache[country] = code
        return code

    def resolve_company(self, code: str, company: object) -> tuple[int, str | None, bool, str | None]:
        """Cell index, canonical name, whether the company is known, and for an
        unknown one the closest employer the model knows there (a likely typo).

        None, NaN and pandas.NA (a missing cell of a table) mean the market.
        """
        if company is None or (isinstance(company, float) and math.isnan(company)) or _is_missing(company):
            return self._cell_index[(code, None)], None, False, None
        cached = self._company_cache.get((code, company)) if isinstance(company, str) else None
        if cached is not None:
            return cached
        text = check_text(company, "company")
        key = company_key(text)
        canonical = {company_key(k): k for k in self.companies[code]}.get(key)
        if canonical is None and self.aliases.get(key) in self.companies[code]:
            canonical = self.aliases[key]
        if canonical is None:
            names = {company_key(k): k for k in self.companies[code]}
            names.update({alias: name for alias, name in self.aliases.items() if name in self.companies[code]})
            result = (self._cell_index[(code, None)], text, False, _closest(key, names, None))
        else:
            result = (self._cell_index[(code, canonical)], canonical, True, None)
        if len(self._company_cache) < 10_000:
            self._company_cache[(code, company)] = result
        return result

    def today(self) -> dt.date:
        """Today's date (UTC), recomputed once per day rather than per call."""
        now = time.time()
        if now >= self._next_midnight:
            day = int(now // 86400)
            self._today = dt.date.fromordinal(dt.date(1970, 1, 1).toordinal() + day)
            self._next_midnight = (day + 1) * 86400.0
            self._money_cache.clear()  # default dates move with the day
        return self._today

    def money_quote(self, code: str, currency: object = None, as_of: object = None,
                    aging_rate: float | None = None) -> MoneyQuote:
        """Cached :meth:`MoneyTable.quote`: how reference USD becomes the asked money."""
        hashable = (currency is None or type(currency) is str) and (
            as_of is None or type(as_of) is str) and (aging_rate is None or type(aging_rate) is float)
        today = self.today()
        key = (code, currency, as_of, aging_rate)
        quote = self._money_cache.get(key) if hashable else None
        if quote is None:
            quote = self.money.quote(code, currency, as_of, aging_rate, today=today)
            if hashable and len(self._money_cache) < 10_000:  # bounded: inputs can be arbitrary
                self._money_cache[key] = quote
        return quote

    def score_bounds(self, code: str, confidence: object) -> tuple[float, float]:
        """Cached (low, high) band scores of a country."""
        bounds = self._bounds_cache.get((code, confidence)) if type(confidence) is float else None
        if bounds is None:
            value = check_confidence(confidence)
            bounds = conformal_bounds(self.band_scores[code], value)
            if math.isinf(bounds[0]) or math.isinf(bounds[1]):
                raise ValueError(f"The 'confidence' parameter of predict is too close to 1 for the "
                                 f"{len(self.band_scores[code])} calibration rows of {code}. "
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
            cell, canonical, known, suggestion = self._cell_index[(code, None)], None, False, None
        else:
            # Cache keys only for strings: other types go to validation (and its error).
            cached = self._company_cache.get((code, company)) if type(company) is str else None
            cell, canonical, known, suggestion = cached or self.resolve_company(code, company)
        bounds = self._bounds_cache.get((code, confidence)) if type(confidence) is float else None
        s_low, s_high = bounds or self.score_bounds(code, confidence)
        try:
            money = self._money_cache.get((code, currency, as_of, aging_rate))
        except TypeError:  # an unhashable argument: validation names it below
            money = None
        if money is None or (as_of is None and time.time() >= self._next_midnight):
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
        # tuple.__new__ skips the named tuple's argument handling: 19 fields, in order.
        return _new_estimate(SalaryEstimate, (
            code, y, canonical, known, self._level_rows[i], money.currency, float(confidence),
            math.exp(min(centre + s_low * band, log_median)) * rate, math.exp(log_median) * rate,
            math.exp(max(centre + s_high * band, log_median)) * rate, math.exp(m_low) * rate, math.exp(m_high) * rate,
            self._support_rows[cell][i], self._source_rows[cell][i], money.fx_rate, money.fx_period,
            money.as_of, money.projected, self.reference_year, suggestion))

    @staticmethod
    def _read(tables: tuple[np.ndarray, ...], cell: np.ndarray, years: np.ndarray) -> list[np.ndarray]:
        """Each table (cells x grid) linearly interpolated at ``years``."""
        i, f = _grid_position(years)
        return [table[cell, i] + f * (table[cell, i + 1] - table[cell, i]) for table in tables]

    def _read_stacked(self, cell: np.ndarray, years: np.ndarray, grid_index: np.ndarray) -> np.ndarray:
        """Centre, band scale and median at ``years``, shape (3, rows): the
        interpolation of :meth:`_read` as two contiguous gathers."""
        i = np.minimum(grid_index, _GRID_SIZE - 2)
        f = years / GRID_STEP - i
        flat = cell * _GRID_SIZE + i
        lower = np.take(self._stacked, flat, axis=1)
        upper = np.take(self._stacked, flat + 1, axis=1)
        upper -= lower
        upper *= f
        upper += lower
        return upper

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
            from ._rows import problem_table

            raise InvalidRowsError(problem_table(problems, frame.index), len(frame))
        score_quantiles = np.array([np.quantile(self.scores[c], levels) for c in self.countries])
        centre, scale = self._read((self.centre_table, self.scale_table), cell, years)
        return np.exp(centre[:, None] + scale[:, None] * score_quantiles[country_idx])

    def fidelity(self) -> pd.DataFrame:
        """Each reported figure beside the model's value of the same statistic.

        Computed once, at training, by :func:`salarymodel.fidelity.fidelity_table`
        and stored with the model; the evaluation report and :meth:`explain`
        both read this table.
        """
        if self._fidelity is None:
            import pandas as pd

            stored = self.meta["fidelity"]
            self._fidelity = pd.DataFrame.from_records(stored["records"], columns=stored["columns"])
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
        import pandas as pd

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
        from ._rows import factorize, numeric_years, unwrap

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
            problems.append((int(row), "years", f"must be a finite number of years in [0, {MAX_YEARS:g}]; "
                             f"got {frame['years'].iloc[row]!r}"))

        market_cells = np.array([self._cell_index[(c, None)] for c in self.countries])
        ci = np.maximum(country_idx, 0)
        if "company" not in frame.columns:
            return np.take(market_cells, ci), country_idx, np.zeros(n, dtype=bool), years, problems
        company_codes, company_names = factorize(frame["company"])
        # One integer per (country, company) pair, 0 standing for "no company":
        # each pair is resolved once, then every row reads its pair's answer.
        width = len(company_names) + 1
        pair = ci * width + (company_codes + 1)
        n_pairs = len(self.countries) * width
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
                pair_cell[u], _, pair_known[u], _ = self.resolve_company(self.countries[c_idx], name)
            except (ValueError, TypeError) as error:
                rows = np.flatnonzero(inverse == u)
                problems.extend((int(row), "company", str(error)) for row in rows if country_idx[row] >= 0)
        cell = np.take(pair_cell, inverse)
        known = np.take(pair_known, inverse)
        known[country_idx < 0] = False
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
            Same index as ``frame``; columns ``low``, ``median``, ``high``
            (float), ``currency``, ``support`` and ``as_of`` (categorical:
            one small code per row, empty for a bad row), ``company_known``
            and ``projected`` (bool), plus ``sources`` on request (tuples)
            and ``error`` with 'coerce' ('' for a good row).
        """
        import pandas as pd

        from ._rows import problem_table, require_profile_columns

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

        any_bad = bool(problems)
        ci = np.maximum(country_idx, 0)
        n_countries = len(self.countries)
        # Only the countries present are quoted: a date one country's tables
        # cannot serve does not fail a frame without that country.
        present = np.flatnonzero(np.bincount(ci[~bad] if any_bad else ci, minlength=n_countries))
        quotes = {int(i): self.money_quote(self.countries[i], currency, as_of, aging_rate) for i in present}
        per_country = np.zeros((3, n_countries))  # log multiplier, low score, high score
        for i, quote in quotes.items():
            per_country[:, i] = (math.log(quote.multiplier), *self.score_bounds(self.countries[i], confidence))
        y = np.where(bad, 0.0, years) if any_bad else years
        grid_index = _grid_index(y)
        block = self._read_stacked(cell, y, grid_index)  # rows: centre, band scale, median
        centre, band, log_median = block
        s_low, s_high = np.take(per_country[1], ci), np.take(per_country[2], ci)
        s_low *= band
        s_low += centre
        s_high *= band
        s_high += centre
        np.minimum(s_low, log_median, out=centre)  # the band never crosses the median
        np.maximum(s_high, log_median, out=band)
        block[[1, 2]] = block[[2, 1]]  # rows now: low, median, high
        block += np.take(per_country[0], ci)
        np.exp(block, out=block)
        if any_bad:
            block[:, bad] = np.nan
        result = pd.DataFrame({"low": block[0], "median": block[1], "high": block[2]}, index=frame.index,
                              copy=False)
        # Categorical columns: a code per row instead of a string object per row.
        currencies, as_ofs = self.frame_categories(currency, as_of)
        codes = np.full((2, n_countries), -1, dtype=np.int8)
        for i, quote in quotes.items():
            codes[:, i] = currencies.index(quote.currency), as_ofs.index(quote.as_of)
        currency_codes, as_of_codes = np.take(codes[0], ci), np.take(codes[1], ci)
        if any_bad:
            currency_codes[bad] = as_of_codes[bad] = -1
        result["currency"] = pd.Categorical.from_codes(currency_codes, categories=currencies)
        result["company_known"] = known
        support = np.take(self.support_table.reshape(-1), cell * _GRID_SIZE + grid_index)
        if any_bad:
            support[bad] = -1
        result["support"] = pd.Categorical.from_codes(support, categories=SUPPORT_GRADES)
        result["as_of"] = pd.Categorical.from_codes(as_of_codes, categories=as_ofs)
        projected = np.zeros(n_countries, dtype=bool)
        for i, quote in quotes.items():
            projected[i] = quote.projected
        result["projected"] = np.take(projected, ci) & ~bad if any_bad else np.take(projected, ci)
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

    def frame_categories(self, currency: object = None, as_of: object = None) -> tuple[list[str], list[str]]:
        """The fixed categories of ``predict_frame``'s ``currency`` and ``as_of``
        columns, the same for every chunk or partition of one call."""
        if currency is None:
            currencies = sorted(set(self.local_currency.values()))
        else:
            currencies = [self.money.check_currency(currency)]
        if as_of is None:
            today = self.today()
            as_ofs = sorted({self.money.default_as_of(c, today).isoformat() for c in self.countries})
        else:
            from .aging import parse_as_of

            as_ofs = [parse_as_of(as_of).isoformat()]
        return currencies, as_ofs
