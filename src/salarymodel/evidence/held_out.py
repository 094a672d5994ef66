"""Validation of the measurement model on figures its fit never saw.

Each held-out group (one figure, or every figure of one source) is masked out
of the likelihood and the posterior without it is found: by reweighting the
full fit's draws (Pareto-smoothed importance sampling,
:mod:`salarymodel.training.reweighting`) where the smoothed weights are
reliable, otherwise by sampling it again. Each held-out statistic is then judged
against its posterior predictive interval under the refit: the model's
functional of the cell, shifted by the source's offset (drawn from the
sources' spread when nothing else of that source is left: a new source),
with the employer's effect drawn from the employers' spread when the
employer has nothing else left, plus the reporting noise. The interval is
therefore that of *what this source would report*, with every parameter the
held-out figure informed integrated over, not a plug-in.

Where a held-out figure reports a spread (a range, or several percentiles),
its width is judged too: the reported log width against the refit's
posterior of that width, which is the served band's spread for that cell as
one source sees it (a source's offset shifts both ends alike).

Each refit also says how far every country's market median (its posterior
mean in log pay) moved from the full fit: the largest change over
the years that country's own figures describe, and over 0-30 years (past its
figures a curve is its prior, which the shared source scale still moves), so
one figure's pull on countries it does not describe is measured, not assumed.
A refit that has to sample does so with fewer draws than the served fit
(:data:`REFIT_SETTINGS`: its intervals are 80% ones of held-out figures, which
need fewer draws than the served tables) and is held to :data:`REFIT_LIMITS`;
one that fails them is sampled again with another seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.statistics import OrderOfSites, Quantile, spans_of
from ..training.measurement import REPORTING_SD
from ..training.posterior import DiagnosticLimits, Posterior, SamplerSettings
from ..training.posterior_cache import cached_posterior
from ..training.reweighting import MAX_PARETO_K, reweighted
from .measurement import predictive_checks

__all__ = [
    "CHANGE_YEARS",
    "MAX_PARETO_K",
    "REFIT_SETTINGS",
    "REFIT_LIMITS",
    "Refits",
    "held_out_checks",
    "median_changes",
    "interval_note",
]

# Years at which a refit's market medians are compared with the full fit's.
CHANGE_YEARS = np.arange(0.0, 31.0)
# Each refit: 4 chains of 300 warm-up and 500 kept draws at a target acceptance of 0.9,
# held to split R-hat 1.02 and 50 effective draws per chain. Its intervals are 80% ones of
# held-out figures, which need fewer draws and tolerate a few divergences (REFIT_LIMITS) where
# the served fit allows none: about half the time of the served fit's settings (4.5 s
# against 8.5 s a refit on the shipped figures).
REFIT_SETTINGS = SamplerSettings(chains=4, warmup=300, samples=500, target_accept=0.9)
REFIT_LIMITS = DiagnosticLimits(r_hat=1.02, ess_bulk=200, ess_tail=200, divergences=8)


def _data_years(posterior: Posterior) -> dict[str, tuple[float, float]]:
    """The years each country's used figures (and records) describe: the span of their cells."""
    data = posterior.data
    used = data.arrays()["use"] > 0
    spans = {}
    for c, country in enumerate(data.countries):
        points = np.concatenate([data.years[used & (data.country == c)].ravel(), data.record_years[data.record_country == c]])
        spans[country] = (float(np.floor(points.min())), float(np.ceil(points.max()))) if len(points) else (0.0, 0.0)
    return spans


def median_changes(
    full: Posterior, refit: Posterior, spans: dict[str, tuple[float, float]] | None = None
) -> dict[str, dict[str, float]]:
    """Each country's largest relative change of the market median (its posterior mean in
    log pay: less Monte Carlo noise than a posterior median), over the years its own
    figures describe (``spans``, read off ``full`` when None) and over 0-30 years."""
    spans = spans or _data_years(full)
    changes = {}
    for country in full.data.countries:
        change = np.abs(np.expm1(refit.mean_median(country, None, CHANGE_YEARS) - full.mean_median(country, None, CHANGE_YEARS)))
        low, high = spans[country]
        inside = (CHANGE_YEARS >= low) & (CHANGE_YEARS <= high)
        changes[country] = {"data_years": float(change[inside].max()) if inside.any() else 0.0, "all_years": float(change.max())}
    return changes


# Seeds a refit whose sampler diagnostics fail is sampled again with (a chain that
# sticks in one refit of thirty is the sampler's luck, not the held-out figure's).
_RETRY_SEEDS = (1000, 2000)


@dataclass(frozen=True)
class _Refit:
    """A held-out posterior and how it was found."""

    posterior: Posterior
    method: str  # "reweighted" or "sampled"
    pareto_k: float  # of the reweighting used, else of the full fit's (tried first in every refit)
    passes: bool  # reliable weights, or the sampler's diagnostics within REFIT_LIMITS
    start: tuple[str, ...] = ()  # what the reweighted draws' posterior held out (none: the full fit)


# The refits of one evaluation, by what they hold out: leave-one-source-out reuses a
# leave-one-figure-out refit of the same figures, and starts from those of its parts.
Refits = dict[frozenset[str], _Refit]


def _refit(posterior: Posterior, members: list[str], done: Refits) -> _Refit:
    """The posterior without ``members``: one found before for the same figures; else
    reweighted draws where the weights are reliable, of the full fit or, failing that, of
    a sampled refit without some of ``members`` (the most first: nearer the target, so
    smaller weights); else sampled with the full fit's seed, or the first retry seed
    whose diagnostics pass (the last tried when none does; the row says so)."""
    target = frozenset(members)
    if target in done:
        return done[target]
    held = posterior.data.without(members)
    weighted = reweighted(posterior, held)
    found = _Refit(weighted.posterior, "reweighted", weighted.pareto_k, True) if weighted.reliable else None
    if found is None:
        parts = [part for part in done if part < target and done[part].method == "sampled"]
        for part in sorted(parts, key=len, reverse=True):
            nearer = reweighted(done[part].posterior, held)
            if nearer.reliable:
                found = _Refit(nearer.posterior, "reweighted", nearer.pareto_k, True, tuple(sorted(part)))
                break
    if found is None:
        refit = cached_posterior(held, seed=posterior.seed, settings=REFIT_SETTINGS)
        for extra in _RETRY_SEEDS:
            if not refit.diagnostics.problems(REFIT_LIMITS):
                break
            refit = cached_posterior(held, seed=posterior.seed + extra, settings=REFIT_SETTINGS)
        found = _Refit(refit, "sampled", weighted.pareto_k, not refit.diagnostics.problems(REFIT_LIMITS))
    done[target] = found
    return found


def _width_check(refit: Posterior, rows: np.ndarray, confidence: float, rng: np.random.Generator) -> dict:
    """A held-out figure's reported log width against the refit's posterior predictive of it."""
    data, draws = refit.data, refit.draws
    if len(rows) == 1:  # a range: its two ends
        i = rows[0]
        reported = data.high[i] - data.low[i]
        model = draws["predicted_high"][:, i] - draws["predicted_low"][:, i]
    else:  # several percentiles: the highest less the lowest
        lo, hi = rows[np.argmin(data.z[rows])], rows[np.argmax(data.z[rows])]
        reported = data.low[hi] - data.low[lo]
        model = draws["predicted_low"][:, hi] - draws["predicted_low"][:, lo]
    model = model + np.sqrt(2) * REPORTING_SD * rng.standard_normal(model.shape)
    tail = (1 - confidence) / 2
    low, mid, high = np.quantile(model, [tail, 0.5, 1 - tail])
    return {
        "reported_width": float(reported),
        "model_width": float(mid),
        "model_width_low": float(low),
        "model_width_high": float(high),
        "width_inside": bool(low <= reported <= high),
    }


def _reasons(refit: Posterior, rows: np.ndarray) -> tuple[str, list[str]]:
    """Whether a held-out figure can be predicted, and what its refit no longer knows."""
    data = refit.data
    assert data.use is not None  # a refit's data always carry their mask (MeasurementData.without)
    used = data.use > 0
    i = rows[0]
    if not np.any(used & (data.country == data.country[i])) and not np.any(data.record_country == data.country[i]):
        return "not estimable", [f"no figure of {data.countries[data.country[i]]} is left without it"]
    reasons = []
    if data.kind[i] == OrderOfSites.code:
        side = "lowest" if data.order_mean[i] < 0 else "highest"
        reasons.append(f"the {side} of several sites' means: read as that order statistic")
    elif not np.any(used & (data.unit == data.unit[i])) and not np.any(data.record_unit == data.unit[i]):
        reasons.append("a new source without it: its offset drawn from the sources' spread")
    k = data.employer[i]
    if k >= 0 and not np.any(used & (data.employer == k)) and not np.any(data.record_employer == k):
        reasons.append("employer unknown without it: its effect drawn from the employers' spread")
    return "predicted", reasons


def held_out_checks(
    posterior: Posterior, groups: list[tuple[str, list[str]]], *, confidence: float = 0.8, done: Refits | None = None
) -> pd.DataFrame:
    """Refit without each group of figures and judge every held-out statistic.

    Parameters
    ----------
    posterior : Posterior
        The full fit (its data, seed and sampler settings are reused).
    groups : list of (label, figure ids)
        What each refit leaves out.
    confidence : float, default=0.8
        Level of the posterior predictive interval a statistic is judged against.
    done : dict, default=None
        Refits found before, by the figures they hold out (filled in here): another
        call's groups reuse them, exactly or as the start of a reweighting.

    Returns
    -------
    pandas.DataFrame
        One row per held-out statistic: ``id``, ``held_out``, ``country``,
        ``company``, ``statistic``, ``reported_usd``, ``model_usd`` (the
        predictive median), ``predictive_low_usd``/``predictive_high_usd``,
        ``relative_error``, ``relative_error_high`` (NaN: the statistic is
        one end of a range, each end is a row), ``percentile`` (of the
        reported value in the predictive), ``inside_interval``, the width
        check of a figure that reports a spread (``reported_width``,
        ``model_width`` with ``_low``/``_high``, ``width_inside``; log pay),
        ``median_change_other`` (the largest change of another country's
        market median over the years its figures describe),
        ``median_change_other_all_years`` (over 0-30 years),
        ``median_change_own`` (its own country's, 0-30 years),
        ``refit`` (``"reweighted"``: the full fit's draws by importance weight;
        ``"sampled"``: the weights' Pareto ``k`` above :data:`MAX_PARETO_K`),
        ``refit_pareto_k``, ``refit_from`` (the figures a sampled refit whose draws were
        reweighted held out, comma separated; empty: the full fit's), ``refit_seed``,
        ``refit_diagnostics_pass`` (reliable
        weights, or a sampled refit within :data:`REFIT_LIMITS`), ``status``
        and ``reason``.
    """
    data = posterior.data
    ids = np.asarray(data.ids)
    records: list[dict] = []
    rng = np.random.default_rng([posterior.seed, 31])
    spans = _data_years(posterior)
    position = np.repeat(np.arange(len(ids)), np.where(spans_of(data.kind), 2, 1))  # statistic of each check row
    done = {} if done is None else done
    for label, members in groups:
        found = _refit(posterior, members, done)
        refit = found.posterior
        changes = median_changes(posterior, refit, spans)
        checks = predictive_checks(refit, level=confidence)
        for figure_id in members:
            rows = np.flatnonzero(ids == figure_id)
            if not len(rows):
                continue
            status, reasons = _reasons(refit, rows)
            country = data.countries[data.country[rows[0]]]
            k = data.employer[rows[0]]
            others = [v for c, v in changes.items() if c != country]
            base = {
                "id": figure_id,
                "held_out": label,
                "country": country,
                "company": data.employers[k][1] if k >= 0 else None,
                "median_change_own": changes[country]["all_years"],
                "median_change_other": max([v["data_years"] for v in others], default=0.0),
                "median_change_other_all_years": max([v["all_years"] for v in others], default=0.0),
                "refit": found.method,
                "refit_pareto_k": found.pareto_k,
                "refit_from": ",".join(found.start),
                "refit_seed": refit.seed,
                "refit_diagnostics_pass": found.passes,
                "status": status,
                "reason": "; ".join(reasons),
            }
            spread = (len(rows) == 1 and bool(spans_of(data.kind[rows])[0])) or (
                len(rows) > 1 and np.all(data.kind[rows] == Quantile.code)
            )
            width = _width_check(refit, rows, confidence, rng) if spread and status == "predicted" else {}
            for _, check in checks[np.isin(position, rows)].iterrows():
                row = {
                    **base,
                    "statistic": check["statistic"],
                    "reported_usd": check["reported_usd"],
                    "reported_high_usd": np.nan,
                    **width,
                }
                if status == "predicted":
                    row.update(
                        {
                            "model_usd": check["predictive_median_usd"],
                            "predictive_low_usd": check["predictive_low_usd"],
                            "predictive_high_usd": check["predictive_high_usd"],
                            "relative_error": check["predictive_median_usd"] / check["reported_usd"] - 1,
                            "relative_error_high": np.nan,
                            "percentile": check["percentile"],
                            "inside_interval": bool(check["inside"]),
                        }
                    )
                records.append(row)
    return pd.DataFrame.from_records(records)


def interval_note(confidence: float = 0.8) -> str:
    """How the held-out interval is made, in words (the report prints it)."""
    return (
        f"{confidence:.0%} posterior predictive interval of the held-out statistic under a refit without it: "
        "the cell's functional plus its source's offset (drawn from the sources' "
        "spread for a source with nothing else left) and the reporting noise; the employer's effect is "
        "drawn from the employers' spread when nothing else of that employer is left"
    )
