"""Individual salaries (records): a payroll export, a public survey, your own rows.

One row per engineer, with the columns of :data:`RECORD_COLUMNS`:
``country`` (any name ``predict`` accepts), ``years`` (of experience),
``company`` (empty when unknown), ``salary`` (annual, in ``currency``),
``year`` (when it was paid), ``pay`` (``base`` or ``total``) and ``source``
(who collected it: a survey is one source). The same file feeds the
measurement model (``train --records``, in the likelihood) and the check of
served bands against real pay (``evaluate --real``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import FiguresError
from .amounts import AmountError, parse_number
from .levels import MAX_YEARS

__all__ = ["RECORD_COLUMNS", "load_records"]

RECORD_COLUMNS = ["country", "years", "company", "salary", "currency", "year", "pay", "source"]
_MIN_SALARY, _MAX_SALARY = 1.0, 1e12


def _number(text: str) -> float | None:
    """A cell's number by the one reader of numbers (:func:`~salarymodel.data.amounts.parse_number`),
    None when it is none or reads two ways (``2,5``, ``75.000``): the row is then refused."""
    try:
        return parse_number(text)
    except AmountError:
        return None


def load_records(path: str | Path) -> pd.DataFrame:
    """Read and validate a records file.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    pandas.DataFrame
        Typed columns: ``country`` as ISO alpha-2, ``years``/``salary`` floats,
        ``year`` int, ``company`` None when empty, ``pay`` and ``source`` text.

    Raises
    ------
    FiguresError
        Listing every problem with its line and column (nothing is read half).
    """
    from .figures import require_regular_file
    from .names import country_code

    require_regular_file(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise FiguresError(str(path), [f"cannot read the file as CSV: {error}"]) from None
    missing = [c for c in RECORD_COLUMNS if c not in raw.columns and c != "company"]
    if missing:
        raise FiguresError(
            str(path),
            [f"missing required column(s): {', '.join(missing)}; a records file has the columns {', '.join(RECORD_COLUMNS)}"],
        )
    if "company" not in raw:
        raw["company"] = ""
    if raw.empty:
        raise FiguresError(str(path), ["the file has no rows"])
    problems, rows = [], []
    for offset, row in enumerate(raw[RECORD_COLUMNS].to_dict("records")):
        line = offset + 2
        row = {k: str(v).strip() for k, v in row.items()}

        def bad(column: str, rule: str, row=row, line=line) -> None:
            problems.append(f"line {line}, column '{column}': {rule} Got {row[column]!r}.")

        try:
            country = country_code(row["country"]) if row["country"] else None
        except ValueError:
            country = None
        if country is None:
            bad("country", "must be a country name or ISO code.")
        years, salary, year = _number(row["years"]), _number(row["salary"]), _number(row["year"])
        if years is None or not 0 <= years <= MAX_YEARS:
            bad("years", f"must be a number of years from 0 to {MAX_YEARS}.")
        if salary is None or not _MIN_SALARY <= salary <= _MAX_SALARY:
            bad("salary", "must be an annual salary above 0.")
        if year is None or year != int(year) or not 1990 <= year <= 2100:
            bad("year", "must be the year the salary was paid, e.g. 2023.")
        if row["pay"] not in ("base", "total"):
            bad("pay", "must be 'base' or 'total'.")
        if not row["source"] or not row["source"].isprintable():
            bad("source", "must name who collected the salary (printable text).")
        if len(row["currency"]) != 3 or not row["currency"].isalpha():
            bad("currency", "must be a three-letter currency code such as EUR.")
        rows.append(
            {
                "country": country,
                "years": years,
                "company": row["company"] or None,
                "salary": salary,
                "currency": row["currency"].upper(),
                "year": int(year) if year is not None else 0,
                "pay": row["pay"],
                "source": row["source"],
            }
        )
    if problems:
        raise FiguresError(str(path), problems)
    return pd.DataFrame(rows, columns=RECORD_COLUMNS)
