"""Who reported each source's figures: publisher, title, date and address.

Facts about the articles behind the shipped figures (``data/raw/sources.csv``),
never their text. A source id the table does not name (a user's own figures)
has no entry; its figures are shown by id.
"""

from __future__ import annotations

import csv

import pandas as pd

from .shipped import raw_data_file

__all__ = ["SOURCE_FIELDS", "load_sources", "source_units"]

SOURCE_FIELDS = ("publisher", "title", "published", "address", "about")


def load_sources() -> dict[str, dict[str, str]]:
    """Source id -> its publisher, title, publication date, address and what it reports ('' where unknown)."""
    with open(raw_data_file("sources.csv"), newline="", encoding="utf-8") as stream:
        return {row["source"]: {field: row[field] for field in SOURCE_FIELDS} for row in csv.DictReader(stream)}


def source_units(figures: pd.DataFrame) -> pd.Series:
    """The site or survey behind each figure row: the unit that shares one offset.

    A figure naming its site (``source_detail``, e.g. a recruiter's three
    ranges) belongs to that site of its article; a ``group`` (the lowest and
    highest of several sites) is one unit; any other figure is its own.

    Parameters
    ----------
    figures : pandas.DataFrame
        Figures with ``id``, ``source``, ``source_detail`` and optionally ``group``.

    Returns
    -------
    pandas.Series
        A unit label per row, same index.
    """
    detail = figures["source_detail"].fillna("").astype(str)
    group = figures["group"].fillna("").astype(str) if "group" in figures else pd.Series("", index=figures.index)
    units = figures["id"].astype(str).copy()
    named = detail != ""
    units[named] = figures.loc[named, "source"].astype(str) + "/" + detail[named]
    grouped = group != ""
    units[grouped] = "group:" + group[grouped]
    return units
