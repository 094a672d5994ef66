"""Names to table rows: the one lookup index of a served model.

A :class:`CellLookup` is built once from the model file's document
(:class:`~.model_io.records.ModelMeta`) and answers the two questions every
estimate starts with: which country a name means, and which row of the
tables (market or employer cell) an employer's name points to. Answers for
strings are cached (bounded, since inputs can be anything), so a warm
estimate pays two dictionary lookups.
"""

from __future__ import annotations

import difflib
import math
from typing import Any

from ..data.names import check_text, company_key, country_code, country_key
from ..errors import UnknownCountryError
from .model_io.records import ModelMeta

__all__ = ["CellLookup", "CompanyCell"]

# A resolved employer: table row, canonical name (or the unknown name as given), whether the
# model knows it there, and for an unknown one the closest known employer (a likely typo).
CompanyCell = tuple[int, str | None, bool, str | None]
# Cached answers per lookup table: bounded, since inputs can be arbitrary.
_CACHE_LIMIT = 10_000


def _is_missing(value: object) -> bool:
    """pandas.NA (a missing cell of a table), recognised without importing pandas."""
    return type(value).__name__ == "NAType" and type(value).__module__.startswith("pandas")


def _closest(key: str, names: dict[str, str], labels: dict[str, str] | None) -> str | None:
    """The known name closest to a folded input, for "did you mean ...?"."""
    match = difflib.get_close_matches(key, list(names), n=1, cutoff=0.75)
    if not match:
        return None
    return labels[names[match[0]]] if labels is not None else names[match[0]]


class CellLookup:
    """Countries and employers of one model, and the table row of each cell.

    Parameters
    ----------
    meta : ModelMeta
        The model file's document.

    Attributes
    ----------
    countries : tuple of str
        ISO alpha-2 codes, in the tables' order.
    cells : list of (str, str or None)
        (country, employer) of each table row; None is the country's market.
    companies : dict of str to list of str
        Each country's employers with figures.
    rows : dict of (str, str or None) to int
        Each cell's table row.
    populations : dict of str to dict of int to int
        Each population's rows: the cell it answers for -> its own row.
    country_cache, company_cache : dict
        Resolved strings (read directly by the hot path).
    """

    def __init__(self, meta: ModelMeta) -> None:
        self.countries = meta.countries
        self.cells = list(meta.cells)
        self.companies = {c: [k for cc, k in self.cells if cc == c and k is not None] for c in self.countries}
        self.aliases = dict(meta.company_aliases)
        self.rows = {cell: i for i, cell in enumerate(self.cells)}
        self.populations: dict[str, dict[int, int]] = {}
        for j, (name, cell) in enumerate(meta.populations):
            self.populations.setdefault(name, {})[cell] = len(self.cells) + j
        self.labels = dict(meta.country_labels)
        self._names = dict(meta.country_names)
        # Per country, every folded key that names one of its employers: its own name's,
        # then its aliases'.
        self._employer_keys: dict[str, dict[str, str]] = {}
        for code in self.countries:
            names = {company_key(k): k for k in self.companies[code]}
            names.update(
                {alias: name for alias, name in self.aliases.items() if name in self.companies[code] and alias not in names}
            )
            self._employer_keys[code] = names
        self.country_cache: dict[object, str] = {}
        self.company_cache: dict[tuple[str, object], CompanyCell] = {}

    def country(self, country: object) -> str:
        """ISO alpha-2 code of a country the model knows, else :class:`UnknownCountryError`."""
        code = self.country_cache.get(country) if isinstance(country, str) else None
        if code is not None:
            return code
        key = country_key(country)
        code = self._names.get(key)
        if code is None:
            # Not one of ours: the full ISO table says whether it is a country at all.
            code = country_code(country)
            if code is None:
                raise UnknownCountryError(
                    country, self.countries, "not a recognised country name or code", _closest(key, self._names, self.labels)
                )
            raise UnknownCountryError(country, self.countries, f"{code} has no reported figures")
        if len(self.country_cache) < _CACHE_LIMIT:
            self.country_cache[country] = code
        return code

    def company(self, code: str, company: object) -> CompanyCell:
        """The cell of an employer in country ``code`` (see :data:`CompanyCell`).

        None, NaN and pandas.NA (a missing cell of a table) mean the market.
        """
        if company is None or (isinstance(company, float) and math.isnan(company)) or _is_missing(company):
            return self.rows[(code, None)], None, False, None
        cached = self.company_cache.get((code, company)) if isinstance(company, str) else None
        if cached is not None:
            return cached
        text = check_text(company, "company")
        key = company_key(text)
        names = self._employer_keys[code]
        canonical = names.get(key)
        if canonical is None:
            result: CompanyCell = (self.rows[(code, None)], text, False, _closest(key, names, None))
        else:
            result = (self.rows[(code, canonical)], canonical, True, None)
        if len(self.company_cache) < _CACHE_LIMIT:
            self.company_cache[(code, company)] = result
        return result

    def known(self, local_currency: dict[str, str]) -> list[dict[str, Any]]:
        """Each country with its name, currency and employers (plus their aliases)."""
        aliases: dict[str, list[str]] = {}
        for alias, name in sorted(self.aliases.items()):
            aliases.setdefault(name, []).append(alias)
        return [
            {
                "country": c,
                "name": self.labels[c],
                "currency": local_currency[c],
                "employers": list(self.companies[c]),
                "aliases": {k: aliases[k] for k in self.companies[c] if k in aliases},
            }
            for c in self.countries
        ]
