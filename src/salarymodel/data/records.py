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

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from ..errors import FiguresError, ParameterError
from .aging import WageSeries, figure_month
from .amounts import AmountError, parse_number
from .levels import MAX_YEARS
from .names import MAX_NAME_LENGTH

__all__ = ["RECORD_COLUMNS", "MAX_RECORDS", "MAX_RECORDS_BYTES", "load_records", "check_records_money"]

RECORD_COLUMNS = ["country", "years", "company", "salary", "currency", "year", "pay", "source"]
_MIN_SALARY, _MAX_SALARY = 1.0, 1e12
# A records file is read in blocks of this many rows, so memory follows the block, not the file.
CHUNK_ROWS = 50_000
# The most rows a file may hold, and its largest size (checked before it is read): a
# quarter of a million salaries is a large survey, and reads in about 12 s and 0.25 GB.
MAX_RECORDS = 250_000
MAX_RECORDS_BYTES = 64 * 1024 * 1024


def _number(text: str) -> float | None:
    """A cell's number by the one reader of numbers (:func:`~salarymodel.data.amounts.parse_number`),
    None when it is none or reads two ways (``2,5``, ``75.000``): the row is then refused."""
    try:
        return parse_number(text)
    except AmountError:
        return None


def _name_rule(text: str) -> str | None:
    """Why a company or source name is refused (None when it is fine): the rules
    ``predict`` applies to a company, so every name a model learns can be asked for."""
    if len(text) > MAX_NAME_LENGTH:
        return f"must be at most {MAX_NAME_LENGTH} characters (this one has {len(text)})."
    if not text.isprintable():
        return "must be printable text on one line (no line breaks, tabs or control characters)."
    return None


def _header(path: str | Path) -> list[str]:
    """The header's column names as written (pandas renames a repeated one)."""
    try:
        first = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise FiguresError(
            str(path), [f"the file is empty: a records file starts with the header {','.join(RECORD_COLUMNS)}"], "records"
        ) from None
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise FiguresError(str(path), [f"cannot read the file as CSV: {error}"], "records") from None
    return [str(name).strip() for name in first.iloc[0].tolist()]


def load_records(path: str | Path, *, progress: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Read and validate a records file, :data:`CHUNK_ROWS` rows at a time.

    Parameters
    ----------
    path : str or Path
        At most :data:`MAX_RECORDS_BYTES` bytes and :data:`MAX_RECORDS` lines
        after the header (both checked before a row is read).
    progress : callable, default=None
        Told how many rows were read after each block (files over one block).

    Returns
    -------
    pandas.DataFrame
        Typed columns: ``country`` as ISO alpha-2, ``years``/``salary`` floats,
        ``year`` int, ``company`` None when empty, ``pay`` and ``source`` text;
        indexed by each row's line in the file, with the file in ``attrs["path"]``,
        so a later stage (its money) can name the line it refuses.

    Raises
    ------
    FiguresError
        Listing every problem with its line and column (nothing is read half).
    """
    from .figures import require_regular_file
    from .fx import known_currencies

    require_regular_file(path)
    size = Path(path).stat().st_size
    if size > MAX_RECORDS_BYTES:
        raise FiguresError(
            str(path),
            [
                f"the file has {size:,} bytes; a records file may have at most {MAX_RECORDS_BYTES:,} "
                f"(and {MAX_RECORDS:,} rows): split it, or keep a sample of its rows"
            ],
            "records",
        )
    lines = _count_lines(path)
    if lines - 1 > MAX_RECORDS:
        raise FiguresError(
            str(path),
            [
                f"the file has {lines - 1:,} lines after its header; a records file may hold at most {MAX_RECORDS:,} rows: "
                "split it, or keep a sample of its rows"
            ],
            "records",
        )
    header = _header(path)
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise FiguresError(
            str(path),
            [f"line 1: the column(s) {', '.join(map(repr, repeated))} appear more than once; keep one of each"],
            "records",
        )
    missing = [c for c in RECORD_COLUMNS if c not in header and c != "company"]
    if missing:
        raise FiguresError(
            str(path),
            [f"missing required column(s): {', '.join(missing)}; a records file has the columns {', '.join(RECORD_COLUMNS)}"],
            "records",
        )
    currencies = known_currencies()
    problems: list[str] = []
    frames = []
    read = 0
    try:
        blocks = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True, chunksize=CHUNK_ROWS)
        for block in blocks:
            if "company" not in block:
                block["company"] = ""
            frames.append(_checked_rows(block[RECORD_COLUMNS], read + 2, currencies, problems))
            read += len(block)
            if progress is not None and read >= CHUNK_ROWS:
                progress(f"read {read:,} records from {path}")
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise FiguresError(str(path), [f"cannot read the file as CSV: {error}"], "records") from None
    if not read:
        raise FiguresError(str(path), ["the file has no rows"], "records")
    if problems:
        raise FiguresError(str(path), problems, "records")
    frame = pd.concat(frames, ignore_index=True)
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="line")
    frame.attrs["path"] = str(path)
    return frame


def _count_lines(path: str | Path) -> int:
    """Line ends in the file (a last line without one counts too), read a block at a time."""
    count, last = 0, b"\n"
    with open(path, "rb") as stream:
        while block := stream.read(1 << 20):
            count, last = count + block.count(b"\n"), block[-1:]
    return count + (last != b"\n")


def _checked_rows(block: pd.DataFrame, first_line: int, currencies, problems: list[str]) -> pd.DataFrame:
    """One block of a records file, typed; each problem (line, column, rule, value) appended to ``problems``."""
    from .names import country_code

    rows = []
    for offset, row in enumerate(block.to_dict("records")):
        line = first_line + offset
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
        if not row["source"]:
            bad("source", "must name who collected the salary.")
        for column in ("company", "source"):
            rule = _name_rule(row[column])
            if rule:
                bad(column, rule)
        if len(row["currency"]) != 3 or not row["currency"].isalpha():
            bad("currency", "must be a three-letter currency code such as EUR.")
        elif row["currency"].upper() not in currencies:
            bad("currency", "must be a currency the ECB quotes (such as EUR, USD or INR).")
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
    return pd.DataFrame(rows, columns=RECORD_COLUMNS)


def check_records_money(
    records: pd.DataFrame, reference_year: int, per_usd: dict[str, float], wages: dict[str, WageSeries]
) -> None:
    """Refuse records that cannot be put in the reference year's money: a currency
    without that year's rate, or a year before its country's wage index starts.

    Each row is named by its line (:func:`load_records` indexes by line and keeps
    the file in ``attrs["path"]``) or, for a frame of the caller's, by its index.

    Raises
    ------
    FiguresError
        Listing every such row, its column and the fix.
    """
    path = records.attrs.get("path")
    where = "line" if records.index.name == "line" else "row"
    problems = []
    for line, row in zip(records.index, records.to_dict("records")):
        if row["currency"] not in per_usd:
            problems.append(
                f"{where} {line}, column 'currency': the ECB quotes no rate for {row['currency']} over "
                f"{reference_year}, the year every salary is converted in; give the salary in a currency "
                f"it quotes then (such as EUR, USD or INR). Got {row['currency']!r}."
            )
        series = wages.get(row["country"])
        if series is None:
            continue
        try:
            series.log_level(figure_month(int(row["year"])))
        except ParameterError as error:
            problems.append(f"{where} {line}, column 'year': {error} Got {row['year']!r}.")
    if problems:
        raise FiguresError(path or "(records given as a DataFrame)", problems, "records")
