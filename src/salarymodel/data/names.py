"""Country and company names as people type them.

Countries resolve through ISO 3166 (``pycountry``): alpha-2, alpha-3,
English common, short and official names and their German translations, in
any case, with punctuation and stray whitespace ignored. Companies resolve
through a key that ignores case, punctuation and legal suffixes, plus the
alias table ``data/raw/company_aliases.csv``.
"""

from __future__ import annotations

import gettext
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

from ..errors import ParameterError, ParameterTypeError
from .shipped import raw_data_file

__all__ = [
    "check_text",
    "country_code",
    "country_key",
    "country_labels",
    "country_names_for",
    "company_key",
    "load_company_aliases",
    "MAX_NAME_LENGTH",
]

MAX_NAME_LENGTH = 100
# Common names that ISO 3166 does not list.
_EXTRA_COUNTRY_NAMES = {
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "america": "US",
    "united states of america": "US",
    "grossbritannien": "GB",
}
_LEGAL_SUFFIXES = {
    "ltd",
    "limited",
    "inc",
    "incorporated",
    "gmbh",
    "corp",
    "corporation",
    "llc",
    "plc",
    "pvt",
    "private",
    "co",
    "company",
    "ag",
    "sa",
    "se",
    "bv",
    "nv",
    "lp",
}
_PUNCTUATION = re.compile(r"[.,;:'\"()&/\\!?*_\-]+")
_SPACES = re.compile(r"\s+")


def check_text(value: object, field: str) -> str:
    """Return ``value`` as a stripped string, or raise a precise error.

    Raises
    ------
    TypeError
        If ``value`` is not a string.
    ValueError
        If it is empty, longer than ``MAX_NAME_LENGTH`` or holds control
        characters.
    """
    if not isinstance(value, str):
        raise ParameterTypeError(
            field, f"The '{field}' parameter must be a str. Got {value!r} of type {type(value).__name__} instead."
        )
    if len(value) > MAX_NAME_LENGTH:
        raise ParameterError(
            field, f"The '{field}' parameter must be at most {MAX_NAME_LENGTH} characters. Got {len(value)} characters instead."
        )
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in value):
        raise ParameterError(field, f"The '{field}' parameter must not contain control characters. Got {value!r} instead.")
    text = value.strip()
    if not text:
        raise ParameterError(field, f"The '{field}' parameter must not be empty. Got {value!r} instead.")
    return text


# Cyrillic and Greek letters that look like Latin ones (after case folding): a name
# typed with them ("Micrоsoft" with a Cyrillic o) is the same name to a reader, so
# it is the same employer here, not a second one the page shows identically.
_LOOKALIKES = str.maketrans(
    {
        **dict(zip("аеорсухіјѕԁһӏкмтвнԛԝ", "aeopcyxijsdhlkmtbhqw")),
        **dict(zip("αορνκτιεχυβ", "aopvktiexub")),
    }
)


def _fold(text: str) -> str:
    """Case-, accent-, punctuation-, whitespace- and look-alike-insensitive form."""
    text = text.replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold().translate(_LOOKALIKES)
    return _SPACES.sub(" ", _PUNCTUATION.sub(" ", text)).strip()


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    import pycountry  # loads the ISO database: only when a name is not among a model's own

    german = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["de"], fallback=True)
    names: dict[str, str] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        for attribute in ("alpha_2", "alpha_3", "name", "official_name", "common_name"):
            value = getattr(country, attribute, None)
            if value:
                names.setdefault(_fold(value), code)
                if attribute in ("name", "official_name", "common_name"):
                    names.setdefault(_fold(german.gettext(value)), code)
    for name, code in _EXTRA_COUNTRY_NAMES.items():
        names.setdefault(_fold(name), code)
    names["u s"] = names["us"]  # "U.S." folds to "u s"
    names["u s a"] = names["us"]
    return names


def country_code(value: object) -> str | None:
    """ISO alpha-2 code for a typed country name, or None if not a country.

    Examples
    --------
    >>> country_code("Deutschland"), country_code("usa"), country_code(" India ")
    ('DE', 'US', 'IN')
    """
    return _country_names().get(country_key(value))


def country_key(value: object) -> str:
    """The folded form of a typed country name: the key of :func:`country_names_for`."""
    return _fold(check_text(value, "country"))


def country_labels(codes: Iterable[str]) -> dict[str, str]:
    """Each country's common English name (for messages and listings)."""
    import pycountry

    labels: dict[str, str] = {}
    for code in codes:
        country = pycountry.countries.get(alpha_2=code)
        labels[code] = str(getattr(country, "common_name", None) or getattr(country, "name", code)) if country else code
    return labels


def country_names_for(codes: Iterable[str]) -> dict[str, str]:
    """Every folded name and code of the given countries.

    A model ships this small table, so serving resolves the names of its own
    countries without loading the ISO database.
    """
    wanted = set(codes)
    return {name: code for name, code in _country_names().items() if code in wanted}


def company_key(value: str) -> str:
    """Comparison key of a company name: folded, legal suffixes dropped.

    Examples
    --------
    >>> company_key("Infosys Ltd.") == company_key("INFOSYS")
    True
    """
    words = _fold(value).split(" ")
    while len(words) > 1 and words[-1] in _LEGAL_SUFFIXES:
        words.pop()
    return " ".join(words)


def load_company_aliases(path: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """Alias key -> canonical company name, from the alias table."""
    import pandas as pd

    path = path or raw_data_file("company_aliases.csv")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"The company aliases table {path} cannot be read as CSV: {error}") from None
    missing = [c for c in ("alias", "company") if c not in table.columns]
    if missing:
        raise ValueError(f"The company aliases table {path} lacks the column(s) {missing}; expected alias, company.")
    for line, (alias, company) in enumerate(zip(table["alias"], table["company"]), start=2):
        if not (alias.strip() and company.strip() and alias.isprintable() and company.isprintable()):
            raise ValueError(
                f"The company aliases table {path}, line {line}: 'alias' and 'company' must be printable, non-empty names."
            )
    return {company_key(alias): company for alias, company in zip(table["alias"], table["company"])}


def fold_company_names(
    countries: Sequence[str],
    companies: Sequence[object],
    known: Iterable[tuple[str, str]] = (),
    aliases: dict[str, str] | None = None,
) -> list[object]:
    """Each company name replaced by the first spelling of it seen in its country.

    Serving matches an employer by :func:`company_key` ("TIKTOK Inc." finds
    "TikTok") and then by the alias table ("TCS" finds "Tata Consultancy
    Services" where that employer is known), so training must count those
    names as one employer too: otherwise a user's figure under another
    spelling trains a second employer that no query can reach.

    Parameters
    ----------
    countries, companies : sequences of the same length
        Each row's country code and company name; missing names (None, NaN,
        "") stay as they are.
    known : iterable of (country, name), default=()
        Names seen first (e.g. the figures' spellings when folding records).
    aliases : dict of str to str, default=None
        Alias key -> canonical name (:func:`load_company_aliases`). An alias
        is folded into its employer when that employer is named in the same
        country (by ``known`` or the rows), as serving resolves it.
    """

    def named(name: object) -> bool:
        return isinstance(name, str) and bool(name)

    seen = [(country, name) for country, name in known if named(name)]
    rows = list(zip(countries, companies))
    aliases = aliases or {}
    present = {(country, company_key(name)) for country, name in [*seen, *rows] if isinstance(name, str) and name}
    first: dict[tuple[str, str], str] = {}

    def fold(country: str, name: str) -> str:
        key = company_key(name)
        target = aliases.get(key)
        if target is not None and company_key(target) != key and (country, company_key(target)) in present:
            return first.setdefault((country, company_key(target)), target)
        return first.setdefault((country, key), name)

    for country, name in seen:
        fold(country, name)
    return [fold(country, name) if isinstance(name, str) and name else name for country, name in rows]
