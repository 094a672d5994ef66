"""The public model: a facade of the questions a user asks, over one :class:`~.core.ModelCore`.

:class:`SalaryModel` answers ``predict``, ``percentiles``, ``curve``,
``rank``, ``ranges``, ``explain`` and ``predict_frame``, lists what it
knows (``known``, ``populations``, ``fidelity``), and holds what loading
and evaluation need (``core``, ``tables``, ``meta``, ``folder``,
``training``). Every answer is a function of the core (or of a
population's view of it); nothing else takes the facade.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ParameterError
from .core import ModelCore
from .estimate import SalaryEstimate, YearsOfExperience
from .model_io.records import ModelMeta, ServingTables
from .populations import population_countries

if TYPE_CHECKING:
    import pandas as pd

    from .pay_ranges import PayRange
    from .rank import SalaryRank

__all__ = ["SalaryModel"]


class SalaryModel:
    """A trained salary model, ready to serve.

    Build one with :func:`salarymodel.training.compile.compile_model` (training) or
    :func:`salarymodel.load_model` (a model folder).

    Parameters
    ----------
    tables : ServingTables
        The numpy tables, a row per (country, employer) cell and a column
        per point of the years grid (:mod:`.model_io.records`).
    meta : ModelMeta
        What their rows mean: countries, cells, names, aliases, money,
        fidelity and how the model was trained.
    training : object, default=None
        The training side it was trained with (training's ``TrainingState``),
        kept for evaluation; serving never reads it.

    Attributes
    ----------
    core : ModelCore
        The tables, names and money every answer reads (internal).
    folder : Path or None
        The model folder it was loaded from, if any.
    training : object or None
        The training side, when trained in this process or read by evaluation.
    """

    def __init__(self, tables: ServingTables, meta: ModelMeta, training: object = None) -> None:
        self.core = ModelCore(tables, meta)
        self.training = training
        self.folder: Path | None = None
        self._fidelity: pd.DataFrame | None = None
        # The hot path is the core's own method, bound once: no second call per estimate.
        self.predict = self.core.predict  # type: ignore[method-assign]

    def __getstate__(self) -> dict[str, Any]:
        # Plain tables travel (to Dask workers, say); the training side stays home.
        return {"tables": self.core.tables, "meta": self.core.meta}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["tables"], state["meta"])  # type: ignore[misc]

    @property
    def tables(self) -> ServingTables:
        """The model file's numpy tables (:mod:`.model_io.records`)."""
        return self.core.tables

    @property
    def meta(self) -> ModelMeta:
        """The model file's document: what the tables' rows mean and how it was trained."""
        return self.core.meta

    def _answering(self, population: object, country: object, owner: str) -> ModelCore:
        """The core that answers: the model's, or a population's view of it."""
        return self.core if population is None else self.core.population_view(population, country, owner=owner)

    def predict(
        self,
        country: str,
        years: YearsOfExperience,
        company: str | None = None,
        *,
        confidence: float = 0.8,
        currency: str | None = None,
        as_of: object = None,
        aging_rate: float | None = None,
        population: str | None = None,
    ) -> SalaryEstimate:
        """Estimate one engineer's base salary with a confidence band.

        Parameters
        ----------
        country : str
            ISO alpha-2/alpha-3 code or English/German name, any case.
        years : float or (float, float)
            Years of experience, a finite number in [0, 50], or a range
            ``(low, high)``: the estimate for an engineer whose experience
            lies evenly in it (the mixture of the one-year distributions).
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
        population : str, default=None
            Answer as this population (a source of records the model was
            trained with, see :attr:`populations`) sees the market, with its
            offset's uncertainty in the band; None for the market's consensus.

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
        ParameterError
            The model has no such population, or it has no records in the country.
        """
        return self.core.predict(
            country,
            years,
            company,
            confidence=confidence,
            currency=currency,
            as_of=as_of,
            aging_rate=aging_rate,
            population=population,
        )

    def percentiles(
        self,
        country: str,
        years: YearsOfExperience,
        company: str | None = None,
        *,
        q: tuple[float, ...] = (10, 25, 50, 75, 90),
        currency: str | None = None,
        as_of: object = None,
        aging_rate: float | None = None,
        population: str | None = None,
    ) -> dict[float, float]:
        """Percentiles of one engineer's base salary, as salary sites report them.

        All come from the one predictive distribution behind :meth:`predict`:
        ``percentiles(..., q=(10, 90))`` are the ends of the 80% band.

        Parameters
        ----------
        country, years, company, currency, as_of, aging_rate, population
            As for :meth:`predict`.
        q : sequence of float, default=(10, 25, 50, 75, 90)
            Percentiles, each between 0.03 and 99.97.

        Returns
        -------
        dict of float to float
            Percentile -> annual base salary in the estimate's currency
            (``predict(...).currency``), non-decreasing in ``q``.

        Examples
        --------
        >>> from salarymodel import load_model
        >>> model = load_model()
        >>> p = model.percentiles("Germany", 4, q=(10, 50, 90), as_of="2023-07-01")
        >>> e = model.predict("Germany", 4, confidence=0.8, as_of="2023-07-01")
        >>> round(p[10]) == round(e.low) and round(p[50]) == round(e.median) and round(p[90]) == round(e.high)
        True
        """
        from .distribution import salary_percentiles

        return salary_percentiles(
            self.core, country, years, company, q=q, currency=currency, as_of=as_of, aging_rate=aging_rate, population=population
        )

    def rank(
        self,
        country: str,
        years: YearsOfExperience,
        salary: float,
        company: str | None = None,
        *,
        currency: str | None = None,
        as_of: object = None,
        aging_rate: float | None = None,
        population: str | None = None,
    ) -> SalaryRank:
        """Where a salary stands: its percentile among ML engineers like this.

        Parameters
        ----------
        country, years, company, as_of, aging_rate
            As for :meth:`predict` (``years`` may be a range).
        salary : float
            Annual base salary, in ``currency``.
        currency : str, default=None
            Currency of ``salary`` and of the amounts returned; the country's
            when None.

        Returns
        -------
        SalaryRank
            The percentile (the inverse of :meth:`percentiles`), its interval
            from the median's uncertainty, the gaps to the median and the 75th
            percentile, the compa-ratio and :meth:`SalaryRank.sentence`.

        Raises
        ------
        ValueError, TypeError
            A salary that is not a finite number above 0, or any input
            :meth:`predict` refuses.

        Examples
        --------
        >>> from salarymodel import load_model
        >>> model = load_model()
        >>> p = model.percentiles("Germany", 5, q=(31,), as_of="2023-07-01")[31]
        >>> round(model.rank("Germany", 5, p, as_of="2023-07-01").percentile, 6)
        31.0
        """
        from .rank import salary_rank

        core = self._answering(population, country, "rank")
        return salary_rank(core, country, years, salary, company, currency=currency, as_of=as_of, aging_rate=aging_rate)

    def ranges(
        self,
        country: str,
        company: str | None = None,
        *,
        levels: object = None,
        target: float = 50,
        spread: tuple[float, float] = (25, 75),
        currency: str | None = None,
        as_of: object = None,
        aging_rate: float | None = None,
        population: str | None = None,
    ) -> list[PayRange]:
        """Pay ranges for job postings: per level, a minimum, a midpoint and a maximum.

        Each level's distribution is the mixture over its years (as
        ``predict(country, (low, high))``); the range is its ``spread``
        percentiles and the midpoint its ``target`` percentile: by default
        the 25th, 50th and 75th, the middle half of what ML engineers in
        those years earn (base salary).

        Parameters
        ----------
        country, company, currency, as_of, aging_rate, population
            As for :meth:`predict`.
        levels : dict or list, default=None
            None for entry, mid, senior and lead (their years from the
            model's level edges; lead up to 20 years), a dict of name ->
            (low, high) years, or a list of (low, high) years.
        target : float, default=50
            Percentile of the midpoint.
        spread : (float, float), default=(25, 75)
            Percentiles of the minimum and maximum, around ``target``.

        Returns
        -------
        list of PayRange
            One per level, with the support and sources behind it;
            :func:`salarymodel.serving.pay_ranges.schema_org` writes one as
            a schema.org ``MonetaryAmountDistribution``.

        Examples
        --------
        >>> from salarymodel import load_model
        >>> [r.level for r in load_model().ranges("Germany")]
        ['entry', 'mid', 'senior', 'lead']
        """
        from .pay_ranges import pay_ranges

        core = self._answering(population, country, "ranges")
        return pay_ranges(
            core,
            country,
            company,
            levels=levels,
            target=target,
            spread=spread,
            currency=currency,
            as_of=as_of,
            aging_rate=aging_rate,
        )

    def curve(
        self,
        country: str,
        company: str | None = None,
        *,
        years: object = None,
        q: tuple[float, ...] = (10, 25, 50, 75, 90),
        currency: str | None = None,
        as_of: object = None,
        aging_rate: float | None = None,
        population: str | None = None,
    ) -> pd.DataFrame:
        """Percentiles of base salary by years of experience: a salary curve.

        Parameters
        ----------
        country, company, currency, as_of, aging_rate, population
            As for :meth:`predict`.
        years : sequence of float, default=None
            Years to read; 0 to 30 in steps of 1 when None.
        q : sequence of float, default=(10, 25, 50, 75, 90)
            Percentiles.

        Returns
        -------
        pandas.DataFrame
            Tidy: one row per years and percentile, columns ``years``,
            ``percentile``, ``salary``, plus ``currency``, ``as_of``,
            ``support`` (of that years point) and ``country``/``company``.
        """
        from .curves import salary_curve

        core = self._answering(population, country, "curve")
        return salary_curve(core, country, company, years=years, q=q, currency=currency, as_of=as_of, aging_rate=aging_rate)

    def predict_frame(
        self,
        frame: pd.DataFrame,
        *,
        confidence: float = 0.8,
        currency: str | None = None,
        errors: str = "raise",
        sources: bool = False,
        as_of: object = None,
        aging_rate: float | None = None,
        percentiles: tuple[float, ...] | None = None,
        population: str | None = None,
    ) -> pd.DataFrame:
        """Estimate many engineers at once, vectorised; see :func:`salarymodel.serving._frame.predict_frame`.

        With ``population``, every row is answered as that population sees the
        market; a frame holding a country it has no records in is refused,
        naming the country.
        """
        from ._frame import predict_frame

        core = self.core
        if population is not None:
            core = self.core.population_view(population, owner="predict_frame")
            _check_frame_countries(self.core, frame, population)
        return predict_frame(
            core,
            frame,
            confidence=confidence,
            currency=currency,
            errors=errors,
            sources=sources,
            as_of=as_of,
            aging_rate=aging_rate,
            percentiles=percentiles,
        )

    def explain(
        self,
        country: str,
        years: YearsOfExperience,
        company: str | None = None,
        *,
        currency: str | None = None,
        as_of: object = None,
        aging_rate: float | None = None,
        population: str | None = None,
    ) -> pd.DataFrame:
        """The reported figures behind one estimate; see :func:`salarymodel.serving.explanations.explain`.

        Examples
        --------
        With the default model, Germany at 4 years rests on one figure, f18:

        >>> from salarymodel import load_model
        >>> load_model().explain("Germany", 4)["id"].tolist()
        ['f18']
        """
        from .explanations import explain

        core = self._answering(population, country, "explain")
        return explain(core, country, years, company, currency=currency, as_of=as_of, aging_rate=aging_rate)

    def known(self) -> list[dict[str, Any]]:
        """What the model can estimate: each country with its name, currency,
        the employers it has figures for (plus their aliases) and the
        populations (sources of records) that answer there."""
        return self.core.known()

    @property
    def populations(self) -> list[str]:
        """The populations (sources of records) the model answers for, by name."""
        return self.core.populations

    def fidelity(self) -> pd.DataFrame:
        """Each reported figure beside the model's value of the same statistic (computed at training)."""
        if self._fidelity is None:  # built once from the model file's table, then shared
            from .explanations import fidelity_frame

            self._fidelity = fidelity_frame(self.core)
        return self._fidelity


def _check_frame_countries(core: ModelCore, frame: Any, population: str) -> None:
    """Refuse a pandas or Dask frame with a country ``population`` has no records in (named,
    with its rows' count); a missing column and countries the model does not know are left to
    the frame's own checks. A Dask frame's countries are counted in one pass over it."""
    if not hasattr(frame, "columns") or "country" not in frame.columns:
        return
    counts = frame["country"].value_counts(dropna=True)
    if hasattr(counts, "compute"):
        counts = counts.compute()
    covered = population_countries(core.meta, core.lookup.populations[population])
    outside: dict[str, int] = {}
    for value, count in counts.items():
        try:
            code = core.resolve_country(value)
        except (ValueError, TypeError):
            continue
        if code not in covered:
            label = core.country_label(code)
            outside[label] = outside.get(label, 0) + int(count)
    if outside:
        listed = ", ".join(f"{label} ({count:,} rows)" for label, count in sorted(outside.items()))
        raise ParameterError(
            "population",
            f"The population {population!r} has no records in {listed}, so the model cannot answer as it sees "
            f"those markets. It answers for {', '.join(core.country_label(c) for c in covered)}: score those "
            "rows without the population, or leave them out.",
        )
