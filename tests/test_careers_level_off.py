"""Careers level off: past the sites' last level the median's rise slows toward zero.

The sites' levels end at lead (12 years and more), an open bucket that gives
the average over its years, not how pay moves inside them; past it the
slope's prior shrinks (training/measurement.py states it and its evidence).
"""

from __future__ import annotations

import numpy as np
import pytest

from salarymodel.training.measurement import LEVEL_OFF_START, ramps, slope_prior_scales
from salarymodel.training.state_file import training_state

AS_OF = "2023-07-01"


@pytest.mark.parametrize(("country", "from_years"), [("DE", 12), ("US", 15), ("IN", 12)])
def test_the_median_at_30_years_is_at_most_12_percent_above_its_value_past_the_levels(model, country, from_years):
    later = model.predict(country, 30, as_of=AS_OF).median
    earlier = model.predict(country, from_years, as_of=AS_OF).median
    # The served ratio is a Monte Carlo estimate: its standard error is the spread of the
    # draws' log ratios over the fewest effective draws of any parameter (about 0.002 for
    # Germany, whose ratio is 1.117 on seed 0).
    posterior = training_state(model).posterior
    log_ratio = np.diff(posterior.median_draws(country, None, np.array([from_years, 30.0])), axis=1)
    error = float(np.std(log_ratio) / np.sqrt(posterior.diagnostics.ess_bulk))
    assert 1.0 <= later / earlier <= 1.12 * np.exp(2 * error)


@pytest.mark.parametrize("country", ["DE", "IN"])
def test_the_medians_interval_widens_past_the_figures(model, country):
    def width(years: float) -> float:
        e = model.predict(country, years, as_of=AS_OF)
        return e.median_high / e.median_low

    # Past 20 years the prior's slopes are nearly zero: the interval holds its width there.
    assert width(LEVEL_OFF_START) < width(20) and width(LEVEL_OFF_START) < width(30)


def test_the_prior_alone_lets_the_median_rise_about_11_percent_from_12_to_30_years():
    # The number the code's comment and the card's prior line state, from the prior's means.
    mean_slopes = slope_prior_scales() * np.sqrt(2 / np.pi)
    rise = float(np.exp((ramps(30.0) - ramps(12.0)) @ mean_slopes))
    assert rise == pytest.approx(1.11, abs=0.005)
    early = float(np.exp(ramps(12.0) @ mean_slopes))
    assert early > 1.5  # the first 12 years keep their rise: the prior levels off only past the levels
