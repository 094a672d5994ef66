"""The measurement model of the sources: its data, its posterior, its checks.

The fits (NUTS, about 30 s each) are marked slow: CI runs them with -m slow."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salarymodel.cli.evaluate import format_measurement
from salarymodel.data.training_data import training_data as read_training_data
from salarymodel.data.training_data import with_records
from salarymodel.evidence.measurement import measurement_section
from salarymodel.training.bayes import fit_posterior
from salarymodel.training.measurement import REPORTING_SD, measurement_data, prior_settings
from salarymodel.training.posterior import Diagnostics, PosteriorDiagnosticsError


def test_each_statistic_is_read_as_the_functional_its_source_reports(training_data):
    data = measurement_data(training_data.used_figures(), training_data.levels)
    kinds = {(i, s): k for i, s, k in zip(data.ids, data.statistics, data.kind)}
    assert kinds[("f01", "mean")] == 0 and kinds[("f02", "p25")] == 1 and kinds[("f04", "range")] == 2
    assert kinds[("f11", "mean")] == kinds[("f12", "mean")] == 3  # lowest / highest of several sites
    # "Several" is 3 to 6 sites under its prior: the lowest of 3 has mean -0.8463, of 6 -1.2672,
    # and the checks read the prior mixture's moments before the data pick a count.
    order = dict(zip(data.ids, data.order_mean))
    f11 = list(data.ids).index("f11")
    assert data.order_means[f11, 0] == pytest.approx(-0.8463, abs=1e-3) and data.order_means[f11, -1] == pytest.approx(
        -1.2672, abs=1e-3
    )
    mixture = float(np.exp(data.order_log_prior[f11]) @ data.order_means[f11])
    assert order["f11"] == pytest.approx(mixture) and order["f12"] == pytest.approx(-mixture)
    # f02's three percentiles are one source: one offset shifts them together.
    units = {data.units[u] for i, u in zip(data.ids, data.unit) if i == "f02"}
    assert units == {"f02"}
    # An all-levels cell reads the curve over the level mix; weights sum to one.
    assert np.allclose(data.weights.sum(axis=1), 1.0)
    assert data.years[list(data.ids).index("f01")].max() > 12 > data.years[list(data.ids).index("f17")].max()
    # The stated coverage of each range is the centre of its prior, not a fixed value.
    assert data.arrays()["range_coverage"].tolist() == [
        float(c) for i, c in zip(data.ids, data.coverage) if i in {"f04", "f05", "f07", "f17", "f18", "f19", "f22", "f23", "f26"}
    ]
    assert "Beta" in prior_settings()["range coverage"] and REPORTING_SD > 0


def test_employer_effects_are_sampled_as_effects_and_mix(model):
    # Sampled centred: the effect itself is the parameter, its value in units of the
    # scale a derived quantity. Written as scale x standard draw, TikTok's effect (fixed
    # by f14/f15) and the scale were the posterior's narrowest, slowest direction.
    from salarymodel.training.state_file import training_state

    posterior = training_state(model).posterior
    draws = posterior.draws
    np.testing.assert_allclose(draws["tau_employer"][:, None] * draws["employer_raw"], draws["employer_effect"], rtol=1e-4)
    assert posterior.diagnostics.ess_bulk >= 400 and not posterior.diagnostics.worst_parameter.startswith("employer_raw")


def test_the_docs_quote_the_samplers_tree_depths_and_draws():
    from pathlib import Path

    from salarymodel.training.posterior import SamplerSettings

    settings = SamplerSettings()
    text = " ".join((Path(__file__).parents[1] / "docs" / "methodology.md").read_text(encoding="utf-8").split())
    assert f"Four chains of {settings.warmup} warm-up and {settings.samples} kept draws each" in text and settings.chains == 4
    assert f"trees at most {settings.warmup_tree_depth} deep during warm-up and {settings.max_tree_depth} after it" in text


def test_failed_diagnostics_are_refused_naming_each_problem():
    bad = Diagnostics(r_hat=1.3, ess_bulk=40, ess_tail=12, divergences=30, draws=1000, worst_parameter="tau_source")
    with pytest.raises(PosteriorDiagnosticsError) as error:
        bad.check()
    text = str(error.value)
    for words in (
        "split R-hat 1.300",
        "(tau_source)",
        "bulk effective sample size 40",
        "tail effective sample size 12",
        "30 divergent transitions of 1000",
        "It is not used",
    ):
        assert words in text
    Diagnostics(1.005, 500, 400, 0, 1000, "level[0]").check()  # a good fit passes silently


@pytest.fixture(scope="module")
def section(training_data):
    return measurement_section(training_data, seed=0)


@pytest.mark.slow
def test_the_posterior_passes_its_diagnostics_and_reports_every_hyperparameter(section):
    assert section["diagnostics_pass"], section["diagnostics_problems"]
    for name in ("tau_source", "tau_employer", "employer_spread_share"):
        v = section["hyperparameters"][name]
        assert v["low_80"] < v["median"] < v["high_80"]
    for country in ("DE", "IN", "US"):
        slope = section["countries"][country]["mean_slope_0_12_years"]
        assert 0 <= slope["low_80"] < slope["median"] < slope["high_80"]
    text = format_measurement(section)
    assert "posterior predictive check" in text and "hyperparameters" in text


@pytest.mark.slow
def test_each_figure_is_inside_its_predictive_interval_or_named_with_its_weight(section):
    checks = pd.DataFrame(section["predictive_checks"]["figures"])
    named = {(o["id"], o["statistic"]) for o in section["predictive_checks"]["outliers"]}
    assert named == {(r.id, r.statistic) for r in checks.itertuples() if not r.inside}
    assert section["predictive_checks"]["inside"] >= 0.85 * len(checks)
    # Heavy tails: f02, which contradicts f03/f04 for the same cell, counts less than they do.
    weight = checks.drop_duplicates("id").set_index("id")["source_weight"]
    assert weight["f02"] < min(weight["f03"], weight["f04"])


@pytest.mark.slow
def test_a_german_figure_moves_no_other_countrys_median_beyond_the_shared_scales(training_data, section):
    figures = training_data.figures[training_data.figures["id"] != "f17"].drop(columns=["excluded"])
    without = measurement_section(read_training_data(figures, basis=training_data.basis), seed=0)

    # Two fits are two Monte Carlo samples: the 2% holds beyond 3 standard errors of the
    # difference of their posterior medians (sd from the 80% interval, over the bulk ESS).
    def cells(report):
        error = 1.2533 / np.sqrt(report["diagnostics"]["ess_bulk_min"])  # a median's MCSE in posterior sds
        return {
            (c["country"], c["years"]): (
                np.log(c["market_median"]),
                error * np.log(c["market_median_high"] / c["market_median_low"]) / 2.5631,
            )
            for c in report["cells"]
        }

    before, after = cells(section), cells(without)
    for key, (value, error) in before.items():
        if key[0] != "DE":
            assert abs(after[key][0] - value) <= np.log(1.02) + 3 * np.hypot(error, after[key][1]), key


@pytest.mark.slow
def test_records_from_a_known_lognormal_are_recovered(training_data):
    rng = np.random.default_rng(5)
    n = 400
    records = pd.DataFrame(
        {
            "country": "GB",
            "years": rng.uniform(0, 20, n),
            "company": None,
            "salary": 60000 * np.exp(0.25 * rng.standard_normal(n)),
            "currency": "GBP",
            "year": 2023,
            "pay": "base",
            "source": "payroll",
        }
    )
    posterior = fit_posterior(with_records(training_data, records), seed=0)
    posterior.diagnostics.check()
    spread = np.median(posterior.spread_draws("GB", None, np.array([5.0, 15.0])), axis=0)
    assert spread == pytest.approx([0.25, 0.25], rel=0.10)
    median = np.exp(np.median(posterior.median_draws("GB", None, np.array([2.0, 10.0, 18.0])), axis=0))
    gbp = 60000 / training_data.basis.per_usd["GBP"]
    assert median == pytest.approx([gbp] * 3, rel=0.05)
