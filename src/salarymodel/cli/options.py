"""Which command-line option sets each library parameter.

The library names its parameters in its errors (``ParameterError.parameter``);
a command adds the option a user typed, so the message reads in both worlds:
"The 'years' parameter of predict must be ... (set by --years)".
"""

from __future__ import annotations

__all__ = ["OPTIONS", "option_for", "with_option"]

OPTIONS = {
    # predict, rank and ranges
    "country": "--country",
    "years": "--years",
    "company": "--company",
    "confidence": "--confidence",
    "currency": "--currency",
    "as_of": "--as-of",
    "aging_rate": "--aging-rate",
    "salary": "--salary",
    "q": "--percentiles",
    "levels": "--levels",
    "target": "--target",
    "spread": "--spread",
    "population": "--population",
    # train
    "rows_per_country": "--rows",
    "seed": "--seed",
    "out": "--out",
    "data_out": "--data-out",
    "data_dir": "--data",
    "wage_index": "--wage-index",
    "cpi": "--cpi",
    "aliases": "--aliases",
}


def option_for(error: BaseException) -> str | None:
    """The option behind an error's parameter, if it names one."""
    return OPTIONS.get(getattr(error, "parameter", ""))


def with_option(error: BaseException) -> str:
    """The error's message, with the option that set its parameter."""
    option = option_for(error)
    return f"{error}" + (f" (set by {option})" if option else "")
