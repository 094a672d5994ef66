"""Long lists of figure ids, shortened for people: the first few and a count.

A survey can put thousands of figures behind one estimate, one reason or
one training summary; messages name a few and say where the rest are.
Free of pandas, so a command that predicts once stays quick to start.
"""

from __future__ import annotations

__all__ = ["first_ids"]


def first_ids(ids, shown: int, *, total: int | None = None, where: str | None = None, sep: str = ", ") -> str:
    """The first ``shown`` of ``ids`` joined by ``sep``, then how many more
    there are (of ``total``, the length of ``ids`` unless given) and
    ``where`` to see them all: a survey can put thousands of figures behind
    one line, and a reason or a command's output names a few.

    Examples
    --------
    >>> first_ids(["f01", "f02", "f03"], 2, where="the card")
    'f01, f02 and 1 more (the card)'
    """
    listed = list(ids[:shown])
    more = (len(ids) if total is None else total) - len(listed)
    return sep.join(listed) + (f" and {more:,} more" + (f" ({where})" if where else "") if more > 0 else "")
