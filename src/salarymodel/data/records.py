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

import numpy as np
import pandas as pd

from ..errors import FiguresError, ParameterError
from .aging import WageSeries, figure_month
from .amounts import AMBIGUOUS_POINT, PLAIN_NUMBER, AmountError, parse_number
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


def _numbers(cells: pd.Series) -> np.ndarray:
    """Each cell's number (NaN: none, or one that reads two ways). Plain numerals are converted
    together; every other distinct text goes through :func:`_number`, so a block of a
    survey's salaries costs one vectorised pass, and the rules stay those of ``parse_number``."""
    plain = (cells.str.fullmatch(PLAIN_NUMBER) & ~cells.str.fullmatch(AMBIGUOUS_POINT)).to_numpy(bool)
    values = np.full(len(cells), np.nan)
    values[plain] = cells[plain].astype(float).to_numpy()
    rest = ~plain | ~np.isfinite(values)
    if rest.any():
        read = {text: _number(text) for text in pd.unique(cells[rest])}
        values[rest] = [np.nan if read[text] is None else read[text] for text in cells[rest]]
    return values


def _each_distinct(cells: pd.Series, function) -> pd.Series:
    """``function`` of each cell, called once per distinct value."""
    return cells.map({value: function(value) for value in pd.unique(cells)})


def _country_or_none(text: str) -> str | None:
    from .names import country_code

    try:
        return country_code(text) if text else None
    except ValueError:
        return None


def _checked_rows(block: pd.DataFrame, first_line: int, currencies, problems: list[str]) -> pd.DataFrame:
    """One block of a records file, typed; each problem (line, column, rule, value) appended to
    ``problems``, row by row in the file's order and in the columns' order within a row."""
    cells = {column: block[column].astype(str).str.strip().reset_index(drop=True) for column in RECORD_COLUMNS}
    country = _each_distinct(cells["country"], _country_or_none)
    years, salary, year = (_numbers(cells[column]) for column in ("years", "salary", "year"))
    currency = cells["currency"]
    upper = currency.str.upper()
    code_like = (currency.str.len() == 3) & currency.str.isalpha()
    names = {column: _each_distinct(cells[column], _name_rule) for column in ("company", "source")}
    with np.errstate(invalid="ignore"):
        checks = [  # (column, rows refused, the rule: one text, or each row's)
            ("country", country.isna().to_numpy(), "must be a country name or ISO code."),
            ("years", ~((years >= 0) & (years <= MAX_YEARS)), f"must be a number of years from 0 to {MAX_YEARS}."),
            ("salary", ~((salary >= _MIN_SALARY) & (salary <= _MAX_SALARY)), "must be an annual salary above 0."),
            (
                "year",
                ~((year == np.floor(year)) & (year >= 1990) & (year <= 2100)),
                "must be the year the salary was paid, e.g. 2023.",
            ),
            ("pay", ~cells["pay"].isin(["base", "total"]).to_numpy(), "must be 'base' or 'total'."),
            ("source", (cells["source"] == "").to_numpy(), "must name who collected the salary."),
            ("company", names["company"].notna().to_numpy(), names["company"]),
            ("source", names["source"].notna().to_numpy(), names["source"]),
            ("currency", ~code_like.to_numpy(), "must be a three-letter currency code such as EUR."),
            (
                "currency",
                (code_like & ~upper.isin(list(currencies))).to_numpy(),
                "must be a currency the ECB quotes (such as EUR, USD or INR).",
            ),
        ]
    refused = np.logical_or.reduce([rows for _, rows, _ in checks])
    for i in np.flatnonzero(refused):  # the few bad rows, each named as the file has it
        for column, rows, rule in checks:
            if rows[i]:
                text = rule if isinstance(rule, str) else rule.iloc[i]
                problems.append(f"line {first_line + i}, column '{column}': {text} Got {cells[column].iloc[i]!r}.")
    return pd.DataFrame(
        {
            # Lists, so pandas types the text columns as it does any frame of rows.
            "country": country.tolist(),
            "years": years,
            "company": [name or None for name in cells["company"].tolist()],
            "salary": salary,
            "currency": upper.tolist(),
            "year": np.where(np.isfinite(year), np.nan_to_num(year), 0).astype(int),
            "pay": cells["pay"].tolist(),
            "source": cells["source"].tolist(),
        },
        columns=RECORD_COLUMNS,
    )


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
