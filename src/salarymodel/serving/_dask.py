"""Scoring a Dask DataFrame partition by partition with the same model.

Needs the optional ``dask`` extra (``pip install "salarymodel[dask]"``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import ParameterError

if TYPE_CHECKING:
    from .core import ModelCore

__all__ = ["predict_dask"]


def _meta(
    index: pd.Index | None,
    sources: bool,
    percentiles: Iterable[float] | None,
    categories: tuple[list[str], list[str]],
    employers: list[str],
) -> pd.DataFrame:
    currencies, as_ofs = categories
    from .estimate import SUPPORT_GRADES

    columns = {
        "low": np.float64,
        "median": np.float64,
        "high": np.float64,
        "currency": pd.CategoricalDtype(currencies),
        "company_known": bool,
        "employer": pd.CategoricalDtype(employers),
        "support": pd.CategoricalDtype(SUPPORT_GRADES),
        "as_of": pd.CategoricalDtype(as_ofs),
        "projected": bool,
    }
    if sources:
        columns["sources"] = object
    for q in percentiles or ():
        columns[f"p{float(q):g}"] = float
    return pd.DataFrame(
        {name: pd.Series(dtype=dtype) for name, dtype in columns.items()}, index=index[:0] if index is not None else None
    )


def predict_dask(
    score: Callable[..., pd.DataFrame],
    categorise: Callable[[ModelCore, object, object], tuple[list[str], list[str]]],
    core: ModelCore,
    frame: Any,
    *,
    confidence: float = 0.8,
    currency: str | None = None,
    sources: bool = False,
    as_of: object = None,
    aging_rate: float | None = None,
    percentiles: Iterable[float] | None = None,
    errors: str = "raise",
) -> Any:
    """Lazy Dask DataFrame of estimates, one ``score(core, partition)`` call per partition
    (``score`` is the pandas ``predict_frame``, ``categorise`` its ``frame_categories``).

    The model's core is shipped to the workers with the task graph (it pickles
    without its caches), so the same call scales from the local scheduler to
    a cluster. Bad rows raise :class:`~salarymodel.InvalidRowsError` when the
    result is computed, naming the rows of the partition at fault.
    """
    from ._rows import require_profile_columns
    from .bands import check_confidence

    check_confidence(confidence, "predict_frame")
    if percentiles is not None:
        core.check_q(percentiles)
    categories = categorise(core, currency, as_of)  # a bad currency or date fails now, not on the cluster
    if errors not in ("raise", "coerce"):
        raise ParameterError(
            "errors", f"The 'errors' parameter of predict_frame must be 'raise' or 'coerce'. Got {errors!r} instead."
        )
    if aging_rate is not None:  # its value now; whether a country's index reaches as_of, per partition
        from .money import check_aging_rate

        check_aging_rate(aging_rate)
    require_profile_columns(frame.columns)
    from ._rows import employer_names

    meta = _meta(frame._meta.index, sources, percentiles, categories, employer_names(core))
    if errors == "coerce":
        meta["error"] = pd.Series(dtype=object)
    return frame.map_partitions(
        functools.partial(score, core),
        confidence=confidence,
        currency=currency,
        sources=sources,
        as_of=as_of,
        aging_rate=aging_rate,
        percentiles=percentiles,
        errors=errors,
        meta=meta,
    )
