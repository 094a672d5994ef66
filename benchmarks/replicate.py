"""A large figures file made from the shipped one, to measure how training scales.

A user with a real survey has thousands of figures where we ship a few dozen.
:func:`replicate_figures` stands in for such a file: each copy of the
shipped figures is one more salary site (its own ``source_detail`` and ids)
whose values differ from the original by a seeded factor within +-10%, so
the copies look like sites that roughly agree, as real sites do.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from salarymodel.data.shipped import raw_data_file

__all__ = ["replicate_figures", "write_replicated_figures"]

# How far a copied figure may sit from the original: about the spread of the US sites' means.
VALUE_JITTER = 0.10


def replicate_figures(n_statistics: int, seed: int = 0) -> list[dict[str, str]]:
    """Return ``n_statistics`` figure rows: the shipped rows, then copies of them as new sites.

    Parameters
    ----------
    n_statistics : int
        Rows (reported statistics) to return; at least one.
    seed : int, default=0
        Seed of the value factors.

    Returns
    -------
    list of dict
        Rows with the shipped file's columns. A figure's statistics (say a
        p25, p75 and p90 reported together) share one factor, so their order
        holds; a group ("lowest of 3") is renamed per copy, so each copy
        ranks only its own members.
    """
    if n_statistics < 1:
        raise ValueError(f"n_statistics must be at least 1, got {n_statistics}")
    with open(raw_data_file("reported_figures.csv"), newline="", encoding="utf-8") as stream:
        shipped = list(csv.DictReader(stream))
    rng = np.random.default_rng(seed)
    rows = [dict(row) for row in shipped[:n_statistics]]
    copy = 0
    while len(rows) < n_statistics:
        factors: dict[str, float] = {}
        for row in shipped:
            if len(rows) == n_statistics:
                break
            factor = factors.setdefault(row["id"], 1.0 + rng.uniform(-VALUE_JITTER, VALUE_JITTER))
            new = dict(row, id=f"{row['id']}x{copy}", source_detail=f"site{copy}")
            for column in ("value", "value_high"):
                if row[column]:
                    new[column] = f"{float(row[column]) * factor:.0f}"
            if row["group"]:
                new["group"] = f"{row['group']} (site{copy})"
            rows.append(new)
        copy += 1
    return rows


def write_replicated_figures(path: str | Path, n_statistics: int, seed: int = 0) -> Path:
    """Write :func:`replicate_figures` to ``path`` as a figures CSV and return the path."""
    rows = replicate_figures(n_statistics, seed)
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return Path(path)
