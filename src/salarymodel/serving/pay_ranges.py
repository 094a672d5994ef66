"""Pay ranges for job postings and bands for a company's levels.

Pay-transparency rules (the EU Pay Transparency Directive, several US states)
ask an employer to state a pay range for a role. For each level this module
reads one distribution, the mixture over the level's years (as
``predict(country, (low, high))``), and returns its ``spread`` percentiles as
the range's minimum and maximum and its ``target`` percentile as the midpoint:
by default the 25th, 50th and 75th, the middle half of what ML engineers in
those years earn. It says what the market pays; it does not say what a given
role is worth, nor prove a range fair.

Numpy and the standard library only: serving imports this module.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ParameterError, ParameterTypeError
from .bands import check_percentile
from .constraints import shown
from .distribution import Distribution, resolve_query

if TYPE_CHECKING:
    from .core import ModelCore

__all__ = ["parse_levels", "DEFAULT_LEVELS", "MAX_LEVELS", "PayRange", "pay_ranges", "schema_org", "json_ld"]

# Years of each level, from the model's level edges (entry < 3, mid 3-7, senior
# 7-12 years); a lead's range stops at 20 years, where most postings for the role sit.
LEAD_YEARS_MAX = 20.0
DEFAULT_LEVELS = ("entry", "mid", "senior", "lead")
# Levels one call may ask for: each costs a mixture over its years, so a list a client
# sends is bounded (a pay scale has a handful of levels; 3,000 took 30 s of CPU).
MAX_LEVELS = 20
# The schema.org percentiles a MonetaryAmountDistribution names.
_SCHEMA_PERCENTILES = {10: "percentile10", 25: "percentile25", 50: "median", 75: "percentile75", 90: "percentile90"}


@dataclass(frozen=True)
class PayRange:
    """One level's pay range.

    Attributes
    ----------
    level : str
        The level's name ('entry', 'mid', ... or the one you gave).
    years_min, years_max : float
        The level's years of experience.
    minimum, midpoint, maximum : float
        The ``spread`` and ``target`` percentiles of annual base salary.
    percentiles : dict of int to float
        The 10th, 25th, 50th, 75th and 90th percentiles (for schema.org).
    currency, as_of : str
        The money the amounts are in.
    support : str
        The weakest support over the level's years.
    sources : tuple of str
        The reported figures behind any of its years.
    """

    level: str
    years_min: float
    years_max: float
    minimum: float
    midpoint: float
    maximum: float
    percentiles: dict[float, float]
    currency: str
    as_of: str
    support: str
    sources: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able fields, amounts rounded to the currency's minor unit (cents, paise)."""
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__}
        for name in ("minimum", "midpoint", "maximum"):
            fields[name] = round(fields[name], 2)
        fields["percentiles"] = {f"p{q}": round(v, 2) for q, v in self.percentiles.items()}
        fields["sources"] = list(self.sources)
        return fields


def _level_years(core: ModelCore, levels: object) -> list[tuple[str, float, float]]:
    """(name, low, high) for each level asked for, each a range of years within the model's."""
    if levels is None:
        edges = (0.0, *core.level_edges, LEAD_YEARS_MAX)
        return [(name, edges[i], edges[i + 1]) for i, name in enumerate(DEFAULT_LEVELS)]
    if isinstance(levels, dict) and levels:
        named = [(str(name), value) for name, value in levels.items()]
    elif isinstance(levels, (list, tuple)) and levels:
        named = [("", value) for value in levels]
    else:
        raise ParameterTypeError(
            "levels",
            f"The 'levels' parameter of ranges must be None, a non-empty dict of name -> (low, high) years or a "
            f"non-empty list of (low, high) years. Got {shown(levels)} instead.",
        )
    if len(named) > MAX_LEVELS:
        raise ParameterError(
            "levels", f"The 'levels' parameter of ranges takes at most {MAX_LEVELS} levels. Got {len(named):,} instead."
        )
    answer = []
    for name, value in named:
        low, high = _pair(value)
        answer.append((name or f"{low:g}-{high:g} years", low, high))
    return answer


def _pair(value: object) -> tuple[float, float]:
    """One level's (low, high) years: numbers with 0 <= low < high <= MAX_YEARS."""
    from ..data.levels import MAX_YEARS

    message = (
        f"The 'levels' parameter of ranges takes each level's years as a (low, high) pair with "
        f"0 <= low < high <= {MAX_YEARS:g}, such as (3, 7). Got {shown(value)} instead."
    )
    if not (isinstance(value, (list, tuple)) and len(value) == 2):
        raise ParameterTypeError("levels", message)
    if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value):
        raise ParameterTypeError("levels", message)
    try:
        low, high = float(value[0]) + 0.0, float(value[1]) + 0.0
    except OverflowError:
        raise ParameterError("levels", message) from None
    if not 0.0 <= low < high <= MAX_YEARS:  # NaN fails too
        raise ParameterError("levels", message)
    return low, high


def parse_levels(text: str | None) -> list[tuple[float, float]] | None:
    """``'0-3,3-7,7-12'`` as year ranges ``[(0, 3), (3, 7), (7, 12)]`` (None stays None).

    Raises
    ------
    ParameterError
        A part that is not a range of years, or more than ``MAX_LEVELS`` parts
        (its parameter is ``levels``).
    """
    if text is None:
        return None
    from .year_ranges import parse_years_text

    parts = text.split(",", MAX_LEVELS)  # never more than one part beyond the limit
    if len(parts) > MAX_LEVELS:
        raise ParameterError(
            "levels", f"The 'levels' parameter takes at most {MAX_LEVELS} year ranges. Got more than {MAX_LEVELS} instead."
        )
    pairs = []
    for part in parts:
        try:
            value = parse_years_text(part)
        except ValueError:
            value = None
        if not isinstance(value, tuple):
            raise ParameterError(
                "levels",
                f"The 'levels' parameter takes year ranges separated by commas (e.g. 0-3,3-7,7-12). Got {text[:80]!r} instead.",
            )
        pairs.append(value)
    return pairs


def pay_ranges(
    core: ModelCore,
    country: object,
    company: object = None,
    *,
    levels: object = None,
    target: float = 50,
    spread: tuple[float, float] = (25, 75),
    currency: object = None,
    as_of: object = None,
    aging_rate: object = None,
) -> list[PayRange]:
    """Pay ranges per level; see :meth:`SalaryModel.ranges`."""
    target = check_percentile(target, "ranges", "target")
    if not (isinstance(spread, (list, tuple)) and len(spread) == 2):
        raise ParameterTypeError(
            "spread",
            f"The 'spread' parameter of ranges must be two percentiles (low, high) such as (25, 75). Got {spread!r} instead.",
        )
    low_q, high_q = check_percentile(spread[0], "ranges", "spread"), check_percentile(spread[1], "ranges", "spread")
    if not low_q < target < high_q:
        raise ParameterError(
            "spread",
            f"The 'spread' parameter of ranges must hold the target percentile strictly inside it "
            f"(low < target < high). Got spread={tuple(spread)!r} and target={target:g} instead.",
        )
    answers = []
    wanted = sorted({low_q, target, high_q, *_SCHEMA_PERCENTILES})
    for name, low, high in _level_years(core, levels):
        query = resolve_query(core, country, (low, high), company, currency=currency, as_of=as_of, aging_rate=aging_rate)
        distribution = Distribution(core, query)
        values = dict(zip(wanted, distribution.quantiles([q / 100.0 for q in wanted]).tolist()))
        answers.append(
            PayRange(
                name,
                query.years,
                high if query.years_max is None else query.years_max,
                values[low_q],
                values[target],
                values[high_q],
                {q: values[float(q)] for q in _SCHEMA_PERCENTILES},
                query.money.currency,
                query.money.as_of,
                distribution.support(),
                tuple(distribution.sources()),
            )
        )
    return answers


def schema_org(answer: PayRange, *, occupation: str = "Machine Learning Engineer") -> dict[str, Any]:
    """One range as a schema.org ``MonetaryAmountDistribution`` (JSON-LD) a job board can read:
    annual base salary (``duration`` P1Y) with its 10th-90th percentiles."""
    return {
        "@context": "https://schema.org",
        "@type": "MonetaryAmountDistribution",
        "name": f"{occupation}, {answer.level} ({answer.years_min:g}-{answer.years_max:g} years): base salary",
        "currency": answer.currency,
        "duration": "P1Y",
        **{key: round(answer.percentiles[q], 2) for q, key in _SCHEMA_PERCENTILES.items()},
    }


def json_ld(documents: list[dict[str, Any]]) -> str:
    """JSON-LD text safe to paste inside a page's ``<script type="application/ld+json">``:
    ``<``, ``>`` and ``&`` are written as JSON escapes, so a level named ``</script>``
    cannot end the element (the JSON reads back the same)."""
    import json

    text = json.dumps(documents, indent=1)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
