"""Reported salary figures: the project's ground data, loaded and validated.

The figures file (``data/raw/reported_figures.csv``) holds one row per
reported statistic, with its provenance. The same loader reads user files,
so a user adds a country or an employer by adding rows.
"""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path

import pandas as pd
import pycountry

from ..errors import FiguresError
from .amounts import AmountError, parse_number
from .levels import MAX_YEARS, PARTITION_LEVELS
from .shipped import raw_data_file
from .statistics import kind_words, statistic_kind

__all__ = [
    "BASE_PAY",
    "FIGURE_COLUMNS",
    "load_figures",
    "load_levels",
    "exclusion_reasons",
    "group_rank",
    "level_edges",
    "local_currencies",
]

FIGURE_COLUMNS = [
    "id",
    "source",
    "source_detail",
    "country",
    "currency",
    "year",
    "level",
    "years_min",
    "years_max",
    "company",
    "pay",
    "statistic",
    "value",
    "value_high",
    "coverage",
    "note",
    "group",
    "group_rank",
]
_REQUIRED = ["id", "source", "country", "currency", "year", "level", "pay", "statistic", "value"]
# The pay a model is trained on and serves; figures of total pay are kept out.
BASE_PAY = "base"
_PAY_TYPES = {BASE_PAY, "total"}
_GROUP_RANK = re.compile(r"^(lowest|highest) of ([2-9]|[1-9][0-9]+|several)$")


def group_rank(text: str | None) -> tuple[int, int] | None:
    """Read a ``group_rank`` ('lowest of 3' -> (-1, 3), 'highest of 3' -> (1, 3)).

    The figure is then the lowest (or highest) of that many sources' values
    of its statistic, not one source's value; None for an empty rank. A count
    the source does not give ('lowest of several') is 0: the model treats it
    as a parameter with a prior.
    """
    match = _GROUP_RANK.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        return None
    count = 0 if match.group(2) == "several" else int(match.group(2))
    return (-1 if match.group(1) == "lowest" else 1), count


def load_levels(path: str | Path | None = None) -> pd.DataFrame:
    """Load the mapping between level names and years of experience.

    Parameters
    ----------
    path : str or Path, default=None
        A levels CSV; the shipped ``data/raw/levels.csv`` when None.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``level`` with ``years_min``, ``years_max`` (years of
        experience, half-open) and ``share_of_all`` (the experience mix
        assumed behind an "all levels" figure).
    """
    levels = pd.read_csv(path or raw_data_file("levels.csv")).set_index("level")
    shares = levels.loc[list(PARTITION_LEVELS), "share_of_all"]
    if not math.isclose(float(shares.sum()), 1.0, abs_tol=1e-9):
        raise ValueError(
            f"The 'share_of_all' column of the levels file must sum to 1 over "
            f"{PARTITION_LEVELS}. Got {float(shares.sum())} instead."
        )
    return levels


def level_edges(levels: pd.DataFrame) -> tuple[float, ...]:
    """Upper years bound of each partition level but the last (lead is open)."""
    return tuple(float(levels.at[name, "years_max"]) for name in PARTITION_LEVELS[:-1])


@functools.lru_cache(maxsize=4096)  # a survey names a few countries many times
def _country(text: str) -> str | None:
    """ISO alpha-2 code of a country written as ``predict`` accepts it, else None."""
    from .names import country_code

    try:
        return country_code(text)
    except ValueError:  # control characters, too long
        return None


# Annual salaries a figure may report, in any currency (INR included): wider
# than any real salary, narrow enough that logs and sums stay finite.
_MIN_SALARY, _MAX_SALARY = 1.0, 1e12


def _number(text: str) -> float | None:
    """A cell's number by the one reader of numbers (:func:`~salarymodel.data.amounts.parse_number`),
    None when it is none or reads two ways (``2,5``, ``75.000``): the row is then refused."""
    try:
        return parse_number(text)
    except AmountError:
        return None


def _check_row(line: int, row: dict[str, str], levels: pd.DataFrame) -> list[str]:
    """Validate one row; return one message per problem."""
    problems: list[str] = []

    def bad(column: str, rule: str) -> None:
        problems.append(f"line {line}, column '{column}': {rule} Got {row.get(column, '')!r}.")

    for column in _REQUIRED:
        if column == "country":
            continue  # an empty country is allowed and flagged (kept out of estimates)
        if not row.get(column, "").strip():
            bad(column, "is required and must not be empty.")
    for column in ("id", "source", "source_detail", "company", "group"):
        text = row.get(column, "")
        if text and (not text.isprintable() or len(text) > 100):
            bad(column, "must be printable text of at most 100 characters (no control characters).")
    country = row["country"].strip()
    if country and _country(country) is None:
        bad(
            "country",
            "must be a country as predict accepts it: an ISO code (US, DEU) or a name "
            "(Germany, Deutschland, United Kingdom), or empty.",
        )
    currency = row["currency"].strip()
    if currency and pycountry.currencies.get(alpha_3=currency.upper()) is None:
        bad("currency", "must be an ISO 4217 currency code such as USD, EUR, INR.")
    year = _number(row["year"]) if row["year"].strip() else None
    if row["year"].strip() and (year is None or year != int(year) or not 1990 <= year <= 2100):
        bad("year", "must be a whole year between 1990 and 2100.")
    level = row["level"].strip()
    if level and level not in levels.index:
        bad("level", f"must be one of {', '.join(levels.index)}.")
    if row["pay"].strip() and row["pay"].strip() not in _PAY_TYPES:
        bad("pay", "must be 'base' or 'total'.")
    statistic = row["statistic"].strip()
    kind = statistic_kind(statistic) if statistic else None
    if statistic and kind is None:
        bad("statistic", f"must be {kind_words()}.")
    value = _number(row["value"]) if row["value"].strip() else None
    if row["value"].strip() and (value is None or not _MIN_SALARY <= value <= _MAX_SALARY):
        bad("value", f"must be an annual salary between {_MIN_SALARY:g} and {_MAX_SALARY:g} in its currency.")
    high_text = row.get("value_high", "").strip()
    coverage_text = row.get("coverage", "").strip()
    if kind is not None and kind.spans:
        high = _number(high_text) if high_text else None
        if high is None or not _MIN_SALARY <= high <= _MAX_SALARY:
            bad("value_high", f"must be an annual salary between {_MIN_SALARY:g} and {_MAX_SALARY:g} for a range.")
        elif value is not None and high <= value:
            problems.append(
                f"line {line}, columns 'value'/'value_high': a range's low must be below "
                f"its high. Got {row['value']!r} > {high_text!r}."
            )
        coverage = _number(coverage_text) if coverage_text else None
        if coverage is None or not 0.01 <= coverage <= 0.99:
            bad(
                "coverage",
                "must be the share of salaries the range spans, from 0.01 to 0.99, e.g. 0.5 for 25th..75th percentile.",
            )
    elif kind is not None:
        if high_text:
            bad("value_high", f"must be empty for statistic '{statistic}' (only ranges have a high).")
        if coverage_text:
            bad("coverage", f"must be empty for statistic '{statistic}' (only ranges have a coverage).")
    rank_text = row.get("group_rank", "").strip()
    if rank_text and not _GROUP_RANK.match(rank_text):
        bad(
            "group_rank",
            "must be 'lowest of K' or 'highest of K' (K >= 2 sources), 'lowest of several' or "
            "'highest of several' (a count the source does not give), or empty.",
        )
    elif rank_text and not row.get("group", "").strip():
        bad("group_rank", "needs a 'group' naming the sources it ranks the figure among.")
    for column in ("years_min", "years_max"):
        text = row.get(column, "").strip()
        if text:
            number = _number(text)
            if number is None or not 0 <= number <= MAX_YEARS:
                bad(column, f"must be a number of years in [0, {MAX_YEARS:g}] (or empty for the level's default).")
    return problems


def require_regular_file(path: str | Path) -> None:
    """Raise :class:`FiguresError` unless ``path`` is a regular file (a FIFO or a
    device would block or never end; a folder is not a table)."""
    import stat

    from .files import kind_of

    try:
        mode = Path(path).stat().st_mode
    except OSError as error:
        raise FiguresError(str(path), [f"cannot read the file: {error.strerror or error}"]) from None
    if not stat.S_ISREG(mode):
        raise FiguresError(str(path), [f"is {kind_of(mode)}, not a regular file: give a CSV file"])


def load_figures(path: str | Path | None = None) -> pd.DataFrame:
    """Load and validate a reported-figures file.

    Parameters
    ----------
    path : str or Path, default=None
        A CSV with the columns of :data:`FIGURE_COLUMNS`; the shipped
        ``data/raw/reported_figures.csv`` when None.

    Returns
    -------
    pandas.DataFrame
        One row per figure with typed columns. ``years_min``/``years_max``
        are filled from the level when empty; ``company`` is None for a
        market figure; ``country`` is None for a figure naming no country.

    Raises
    ------
    FiguresError
        Listing every problem found, one per line, each with the file's line
        number, the column and the offending value.
    """
    path = Path(path) if path is not None else raw_data_file("reported_figures.csv")
    levels = load_levels()
    require_regular_file(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise FiguresError(str(path), [f"cannot read the file as CSV: {error}"]) from None
    missing = [c for c in _REQUIRED if c not in raw.columns]
    if missing:
        raise FiguresError(str(path), [f"missing required column(s): {', '.join(missing)}"])
    for column in FIGURE_COLUMNS:
        if column not in raw.columns:
            raw[column] = ""
    raw = raw[FIGURE_COLUMNS]
    if raw.empty:
        raise FiguresError(str(path), ["the file has no figure rows"])

    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    for offset, row in enumerate(raw.to_dict("records")):
        line = offset + 2  # line 1 is the header
        problems.extend(_check_row(line, row, levels))
        key = (row["id"].strip(), row["statistic"].strip())
        if key[0] and key in seen:
            problems.append(
                f"line {line}, column 'id': duplicate figure {key[0]!r} with statistic "
                f"{key[1]!r} (first on line {seen[key]}). Give each figure its own id."
            )
        seen.setdefault(key, line)
    problems.extend(_mixed_statistics(raw))
    if problems:
        raise FiguresError(str(path), problems)

    figures = raw.apply(lambda col: col.str.strip())
    figures["country"] = figures["country"].map(lambda text: _country(text) if text else None)
    figures["currency"] = figures["currency"].str.upper()
    figures["company"] = figures["company"].replace("", None)
    figures["group"] = figures["group"].replace("", None)
    figures["group_rank"] = figures["group_rank"].replace("", None)
    figures["year"] = figures["year"].map(_number).astype(int)
    for column in ("value", "value_high", "coverage", "years_min", "years_max"):
        figures[column] = figures[column].map(lambda t: _number(t) if t else math.nan).astype(float)
    defaults = levels.loc[figures["level"]]
    figures["years_min"] = figures["years_min"].fillna(pd.Series(defaults["years_min"].to_numpy(), index=figures.index))
    figures["years_max"] = figures["years_max"].fillna(pd.Series(defaults["years_max"].to_numpy(), index=figures.index))
    order = figures["years_min"] >= figures["years_max"]
    if order.any():
        raise FiguresError(
            str(path),
            [
                f"line {i + 2}, columns 'years_min'/'years_max': years_min must be below "
                f"years_max. Got {figures.at[i, 'years_min']:g} >= {figures.at[i, 'years_max']:g}."
                for i in figures.index[order]
            ],
        )
    return figures


def _mixed_statistics(raw: pd.DataFrame) -> list[str]:
    """A figure id is either one mean or one spread (a range, or percentiles):
    a mean beside percentiles, or one lone percentile beside a range, are two
    figures and need two ids."""
    problems = []
    statistics: dict[str, list[tuple[int, str]]] = {}
    for offset, (figure_id, statistic) in enumerate(zip(raw["id"].str.strip(), raw["statistic"].str.strip())):
        if figure_id:
            statistics.setdefault(figure_id, []).append((offset + 2, statistic))
    for figure_id, rows in statistics.items():
        named = {s for _, s in rows}
        locations = {s for s in named if (kind := statistic_kind(s)) is not None and kind.location_only}
        if locations and len(named) > 1:
            lines = ", ".join(str(line) for line, _ in rows)
            problems.append(
                f"lines {lines}, column 'statistic': figure {figure_id!r} gives a {sorted(locations)[0]} and "
                f"{sorted(named - locations)}; a mean and a spread are separate figures, give them "
                "separate ids."
            )
    return problems


def exclusion_reasons(figures: pd.DataFrame) -> pd.Series:
    """Why each figure is kept out of the base-salary model ('' when used)."""
    reasons = pd.Series("", index=figures.index, dtype=object)
    reasons[figures["pay"] != BASE_PAY] = "total compensation, not base salary: kept out of the base-salary model"
    reasons[figures["country"].isna()] = "names no country: kept in the data, not used for a country estimate"
    return reasons


def local_currencies(figures: pd.DataFrame) -> dict[str, str]:
    """Each country's currency: the one its figures are most often given in."""
    with_country = figures.dropna(subset=["country"])
    return {country: str(group.value_counts().index[0]) for country, group in with_country.groupby("country")["currency"]}
