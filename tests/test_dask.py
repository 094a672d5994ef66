"""predict_frame on a Dask DataFrame: lazy, partition-wise, identical to pandas."""

from __future__ import annotations

import dask.dataframe as dd  # the dask extra is part of the test extra: a missing dask fails loudly
import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def profiles():
    rng = np.random.default_rng(5)
    n = 20_000
    return pd.DataFrame(
        {
            "country": rng.choice(["US", "Germany", "india"], n),
            "years": rng.uniform(0, 45, n),
            "company": rng.choice(np.array([None, "TikTok", "TCS", "Initech"], dtype=object), n),
        }
    )


def test_dask_result_is_lazy_and_matches_pandas_exactly(model, profiles):
    lazy = model.predict_frame(dd.from_pandas(profiles, npartitions=7), confidence=0.9, currency="EUR")
    assert type(lazy).__module__.startswith("dask")
    computed = lazy.compute(scheduler="synchronous")
    pd.testing.assert_frame_equal(computed, model.predict_frame(profiles, confidence=0.9, currency="EUR"))


def test_dask_threads_scheduler_and_sources_column(model, profiles):
    lazy = model.predict_frame(dd.from_pandas(profiles, npartitions=3), sources=True)
    computed = lazy.compute(scheduler="threads")
    pd.testing.assert_frame_equal(computed, model.predict_frame(profiles, sources=True))


def test_dask_bad_input_fails_early_or_names_the_rows(model, profiles):
    with pytest.raises(ValueError, match="XYZ"):
        model.predict_frame(dd.from_pandas(profiles, npartitions=2), currency="XYZ")
    with pytest.raises(ValueError, match="confidence"):
        model.predict_frame(dd.from_pandas(profiles, npartitions=2), confidence=2)
    bad = profiles.head(10).assign(country=["Narnia"] + ["US"] * 9)
    with pytest.raises(ValueError, match="1 of"):
        model.predict_frame(dd.from_pandas(bad, npartitions=2)).compute(scheduler="synchronous")
