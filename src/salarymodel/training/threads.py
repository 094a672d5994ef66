"""Native thread pools during fits: bounded, so a busy machine stays usable.

BLAS (through scikit-learn and numpy) and OpenMP start one thread per core
by default. Several such pools on a machine already running other work
oversubscribe it: on two busy cores, training and evaluation took several
times (evaluation: dozens of times) as long as on idle ones. Fits here are small, so one thread each is enough;
``SALARYMODEL_THREADS`` raises the limit.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["fit_threads", "thread_limit"]


def thread_limit() -> int:
    """Threads per native pool during fits (``$SALARYMODEL_THREADS``, default 1)."""
    value = os.environ.get("SALARYMODEL_THREADS", "1")
    try:
        limit = int(value)
    except ValueError:
        raise ValueError(f"SALARYMODEL_THREADS must be a positive whole number. Got {value!r} instead.") from None
    if limit < 1:
        raise ValueError(f"SALARYMODEL_THREADS must be a positive whole number. Got {value!r} instead.")
    return limit


@contextmanager
def fit_threads() -> Iterator[int]:
    """Limit BLAS and OpenMP pools to :func:`thread_limit` threads inside the block."""
    from threadpoolctl import threadpool_limits

    limit = thread_limit()
    with threadpool_limits(limits=limit):
        yield limit
