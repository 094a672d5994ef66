"""The public result types: one estimate, and the error naming bad rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:  # serving imports this module: pandas stays out of it
    import pandas as pd

__all__ = ["SalaryEstimate", "InvalidRowsError", "SUPPORT_GRADES", "YearsOfExperience"]

# Years of experience as the functions take them: one number, or a (low, high) range.
YearsOfExperience = float | tuple[float, float]

# How well reported figures back an estimate, strongest first (the rule is
# in salarymodel.training.provenance).
SUPPORT_GRADES = ("strong", "moderate", "thin", "extrapolated")


class SalaryEstimate(NamedTuple):
    """One salary estimate with its confidence band (immutable).

    A named tuple rather than a frozen dataclass: it is built on every
    ``predict``, and a frozen dataclass costs more to build than the rest
    of ``predict`` together.

    Attributes
    ----------
    country : str
        ISO 3166 alpha-2 code.
    years : float
        Years of experience.
    company : str or None
        Canonical company name (the cleaned input when unknown), or None.
    company_known : bool
        Whether the model has figures for this company in this country;
        False means the estimate is the country's market estimate.
    level : str
        Level the years fall in (entry, mid, senior, lead).
    currency : str
        ISO 4217 code of ``low``, ``median`` and ``high``.
    confidence : float
        Nominal coverage of the band.
    low, median, high : float
        Band ends and median of the annual base salary: ``confidence`` of ML
        engineers like this (country, years, employer) earn between ``low``
        and ``high``; ``median`` is the middle of the same distribution.
    median_low, median_high : float
        The median's own 80% interval: how well the sources behind this cell
        pin the market's median down (the posterior's interval of the
        median); always around ``median``.
    support : str
        'strong', 'moderate', 'thin' or 'extrapolated': how well reported
        figures back this estimate (rule in :mod:`salarymodel.training.provenance`).
    sources : tuple of str
        Ids of the reported figures this estimate rests on.
    fx_rate : float
        Units of ``currency`` per USD: the ECB monthly mean of ``fx_period``.
        A conversion to another currency uses the rate of the ``as_of``
        month; amounts in the country's own currency never depend on it.
    fx_period : str
        'YYYY-MM' of ``fx_rate`` (the ``as_of`` month, or the latest month
        with a rate when the amounts need none).
    as_of : str
        ISO date whose money the amounts are in: pay aged with the
        country's wage index from the reported figures to this month.
    projected : bool
        True when the wage index was projected past its last published
        value to reach ``as_of`` (see :mod:`salarymodel.data.aging`).
    reference_year : int
        The model's internal money basis (pay of 1 July of that year).
    years_max : float or None
        For an experience range ``years=(3, 5)``: its high end (``years`` is
        the low end) and the estimate is for an engineer whose experience
        lies evenly in the range. None for one number of years.
    suggestion : str or None
        For an employer the model does not know, the closest one it knows
        in that country (``'Microsoft'`` for ``'Microsfot'``): a likely typo.
        None otherwise.
    """

    country: str
    years: float
    company: str | None
    company_known: bool
    level: str
    currency: str
    confidence: float
    low: float
    median: float
    high: float
    median_low: float
    median_high: float
    support: str
    sources: tuple[str, ...]
    fx_rate: float
    fx_period: str
    as_of: str
    projected: bool
    reference_year: int
    suggestion: str | None = None
    years_max: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The estimate as a plain dict (JSON-ready; sources as a list)."""
        data = self._asdict()
        data["sources"] = list(self.sources)
        return data


class InvalidRowsError(ValueError):
    """Rows of a frame that cannot be scored; ``bad_rows`` lists them all."""

    def __init__(self, bad_rows: pd.DataFrame, total: int) -> None:
        self.bad_rows = bad_rows
        n_bad = bad_rows["row"].nunique()
        shown = "\n".join(f"  - row {r.row!r}, column '{r.column}': {r.reason}" for r in bad_rows.head(10).itertuples())
        more = f"\n  ... and {len(bad_rows) - 10} more problems" if len(bad_rows) > 10 else ""
        super().__init__(
            f"{n_bad} of {total} rows cannot be scored:\n{shown}{more}\n"
            "Fix them, or pass errors='coerce' to score the good rows and get "
            "NaN with a reason in the 'error' column for the bad ones."
        )
