"""Answers in words: the one place that writes an estimate's sentence, names a
group of engineers and formats an amount, for Python, the command line and
the web API alike.

Amounts are grouped as readers of their currency read them: Indian rupees
in lakh and crore (``14,23,388 INR``), every other currency in thousands
(``82,071 EUR``). Only text is grouped; numbers in JSON stay plain.

Standard library only: serving imports this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .estimate import SalaryEstimate

__all__ = ["amount", "country_phrase", "engineers", "estimate_sentence", "one_line", "years_phrase"]

# Currencies whose readers group digits in twos above the thousands (lakh, crore).
_LAKH_CURRENCIES = frozenset({"INR"})
# Country names that read with "the" in a sentence ("in the United States").
_WITH_ARTICLE = frozenset(
    {
        "United States",
        "United Kingdom",
        "Netherlands",
        "Philippines",
        "United Arab Emirates",
        "Czechia",
        "Dominican Republic",
        "Bahamas",
        "Gambia",
    }
)


def one_line(text: object) -> str:
    """Text from a model file or a user's figures as one printable line: control
    characters (a newline, an escape that clears or retitles a terminal) become ``?``."""
    return "".join(c if c.isprintable() else "?" for c in str(text))


def amount(value: float, currency: str | None = None) -> str:
    """A whole amount, digits grouped as the currency's readers group them.

    Parameters
    ----------
    value : float
        The amount; rounded to a whole unit.
    currency : str, default=None
        ISO 4217 code: ``"INR"`` groups in lakh and crore, any other in thousands.

    Returns
    -------
    str

    Examples
    --------
    >>> amount(1423388.4, "INR"), amount(82071.2, "EUR")
    ('14,23,388', '82,071')
    """
    if currency not in _LAKH_CURRENCIES or abs(value) < 100_000:
        return f"{value:,.0f}"
    digits = f"{abs(value):.0f}"
    head, groups = digits[:-3], [digits[-3:]]
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    groups.insert(0, head)
    return ("-" if value < 0 else "") + ",".join(groups)


def country_phrase(name: str) -> str:
    """A country's name as it reads after "in": ``'the United States'``, ``'Germany'``."""
    return f"the {name}" if name in _WITH_ARTICLE else name


def years_phrase(years: float, years_max: float | None = None) -> str:
    """``'5 years'``, ``'1 year'`` or, for a range, ``'3-5 years'``."""
    if years_max is not None:
        return f"{years:g}-{years_max:g} years"
    return f"{years:g} year{'' if years == 1 else 's'}"


def engineers(country_name: str, years: float, years_max: float | None = None, company: str | None = None) -> str:
    """The group an answer is about: ``'ML engineers in Germany with 5 years of experience at SAP'``.

    ``company`` is named only when given (pass None for the market).
    """
    at = f" at {company}" if company else ""
    return f"ML engineers in {country_phrase(country_name)} with {years_phrase(years, years_max)} of experience{at}"


def estimate_sentence(estimate: SalaryEstimate, country_name: str) -> str:
    """An estimate in words, as every interface shows it.

    Parameters
    ----------
    estimate : SalaryEstimate
    country_name : str
        The country's name (``SalaryModel.country_label``).

    Returns
    -------
    str
        "80% of ML engineers in Germany with 5 years of experience earn between
        61,740 and 115,030 EUR; median 84,243 EUR. Base salary per year, in
        money of 2026-10-31." plus, for an employer the model does not know,
        that the answer is the market's (and the likely name meant).
    """
    e, cur = estimate, estimate.currency
    who = engineers(country_name, e.years, e.years_max, e.company if e.company_known else None)
    projected = " (wage index projected)" if e.projected else ""
    text = (
        f"{e.confidence:.0%} of {who} earn between {amount(e.low, cur)} and {amount(e.high, cur)} {cur}; "
        f"median {amount(e.median, cur)} {cur}. Base salary per year, in money of {e.as_of}{projected}."
    )
    if e.company and not e.company_known:
        hint = f" Did you mean {e.suggestion}?" if e.suggestion else ""
        text += f" {e.company} has no figures here: this is the market's estimate.{hint}"
    return text
