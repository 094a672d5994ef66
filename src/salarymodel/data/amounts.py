"""Amounts and shares as people type them: ``70k``, ``70,000``, ``EUR 70 000``,
``14.5 lakh``, ``14,50,000``; a confidence of ``80``, ``80%`` or ``0.8``.

One reader for the command line and the page, so both take the same words.
It reads a text only where one reading is possible: ``2,5`` (a decimal comma,
or a thousands separator missing a digit?) and ``75.000`` (seventy-five, or
seventy-five thousand?) are refused in plain words, as are digits outside
0-9 (a full-width ``７`` is not silently a 7) and Python's ``1_0``.
"""

from __future__ import annotations

import math
import re

__all__ = ["AMBIGUOUS_POINT", "PLAIN_NUMBER", "AmountError", "parse_amount", "parse_confidence", "parse_number"]

# Words and letters that scale a number, as people write salaries.
_SCALES = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6, "lakh": 1e5, "lakhs": 1e5, "lac": 1e5}
_SCALES.update({"crore": 1e7, "crores": 1e7, "cr": 1e7})
# A currency written beside the amount: an upper-case code apart from it, or a sign; the
# amount is read without it (lower-case words are the scales: "14.5 lac").
_CURRENCY = re.compile(r"^(?:[A-Z]{3}\s+|[€$£₹]\s*)|(?:\s+[A-Z]{3}|\s*[€$£₹])$")
# Thousands written with commas (70,000; 1,250,000) or the Indian way (14,50,000).
_GROUPED = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^\d{1,2}(?:,\d{2})+,\d{3}(?:\.\d+)?$")
# A plain numeral (ASCII digits, at most one point), and the one plain form read two ways:
# one to three digits, a point, three digits (75.000). Batch readers of data files use them too.
PLAIN_NUMBER = r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+"
AMBIGUOUS_POINT = r"[1-9][0-9]{0,2}\.[0-9]{3}"
_PLAIN = re.compile(PLAIN_NUMBER)


class AmountError(ValueError):
    """A text that is no amount, or could be read two ways; the message says how to write it."""


def _number(text: str, what: str) -> float:
    """A plain or grouped number, ASCII digits only."""
    if not text.isascii():
        raise AmountError(f"{what} must use the digits 0-9. Got {text!r}.")
    compact = text.replace(" ", "").replace("\u00a0", "")
    if compact.startswith("-"):  # a sign is the caller's range check's to judge, not a second reading
        return -_number(compact[1:], what)
    if _GROUPED.match(compact):
        return float(compact.replace(",", ""))
    if re.fullmatch(r"\d+,\d{1,2}", compact):
        raise AmountError(f"{what} {text!r} could be a decimal comma; write {compact.replace(',', '.')} with a point.")
    if re.fullmatch(AMBIGUOUS_POINT, compact):
        raise AmountError(
            f"{what} {text!r} could be {compact} or {compact.replace('.', '')}; write it without the point, "
            f"or with a comma for thousands ({compact.replace('.', ',')})."
        )
    if _PLAIN.fullmatch(compact):
        return float(compact)
    raise AmountError(f"{what} must be a number such as 2.5 or 70,000. Got {text!r}.")


def parse_number(text: str, what: str = "The value") -> float:
    """A number in a data file's cell: plain (``2.5``, ``-1``) or with thousands grouped by
    commas (``75,000``, ``14,50,000``); ``2,5``, ``75.000``, ``1_0`` and digits outside 0-9
    are refused, naming how to write them.

    Raises
    ------
    AmountError
    """
    value = _number(str(text).strip(), what)
    if not math.isfinite(value):
        raise AmountError(f"{what} must be a finite number. Got {text!r}.")
    return value


def parse_amount(text: object, what: str = "The salary") -> float:
    """An annual amount from what a person typed.

    Parameters
    ----------
    text : str or number
        ``70000``, ``70,000``, ``70 000``, ``70k``, ``EUR 70,000``, ``€70k``,
        ``14.5 lakh``, ``14,50,000``, ``1.2m``; a number is taken as it is.
    what : str
        How a message names the field ("The salary").

    Returns
    -------
    float
        Positive and finite.

    Raises
    ------
    AmountError
        Naming ``what`` and how to write it.

    Examples
    --------
    >>> parse_amount("70k"), parse_amount("14.5 lakh"), parse_amount("EUR 70,000")
    (70000.0, 1450000.0, 70000.0)
    """
    if isinstance(text, bool):
        raise AmountError(f"{what} must be a number such as 70000. Got {text!r}.")
    if isinstance(text, (int, float)):
        value = float(text)
    else:
        words = str(text).strip()
        words = _CURRENCY.sub("", words).strip()
        match = re.fullmatch(r"(.*?)\s*([A-Za-z]+)", words)
        scale = 1.0
        if match and match.group(2).lower() in _SCALES:
            words, scale = match.group(1), _SCALES[match.group(2).lower()]
        elif match:
            raise AmountError(f"{what} {str(text)!r} has a word it does not know: {match.group(2)!r} (write 70k or 14.5 lakh).")
        value = _number(words, what) * scale
    if not (math.isfinite(value) and value > 0):
        raise AmountError(f"{what} must be a positive amount. Got {text!r}.")
    return value


def parse_confidence(text: object) -> float:
    """A band's coverage as a share: ``0.8``, ``80`` and ``80%`` all mean 80%.

    Raises
    ------
    AmountError
        Outside 0-100% (exclusive), or no number.

    Examples
    --------
    >>> parse_confidence("80%"), parse_confidence("80"), parse_confidence(0.9)
    (0.8, 0.8, 0.9)
    """
    if isinstance(text, bool):
        raise AmountError(f"The confidence must be a share such as 0.8 or 80%. Got {text!r}.")
    words = str(text).strip()
    percent = words.endswith("%")
    try:
        value = _number(words.rstrip("%").strip(), "The confidence") if not isinstance(text, (int, float)) else float(text)
    except AmountError:
        raise AmountError(f"The confidence must be a share such as 0.8, 80 or 80%. Got {text!r}.") from None
    if not percent and 1 <= value < 10:  # 1.5: a share typed wrong, or 1.5%? Neither is likely meant
        raise AmountError(f"The confidence {text!r} reads two ways; write a share such as 0.8 or a percent such as 80%.")
    if percent or value >= 1:
        value /= 100
    if not 0 < value < 1:
        raise AmountError(f"The confidence must lie between 0 and 100% (exclusive), such as 80%. Got {text!r}.")
    return value
