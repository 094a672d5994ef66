"""The posterior without some figures, from the draws of the posterior with them.

Holding a figure out changes the posterior little when other figures say much
the same. The full fit's draws, each weighted by how much more (or less)
probable it is without the held-out figures, are then draws of the posterior
without them: importance sampling, with the largest weights smoothed by a
fitted generalised Pareto tail (PSIS; Vehtari, Simpson, Gelman, Yao and Gabry,
2024, "Pareto smoothed importance sampling", JMLR 25(72), as ArviZ computes it).
The fitted tail's shape ``k`` and the weights' effective sample size say
whether the reweighted draws can be trusted: with ``k`` above
:data:`MAX_PARETO_K`, or fewer than :data:`MIN_EFFECTIVE_DRAWS` effective
draws, the held-out posterior is too far from the full one (typically where
the held-out figures alone informed a parameter: a source's weight, an
employer's effect) and the caller samples it again.

A held-out figure also moves each country's level prior centre
(:meth:`~salarymodel.training.measurement.MeasurementData.without`), so every
draw's raw level is shifted to keep its level where it was: the weight is then
the ratio of the two joint densities of one and the same pay curve.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .measurement import MeasurementData, measurement_model
from .posterior import MIN_ESS, Posterior, SamplerSettings, start_jax

__all__ = ["MAX_PARETO_K", "MIN_EFFECTIVE_DRAWS", "Reweighted", "reweighted"]

# Above 0.7 the smoothed weights' error no longer falls usefully with the draws
# (Vehtari et al. 2024, section 3; the limit for 2,200 draws or more).
MAX_PARETO_K = 0.7
# As many effective draws as a served fit must have (MIN_ESS): fewer cannot show a
# parameter the held-out figures alone informed spreading back out to its prior.
MIN_EFFECTIVE_DRAWS = MIN_ESS

_PROGRAMS: dict[tuple, tuple] = {}


@dataclass(frozen=True)
class Reweighted:
    """The held-out posterior as reweighted draws of the full one.

    ``posterior`` holds the draws resampled by weight (systematically,
    so each draw appears about as often as its weight says), with the held-out data.
    """

    posterior: Posterior
    pareto_k: float
    ess: float

    @property
    def reliable(self) -> bool:
        return self.pareto_k <= MAX_PARETO_K and self.ess >= MIN_EFFECTIVE_DRAWS


def _programs(sizes: tuple[int, int, int], arrays: dict, draws: dict[str, np.ndarray]):
    """Compiled once for these sizes and array shapes: the model's sampled sites, and,
    each over every draw, the unconstrained draws as one flat vector each, the log density
    (with the Jacobian) at such vectors, and the constrained parameters with the model's
    derived sites. The shapes are in the key because the flat vector's layout follows
    them (one coverage per range, for one)."""
    key = (sizes, tuple(sorted((name, np.shape(value)) for name, value in arrays.items())))
    if key in _PROGRAMS:
        return _PROGRAMS[key]
    import jax
    from jax.flatten_util import ravel_pytree
    from numpyro import handlers
    from numpyro.infer.util import constrain_fn, potential_energy, unconstrain_fn

    # The sampled sites' names, read off an abstract trace: running the model op by op to
    # see them compiled every operation on its own (12.7 s of a 2-minute evaluation).
    names: list[str] = []

    def sites(arrays):
        trace = handlers.trace(handlers.seed(measurement_model, 0)).get_trace(arrays, *sizes)
        names.extend(name for name, site in trace.items() if site["type"] == "sample" and not site.get("is_observed", False))
        return 0.0

    jax.eval_shape(sites, arrays)
    latent = tuple(names)
    one = {name: draws[name][0] for name in latent}
    _, unravel = ravel_pytree(unconstrain_fn(measurement_model, (arrays, *sizes), {}, one))

    def flat(arrays, params):
        return ravel_pytree(unconstrain_fn(measurement_model, (arrays, *sizes), {}, params))[0]

    def log_density(arrays, vector):
        return -potential_energy(measurement_model, (arrays, *sizes), {}, unravel(vector))

    def constrained(arrays, vector):
        return constrain_fn(measurement_model, (arrays, *sizes), {}, unravel(vector), return_deterministic=True)

    programs = (latent, *(_in_blocks(jax.jit(jax.vmap(f, in_axes=(None, 0)))) for f in (flat, log_density, constrained)))
    _PROGRAMS[key] = programs
    return programs


# Draws go through the compiled programs this many at a time, the last block padded, so
# fits of any number of draws (the served fit's 3,200, a refit's 2,000) share one compilation.
DRAWS_PER_BLOCK = 400


def _in_blocks(program):
    """``program(arrays, values)`` over the leading axis of ``values`` in fixed-size blocks."""
    import jax

    def run(arrays, values):
        size = len(jax.tree_util.tree_leaves(values)[0])
        parts = []
        for start in range(0, size, DRAWS_PER_BLOCK):
            taken = min(DRAWS_PER_BLOCK, size - start)

            def block(value, start=start, taken=taken):
                value = np.asarray(value)[start : start + taken]
                return np.concatenate([value, np.repeat(value[-1:], DRAWS_PER_BLOCK - taken, axis=0)])

            result = program(arrays, jax.tree_util.tree_map(block, values))
            parts.append(jax.tree_util.tree_map(lambda value, taken=taken: np.asarray(value)[:taken], result))
        return jax.tree_util.tree_map(lambda *blocks: np.concatenate(blocks), *parts)

    return run


def _smoothed(log_ratio: np.ndarray) -> tuple[np.ndarray, float]:
    """Pareto-smoothed normalised log weights of log density ratios, and the tail's ``k``."""
    from arviz_stats.base import array_stats

    # ArviZ takes a held-out log likelihood and weights each draw by its negative.
    log_weights, pareto_k = array_stats.psislw(-log_ratio, r_eff=1.0)
    return np.asarray(log_weights, dtype=float), float(pareto_k)


def _systematic(log_weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Indices of as many draws as there are, each drawn about weight x size times."""
    weights = np.exp(log_weights - log_weights.max())
    edges = np.cumsum(weights / weights.sum())
    edges[-1] = 1.0
    return np.searchsorted(edges, (rng.random() + np.arange(len(weights))) / len(weights))


def reweighted(full: Posterior, held: MeasurementData) -> Reweighted:
    """The posterior of ``held`` (the full fit's data with figures held out) by PSIS.

    Parameters
    ----------
    full : Posterior
        The fit of every figure.
    held : MeasurementData
        ``full.data.without(ids)``: the same shapes, the held-out figures' ``use`` at 0.

    Returns
    -------
    Reweighted
        Not ``reliable`` (``k`` or the effective draws out of bounds): sample ``held`` again.
    """
    start_jax(SamplerSettings().chains)  # before JAX starts: a sampled refit after this runs its chains side by side
    import jax.numpy as jnp

    sizes = (len(full.data.countries), len(full.data.units), len(full.data.employers))
    full_arrays = {name: jnp.asarray(value) for name, value in full.data.arrays().items()}
    latent, flat, log_density, constrained = _programs(sizes, full_arrays, full.draws)
    params = {name: jnp.asarray(full.draws[name]) for name in latent}
    held_arrays = {name: jnp.asarray(value) for name, value in held.arrays().items()}
    shifted = dict(params)
    shifted["level_raw"] = params["level_raw"] + jnp.asarray(full.data.centre - held.centre)  # each draw's level kept
    u = np.asarray(flat(full_arrays, shifted), dtype=float)
    proposal = np.asarray(log_density(full_arrays, np.asarray(flat(full_arrays, params))), dtype=float)
    log_weights, pareto_k = _smoothed(np.asarray(log_density(held_arrays, u), dtype=float) - proposal)
    weights = np.exp(log_weights - log_weights.max())
    ess = float(weights.sum() ** 2 / np.sum(weights**2))

    draws = {name: np.asarray(value) for name, value in constrained(held_arrays, u).items()}
    # Each source's offset: the full fit's standard normal draw, under the held-out conditional.
    normal = (full.draws["source_offset"] - full.draws["offset_mean"]) / np.sqrt(full.draws["offset_var"])
    draws["source_offset"] = draws["offset_mean"] + np.sqrt(draws["offset_var"]) * normal
    draws["site_bias"] = full.draws["site_bias"]
    order = _systematic(log_weights, np.random.default_rng([full.seed, 32]))
    resampled = {name: value[order] for name, value in draws.items()}
    return Reweighted(Posterior(held, resampled, full.diagnostics, full.settings, full.seed), pareto_k, ess)
