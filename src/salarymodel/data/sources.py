"""Who reported each source's figures: publisher, title, date and address.

Facts about the articles behind the shipped figures (``data/raw/sources.csv``),
never their text. A source id the table does not name (a user's own figures)
has no entry; its figures are shown by id.
"""

from __future__ import annotations

import csv

from .shipped import raw_data_file

__all__ = ["SOURCE_FIELDS", "load_sources"]

SOURCE_FIELDS = ("publisher", "title", "published", "address", "about")


def load_sources() -> dict[str, dict[str, str]]:
    """Source id -> its publisher, title, publication date, address and what it reports ('' where unknown)."""
    with open(raw_data_file("sources.csv"), newline="", encoding="utf-8") as stream:
        return {row["source"]: {field: row[field] for field in SOURCE_FIELDS} for row in csv.DictReader(stream)}
