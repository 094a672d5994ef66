"""The posterior of the measurement model: fitted with NUTS, checked, summarised.

:func:`fit_posterior` samples :func:`salarymodel.training.measurement.measurement_model`
with NumPyro's NUTS (seeded: the same seed and data give the same draws on
one installation). :class:`Posterior` holds the draws and answers what the
rest of training needs: draws of a cell's median and spread on a years grid
(with the shared site bias each median carries), posterior predictive draws
of every figure, and the summary the model card records. Its diagnostics
(split R-hat, bulk and tail effective sample size, divergences) travel with
it; :meth:`Diagnostics.check` refuses a fit that fails them, naming which.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from ..data.levels import PARTITION_LEVELS
from .measurement import (
    KNOTS,
    LEVEL_EDGE_SD,
    LEVEL_MIX_CONCENTRATION,
    SEVERAL,
    SHARED_SITE_SD,
    SPREAD_TREND_END,
    MeasurementData,
    measurement_model,
    ramps,
)

__all__ = [
    "SamplerSettings",
    "DiagnosticLimits",
    "Diagnostics",
    "Posterior",
    "PosteriorDiagnosticsError",
    "fit_posterior",
    "start_jax",
]

# A fit is used only if every parameter passes these: Vehtari et al. (2021)'s limits for
# 4 chains, split R-hat at most 1.01 and bulk and tail ESS at least 400 (100 per chain),
# and not one divergent transition (a divergence means the sampler missed part of the posterior).
MAX_R_HAT = 1.01
MIN_ESS = 400
MIN_ESS_TAIL = 400
MAX_DIVERGENCES = 0


@dataclass(frozen=True)
class DiagnosticLimits:
    """What a fit must pass: the served model's limits by default."""

    r_hat: float = MAX_R_HAT
    ess_bulk: float = MIN_ESS
    ess_tail: float = MIN_ESS_TAIL
    divergences: int = MAX_DIVERGENCES

    def to_dict(self) -> dict:
        return {
            "r_hat_max": self.r_hat,
            "ess_bulk_min": self.ess_bulk,
            "ess_tail_min": self.ess_tail,
            "divergences_max": self.divergences,
        }


# Sites computed from the sampled ones (not judged by the diagnostics on their own).
_DERIVED = (
    "employer_raw",
    "level",
    "slopes",
    "predicted_low",
    "predicted_high",
    "offset_mean",
    "offset_var",
    "population_spread",
    "level_edges",
)
HYPERPARAMETERS = ("tau_source", "tau_employer", "employer_spread_share")


def _prior_draws(size: int = 20_000) -> dict[str, np.ndarray]:
    """Draws of each hyperparameter's prior (:func:`~salarymodel.training.measurement.measurement_model`),
    so a report can put what the figures moved beside where it started."""
    rng = np.random.default_rng(0)
    return {
        "tau_source": np.abs(rng.normal(0.0, 0.15, size)),
        "tau_employer": np.abs(rng.normal(0.0, 0.4, size)),
        "employer_spread_share": rng.beta(6.0, 2.0, size),
    }


class PosteriorDiagnosticsError(RuntimeError):
    """The sampler's diagnostics failed: the posterior is not trusted and no model is written."""


@dataclass(frozen=True)
class SamplerSettings:
    """NUTS settings: 4 chains (what R-hat needs to see chains disagree), each its own
    XLA device, so they share the machine's cores. A target acceptance of 0.95 (smaller
    steps): at 0.9 two seeds in ten of the shipped figures had one or two divergent
    transitions, and which seeds depended on the machine's floating point; at 0.95 none
    of the ten had any, for about 15% more time.

    Trees are at most ``warmup_tree_depth`` deep during warm-up (127 steps) and 10 (1,023)
    after it: before the first mass-matrix window a chain moves with unit mass, and with
    100,000 records its trees ran to 1,023 steps for a hundred iterations, most of the
    sampling time. Depth 7 left the shipped figures' and those records' diagnostics
    passing (6 did not: the adaptation saw too little)."""

    chains: int = 4
    warmup: int = 600
    samples: int = 800
    target_accept: float = 0.95
    warmup_tree_depth: int = 7
    max_tree_depth: int = 10


@dataclass(frozen=True)
class Diagnostics:
    """The worst value of each diagnostic over all sampled parameters."""

    r_hat: float
    ess_bulk: float
    ess_tail: float
    divergences: int
    draws: int
    worst_parameter: str

    def problems(self, limits: DiagnosticLimits = DiagnosticLimits()) -> list[str]:
        """What fails ``limits``, in words (empty when the fit passes)."""
        found = []
        if not self.r_hat <= limits.r_hat:
            found.append(f"split R-hat {self.r_hat:.3f} > {limits.r_hat} ({self.worst_parameter}): chains disagree")
        if not self.ess_bulk >= limits.ess_bulk:
            found.append(f"bulk effective sample size {self.ess_bulk:.0f} < {limits.ess_bulk:.0f}")
        if not self.ess_tail >= limits.ess_tail:
            found.append(f"tail effective sample size {self.ess_tail:.0f} < {limits.ess_tail:.0f}")
        if self.divergences > limits.divergences:
            found.append(f"{self.divergences} divergent transitions of {self.draws}")
        return found

    def check(self) -> None:
        """Raise :class:`PosteriorDiagnosticsError` naming every failed diagnostic."""
        problems = self.problems()
        if problems:
            raise PosteriorDiagnosticsError(
                "The posterior failed its diagnostics: " + "; ".join(problems) + ". It is not used: check the "
                "figures its predictive check names, or sample longer (SamplerSettings(warmup=..., samples=...))."
            )

    def to_dict(self) -> dict:
        return {
            "r_hat_max": self.r_hat,
            "ess_bulk_min": self.ess_bulk,
            "ess_tail_min": self.ess_tail,
            "divergences": self.divergences,
            "draws": self.draws,
            "worst_parameter": self.worst_parameter,
            "limits": DiagnosticLimits().to_dict(),
        }


def _diagnostics(chains: dict[str, np.ndarray], divergences: int) -> Diagnostics:
    """Split R-hat and bulk/tail ESS of every scalar parameter (NumPyro's estimators)."""
    from numpyro.diagnostics import effective_sample_size, split_gelman_rubin

    worst_r, worst_name, bulk, tail = 0.0, "", np.inf, np.inf
    for name, values in chains.items():
        flat = values.reshape(values.shape[0], values.shape[1], -1)
        for j in range(flat.shape[2]):
            x = flat[:, :, j]
            if np.ptp(x) == 0:  # a masked parameter that never moves from its prior's draw
                continue
            r = float(split_gelman_rubin(x))
            if r > worst_r:
                worst_r, worst_name = r, f"{name}[{j}]" if flat.shape[2] > 1 else name
            bulk = min(bulk, float(effective_sample_size(x)))
            # Tail ESS: the ESS of the indicators of the 5% and 95% quantiles (as ArviZ defines it).
            low, high = np.quantile(x, [0.05, 0.95])
            tail = min(
                tail,
                float(effective_sample_size((x <= low).astype(float))),
                float(effective_sample_size((x >= high).astype(float))),
            )
    draws = int(next(iter(chains.values())).shape[0] * next(iter(chains.values())).shape[1])
    return Diagnostics(worst_r, bulk, tail, int(divergences), draws, worst_name)


@dataclass(frozen=True)
class Posterior:
    """Draws of the measurement model's parameters (chains pooled) and their diagnostics."""

    data: MeasurementData
    draws: dict[str, np.ndarray]
    diagnostics: Diagnostics
    settings: SamplerSettings
    seed: int

    @property
    def size(self) -> int:
        return int(self.draws["level"].shape[0])

    def employer_effects(self) -> np.ndarray:
        """Draws of each employer's effect on log pay, (draw, employer): the sampled effects,
        or the scale times the standardised draws of a training file written before the
        effects themselves were sampled."""
        if "employer_effect" in self.draws:
            return self.draws["employer_effect"]
        return self.draws["tau_employer"][:, None] * self.draws["employer_raw"]

    def median_draws(self, country: str, company: str | None, years: np.ndarray, draws: np.ndarray | None = None) -> np.ndarray:
        """Draws of the median log pay of a cell: the market's, with the shared
        site bias, plus the employer's effect for a known employer.

        Shape (draw, year); with ``draws`` (indices, one per year) the median of
        draw ``draws[i]`` at ``years[i]``, shape (year,).
        """
        c = self.data.countries.index(country)
        years = np.asarray(years, dtype=float)
        k = self.employer_index(country, company)
        pick = slice(None) if draws is None else np.asarray(draws)
        shift = self.draws["level"][pick, c] + self.draws["site_bias"][pick, c]
        if k >= 0:
            shift = shift + self.employer_effects()[pick, k]
        slopes = self.draws["slopes"][pick, :, c]
        if draws is None:
            return shift[:, None] + slopes @ ramps(years).T
        return shift + np.einsum("ns,ns->n", slopes, ramps(years))

    def population_median_draws(self, country: str, company: str | None, years: np.ndarray, unit: int) -> np.ndarray:
        """Draws of the median log pay of a cell as population ``unit`` (a source of
        records) sees it: the market's median plus that source's offset, without the
        bias every salary site shares (the records are the population's own pay).
        Shape (draw, year)."""
        c = self.data.countries.index(country)
        median = self.median_draws(country, company, years) - self.draws["site_bias"][:, c, None]
        return median + self.draws["source_offset"][:, unit, None]

    def row_draws(self, country: str, company: str | None, years: np.ndarray, unit: int | None) -> tuple[np.ndarray, np.ndarray]:
        """Draws of the median and the spread of one served row, shape (draw, year) each:
        the cell's (``unit`` None), or the cell as population ``unit`` sees it, whose
        engineers spread by its own factor of the market's spread (learnt from its rows)."""
        spread = self.spread_draws(country, company, years)
        if unit is None:
            return self.median_draws(country, company, years), spread
        factor = self.draws.get("population_spread")
        spread = spread if factor is None else spread * np.exp(factor[:, unit, None])
        return self.population_median_draws(country, company, years, unit), spread

    def population_units(self) -> list[tuple[str, int, list[str]]]:
        """Each source of records: its name, its unit's index and the countries it has rows in."""
        found = []
        for j, unit in enumerate(self.data.units):
            if unit.startswith("records:"):
                countries = sorted({self.data.countries[c] for c in self.data.record_country[self.data.record_unit == j]})
                found.append((unit.removeprefix("records:"), j, countries))
        return found

    def spread_draws(self, country: str, company: str | None, years: np.ndarray, draws: np.ndarray | None = None) -> np.ndarray:
        """Draws of the spread (sd of log pay) among engineers of a cell: shape
        (draw, year), or (year,) with ``draws`` as in :meth:`median_draws`."""
        c = self.data.countries.index(country)
        years = np.asarray(years, dtype=float)
        pick = slice(None) if draws is None else np.asarray(draws)
        log_spread, trend = self.draws["log_spread"][pick, c], self.draws["spread_trend"][pick, c]
        if draws is None:
            log_spread, trend = log_spread[:, None], trend[:, None]
        spread = np.exp(log_spread + trend * (np.minimum(years, SPREAD_TREND_END) - 5) / 10)
        if self.employer_index(country, company) >= 0:
            share = self.draws["employer_spread_share"][pick]
            spread = spread * (share if draws is not None else share[:, None])
        return spread

    def mean_median(self, country: str, company: str | None, years: np.ndarray) -> np.ndarray:
        """Posterior mean of the median log pay at ``years`` (the median is linear
        in the parameters, so this is the median at their posterior means)."""
        c = self.data.countries.index(country)
        shift = float(np.mean(self.draws["level"][:, c] + self.draws["site_bias"][:, c]))
        k = self.employer_index(country, company)
        if k >= 0:
            shift += float(np.mean(self.employer_effects()[:, k]))
        return shift + ramps(np.asarray(years, dtype=float)) @ self.draws["slopes"][:, :, c].mean(axis=0)

    def employer_index(self, country: str, company: str | None) -> int:
        """The employer's code, -1 for the market (or an employer the data do not know)."""
        try:
            return self.data.employers.index((country, company)) if company is not None else -1
        except ValueError:
            return -1

    def quantile(self, name: str, q) -> np.ndarray:
        return np.quantile(self.draws[name], q, axis=0)

    def level_edges(self) -> dict[str, dict[str, dict]]:
        """Each country's edges between partition levels: each one's posterior (median, 80%
        interval) beside its prior (levels.csv's edge, :data:`~.measurement.LEVEL_EDGE_SD`);
        none without figures."""
        if "level_edges" not in self.draws:
            return {}
        names = [f"{a}|{b}" for a, b in zip(PARTITION_LEVELS, PARTITION_LEVELS[1:])]
        z = ndtri(0.9)  # the prior's 80% interval is centre +- z sd
        found: dict[str, dict[str, dict]] = {}
        for c, country in enumerate(self.data.countries):
            found[country] = {}
            for j, (name, centre, sd) in enumerate(zip(names, self.data.level_bounds[1:-1], LEVEL_EDGE_SD)):
                low, mid, high = np.quantile(self.draws["level_edges"][:, c, j], [0.1, 0.5, 0.9])
                prior = {"median": float(centre), "low_80": float(centre - z * sd), "high_80": float(centre + z * sd)}
                found[country][name] = {"median": float(mid), "low_80": float(low), "high_80": float(high), "prior": prior}
        return found

    def several(self) -> list[dict]:
        """For each figure ranked among "several" sites: the prior and posterior probability
        of each count of sites (the figures of one group share them)."""
        found = []
        for i, figure_id in enumerate(self.data.ids):
            allowed = np.isfinite(self.data.order_log_prior[i])
            if allowed.sum() < 2:
                continue  # not ranked, or ranked among a stated count
            posterior = self.draws["several_probabilities"][:, i].mean(axis=0)
            found.append(
                {
                    "id": figure_id,
                    "prior": {str(k): float(np.exp(self.data.order_log_prior[i, j])) for j, k in enumerate(SEVERAL)},
                    "posterior": {str(k): float(posterior[j]) for j, k in enumerate(SEVERAL)},
                }
            )
        return found

    def mean_slope(self, country: str, years: float = 12.0) -> np.ndarray:
        """Draws of the median's average rise per year from 0 to ``years`` (log pay)."""
        c = self.data.countries.index(country)
        return self.draws["slopes"][:, :, c] @ ramps(years) / years

    def summary(self) -> dict:
        """Posterior medians and 80% intervals of the hyperparameters, each country's
        spread and slope, each source's offset and each employer's effect; diagnostics."""

        def interval(values: np.ndarray) -> dict:
            low, mid, high = np.quantile(values, [0.1, 0.5, 0.9])
            return {"median": float(mid), "low_80": float(low), "high_80": float(high)}

        countries = {}
        for c, country in enumerate(self.data.countries):
            countries[country] = {
                "spread_at_5_years": interval(np.exp(self.draws["log_spread"][:, c])),
                "spread_trend_per_10_years": interval(self.draws["spread_trend"][:, c]),
                "mean_slope_0_12_years": interval(self.mean_slope(country)),
            }
            if self.data.growth_sd[c] > 0:  # aged with consumer prices: pay's real growth a year
                countries[country]["real_growth_per_year"] = interval(np.expm1(self.draws["real_growth"][:, c]))
        offsets = self.draws["source_offset"]
        effects = self.employer_effects()
        priors = _prior_draws()
        shares = self.data.level_shares / self.data.level_shares.sum()
        mix_prior = np.random.default_rng(0).dirichlet(LEVEL_MIX_CONCENTRATION * shares, 20_000)
        return {
            "library": "numpyro",
            "sampler": "NUTS",
            "seed": self.seed,
            "settings": self.settings.__dict__,
            "diagnostics": self.diagnostics.to_dict(),
            "hyperparameters": {
                name: {**interval(self.draws[name]), "prior": interval(priors[name])} for name in HYPERPARAMETERS
            },
            "level_mix": {
                level: {**interval(self.draws["level_mix"][:, j]), "prior": interval(mix_prior[:, j])}
                for j, level in enumerate(PARTITION_LEVELS)
            },
            "level_edges": self.level_edges(),
            "several": self.several(),
            "countries": countries,
            "source_offsets": {u: interval(offsets[:, j]) for j, u in enumerate(self.data.units)},
            "employer_effects": [
                {"country": c, "company": k, **interval(effects[:, j])} for j, (c, k) in enumerate(self.data.employers)
            ],
            "knots_years": KNOTS.tolist(),
            "shared_site_sd": SHARED_SITE_SD,
        }


def start_jax(chains: int) -> str:
    """JAX on the CPU (no accelerator probing), one device per chain where JAX is not
    yet started, so the chains run side by side on the cores there are; else one after another.
    Whatever first imports JAX calls this first: "parallel" or "sequential", how chains will run."""
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    try:
        with warnings.catch_warnings():
            # NumPyro's progress bars (tqdm) ask Jupyter for widgets on import; the sampler
            # never shows a bar, so a notebook without ipywidgets need not hear of it.
            warnings.filterwarnings("ignore", message="IProgress not found")
            import numpyro
    except ImportError:
        raise ModuleNotFoundError(
            "The measurement model needs NumPyro and JAX: install them with pip install 'salarymodel[bayes]'."
        ) from None
    numpyro.set_host_device_count(max(chains, os.cpu_count() or 1))  # a no-op once JAX has started
    import jax

    return "parallel" if jax.local_device_count() >= chains else "sequential"


_SAMPLERS: dict[tuple, object] = {}


def _start(n_countries: int, n_units: int, n_employers: int) -> dict[str, np.ndarray]:
    """Where every chain starts: typical values of the priors (range coverages, left
    out, start at random in their middle). Random starts in (-2, 2) of unconstrained
    space put a source scale far out in its tail and left a chain stuck for a whole
    run (R-hat 61 on one seed in eight); warm-up moves each chain its own way from here."""
    return {
        "tau_source": np.array(0.1),
        "tau_employer": np.array(0.3),
        "employer_spread_share": np.array(0.75),
        "level_raw": np.zeros(n_countries),
        "log_spread": np.full(n_countries, np.log(0.25)),
        "spread_trend": np.zeros(n_countries),
        "growth_raw": np.zeros(n_countries),
        "slope_raw": np.full((len(KNOTS) - 1, n_countries), 0.7),
        "employer_effect": np.zeros(max(n_employers, 1)),
        "source_weight": np.ones(n_units),
        "level_edges_raw": np.zeros((n_countries, len(LEVEL_EDGE_SD))),
    }


# With records, one dense mass block over each country's curve and spread and each
# population's spread factor: records fix a country's spread times a population's factor
# (and the differences between countries' levels) to a few thousandths, leaving ridges
# along which the pieces move together that a diagonal mass matrix crosses in hundreds of
# steps (100,000 records: 240 steps an iteration on the diagonal, 55 with this block).
# Without records the block only slowed the shipped figures (and lost tail ESS).
RECORDS_DENSE_BLOCK = ("level_raw", "slope_raw", "log_spread", "spread_trend", "population_spread_raw")


def _sampler(sizes: tuple[int, int, int], settings: SamplerSettings, method: str, records: bool):
    """One compiled NUTS run of all chains for models of these sizes, kept for the process.

    The data are arguments of the compiled program, not constants in it (as they
    are in NumPyro's ``MCMC``), so a refit on other figures of the same shapes
    (the held-out validation, a second training) reuses it and skips the XLA
    compilation that is most of a first fit's time.
    """
    key = (sizes, settings, method, records)
    if key in _SAMPLERS:
        return _SAMPLERS[key]
    import jax
    from numpyro.infer import NUTS, init_to_value

    kernel = NUTS(
        measurement_model,
        target_accept_prob=settings.target_accept,
        max_tree_depth=(settings.warmup_tree_depth, settings.max_tree_depth),
        dense_mass=[RECORDS_DENSE_BLOCK] if records else False,
        init_strategy=init_to_value(values={name: jax.numpy.asarray(value) for name, value in _start(*sizes).items()}),
    )

    def chain(rng_key, arrays):
        args = (arrays, *sizes)
        state = kernel.init(rng_key, settings.warmup, None, model_args=args, model_kwargs={})
        constrain = kernel.postprocess_fn(args, {})

        def step(state, _):
            state = kernel.sample(state, args, {})
            return state, (state.z, state.diverging)

        # One loop over warm-up (the kernel adapts step size and mass while its step count
        # is below the warm-up's) and kept draws: XLA compiles the NUTS step once, not twice
        # (a quarter less compilation: 19.8 s -> 14.8 s on the shipped figures).
        _, (draws, diverging) = jax.lax.scan(step, state, None, length=settings.warmup + settings.samples)
        kept = jax.tree_util.tree_map(lambda value: value[settings.warmup :], draws)
        return jax.vmap(constrain)(kept), diverging[settings.warmup :]

    if method == "parallel":
        run = jax.pmap(chain, in_axes=(0, None))
    else:
        one = jax.jit(chain)

        def run(keys, arrays):
            outputs = [one(k, arrays) for k in keys]
            return jax.tree_util.tree_map(lambda *parts: jax.numpy.stack(parts), *outputs)

    _SAMPLERS[key] = run
    return run


def fit_posterior(data: MeasurementData, *, seed: int = 0, settings: SamplerSettings | None = None) -> Posterior:
    """Sample the measurement model's posterior with NUTS.

    Parameters
    ----------
    data : MeasurementData
    seed : int, default=0
        Seed of the sampler and of the shared site bias draws.
    settings : SamplerSettings, default=None
        Chains and draws; :class:`SamplerSettings` defaults when None.

    Returns
    -------
    Posterior
        With its diagnostics (not checked here: call ``posterior.diagnostics.check()``).
    """
    settings = settings or SamplerSettings()
    method = start_jax(settings.chains)
    import jax

    arrays = {name: jax.numpy.asarray(value) for name, value in data.arrays().items()}
    sizes = (len(data.countries), len(data.units), len(data.employers))
    run = _sampler(sizes, settings, method, records=len(data.record_mean) > 0)
    samples, diverging = run(jax.random.split(jax.random.PRNGKey(seed), settings.chains), arrays)
    chains = {name: np.asarray(value) for name, value in samples.items()}
    divergences = int(np.asarray(diverging).sum())
    sampled = {name: value for name, value in chains.items() if name not in _DERIVED}
    diagnostics = _diagnostics(sampled, divergences)
    draws = {name: value.reshape(-1, *value.shape[2:]) for name, value in chains.items()}
    rng = np.random.default_rng([seed, 28])
    size = draws["level"].shape[0]
    draws["site_bias"] = rng.normal(0.0, SHARED_SITE_SD, (size, len(data.countries)))
    # Each source's offset, drawn from its conditional normal given the rest of the draw.
    draws["source_offset"] = draws["offset_mean"] + np.sqrt(draws["offset_var"]) * rng.standard_normal(draws["offset_mean"].shape)
    return Posterior(data, draws, diagnostics, settings, seed)
