"""The evidence behind served estimates: predictive quantiles, the stored
fidelity of every reported figure, and :func:`explain`.

Reads only what the model file holds (tables, calibration scores and the
fidelity table computed at training), so explaining an estimate needs no
scikit-learn and no training file.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ._frame import read_tables, resolve_rows
from .bands import MEDIAN_Z, rising_in_levels
from .estimate import InvalidRowsError, YearsOfExperience

if TYPE_CHECKING:
    import pandas as pd

    from .core import ModelCore

__all__ = ["quantiles", "fidelity_frame", "explain", "band_parts"]


def quantiles(core: ModelCore, frame: pd.DataFrame, levels: np.ndarray) -> np.ndarray:
    """Predictive salary quantiles (reference-year USD) for valid rows: one
    engineer's salary, within-market spread and the median's uncertainty.

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
    cell, _, _, years, problems = resolve_rows(core, frame)
    if problems:
        from ._rows import problem_table

        raise InvalidRowsError(problem_table(problems, frame.index), len(frame))
    rows, position = np.unique(cell, return_inverse=True)  # only the cells asked about
    block = core.quantile_block(np.asarray(levels, dtype=float).ravel(), rows)
    values = np.stack(read_tables(tuple(block), position, years), axis=1)
    salaries: np.ndarray = np.exp(rising_in_levels(values, np.asarray(levels, dtype=float).ravel(), axis=1))
    return salaries


def band_parts(
    core: ModelCore,
    country: str,
    years: YearsOfExperience,
    company: str | None = None,
    *,
    as_of: object = None,
    aging_rate: object = None,
) -> dict[str, Any]:
    """The two parts of the served 80% band at one point, in log salary sds, in the
    money of ``as_of`` (aged at ``aging_rate``), as :meth:`predict` answers it there.

    Read off what is served, so the account and the answer cannot disagree:
    the median's uncertainty on each side is its served 80% interval's
    half-width over ``z = 1.2816``; the spread within the market is what the
    band's half-width on that side leaves, ``sqrt((half / z)**2 - median_sd**2)``,
    averaged over the two sides.

    Returns
    -------
    dict
        ``within_sd``: the spread of salaries within the market (part a),
        ``median_sd_low`` / ``median_sd_high``: the median's uncertainty
        below and above it (part b), ``aging_sd``: the part of (b) that is the
        aging's from the reference month to ``as_of``, and ``median_share``:
        part (b)'s share of the band's variance.
    """
    e = core.predict(country, years, company, confidence=0.8, as_of=as_of, aging_rate=aging_rate)
    median_low, median_high = math.log(e.median / e.median_low) / MEDIAN_Z, math.log(e.median_high / e.median) / MEDIAN_Z
    band_low, band_high = math.log(e.median / e.low) / MEDIAN_Z, math.log(e.high / e.median) / MEDIAN_Z
    within_low = math.sqrt(max(band_low**2 - median_low**2, 0.0))
    within_high = math.sqrt(max(band_high**2 - median_high**2, 0.0))
    return {
        "within_sd": (within_low + within_high) / 2,
        "median_sd_low": median_low,
        "median_sd_high": median_high,
        "aging_sd": core.money_quote(e.country, None, as_of, aging_rate).aging_sd,
        "median_share": (median_low**2 + median_high**2) / (band_low**2 + band_high**2),
    }


def fidelity_frame(core: ModelCore) -> pd.DataFrame:
    """Each reported figure beside the model's value of the same statistic.

    Computed once, at training, by :func:`salarymodel.training.fidelity.fidelity_table`
    and stored with the model; the evaluation report and :meth:`explain`
    both read this table.
    """
    import pandas as pd

    stored = core.meta.fidelity
    return pd.DataFrame.from_records(list(stored.records), columns=list(stored.columns))


def explain(
    core: ModelCore,
    country: str,
    years: YearsOfExperience,
    company: str | None = None,
    *,
    currency: str | None = None,
    as_of: object = None,
    aging_rate: float | None = None,
) -> pd.DataFrame:
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
        the ``site`` or survey behind it ('' where the article names none)
        and who published the article (``publisher``, ``title``, ``published``,
        ``address``: '' where unknown), ``statistic``, the figure as its
        source published it (``published_value``, ``published_value_high``,
        ``published_currency``, ``published_year``), ``level``, ``years_min``, ``years_max``,
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
    estimate = core.predict(country, years, company, currency=currency, as_of=as_of, aging_rate=aging_rate)
    table = fidelity_frame(core).set_index("id").loc[list(estimate.sources)].reset_index()
    rate = core.money_quote(estimate.country, currency, estimate.as_of, aging_rate).multiplier
    import pandas as pd

    named = [core.source_names.get(source, {}) for source in table["source"]]
    out = pd.DataFrame(
        {
            "id": table["id"],
            "source": table["source"],
            # The site or survey behind the figure (a model file older than format 11 names none).
            "site": table["site"].fillna("") if "site" in table else "",
            "publisher": [n.get("publisher", "") for n in named],
            "title": [n.get("title", "") for n in named],
            "published": [n.get("published", "") for n in named],
            "address": [n.get("address", "") for n in named],
            "statistic": table["statistic"],
            # As published (the figure's own currency and year; absent from older model files).
            "published_value": table.get("published_value", np.nan),
            "published_value_high": table.get("published_value_high", np.nan),
            "published_currency": table["currency"],
            "published_year": table.get("published_year", np.nan),
            "level": table["level"],
            "years_min": table["years_min"],
            "years_max": table["years_max"],
            "company": table["company"],
            "reported": table["reported_usd"] * rate,
            "reported_high": table["reported_high_usd"] * rate,
            "model": table["model_usd"] * rate,
            "model_high": table["model_high_usd"] * rate,
            "relative_difference": table["relative_error"],
            "relative_difference_high": table["relative_error_high"],
        }
    )
    out["currency"] = estimate.currency
    return out
