"""A fit that fails its diagnostics is sampled once more, with new chains and twice the kept draws."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from salarymodel.training import bayes
from salarymodel.training.posterior import Diagnostics, PosteriorDiagnosticsError, SamplerSettings


def _fit(bulk_by_samples: dict[int, float], asked: list[SamplerSettings], seeds: list[int] | None = None):
    """A stand-in sampler: the bulk ESS each number of kept draws gives, and a log of the calls."""

    def fit(data, *, seed, settings):
        asked.append(settings)
        if seeds is not None:
            seeds.append(seed)
        bulk = bulk_by_samples[settings.samples]
        return SimpleNamespace(settings=settings, diagnostics=Diagnostics(1.004, bulk, 900.0, 0, 3200, "employer_raw[5]"))

    return fit


def test_a_fit_short_of_effective_draws_is_sampled_again_with_twice_the_draws(monkeypatch, training_data):
    asked: list[SamplerSettings] = []
    seeds: list[int] = []
    monkeypatch.setattr(bayes, "cached_posterior", _fit({800: 254.0, 1600: 649.0}, asked, seeds))
    posterior = bayes.fit_posterior(training_data, seed=7)
    assert [s.samples for s in asked] == [800, 1600] and asked[1].warmup == asked[0].warmup
    # New chains: the same seed would replay the first fit's transitions (a divergence too).
    assert seeds == [7, 7 + bayes.RETRY_SEED_OFFSET]
    assert posterior.settings.samples == 1600 and not posterior.diagnostics.problems()


def test_a_fit_that_passes_is_sampled_once(monkeypatch, training_data):
    asked: list[SamplerSettings] = []
    monkeypatch.setattr(bayes, "cached_posterior", _fit({800: 901.0}, asked))
    bayes.fit_posterior(training_data, seed=0)
    assert [s.samples for s in asked] == [800]


def test_a_fit_that_fails_twice_is_refused_naming_the_check(monkeypatch, training_data):
    asked: list[SamplerSettings] = []
    monkeypatch.setattr(bayes, "cached_posterior", _fit({800: 120.0, 1600: 240.0}, asked))
    posterior = bayes.fit_posterior(training_data, seed=7)
    with pytest.raises(PosteriorDiagnosticsError, match="bulk effective sample size 240 < 400"):
        posterior.diagnostics.check()
