"""The model card: facts about a trained model, as JSON and as Markdown."""

from __future__ import annotations

import datetime as dt
import platform
from importlib import metadata

__all__ = ["library_versions", "render_markdown"]

_LIBRARIES = ("scikit-learn", "numpy", "pandas", "joblib", "scipy", "currencyconverter", "pycountry")


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries a model depends on."""
    versions = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


# What the band means, for a model drawn from the measurement model's posterior and for
# one built from the figures' moment estimates.
_POSTERIOR_LIMITS = [
    "- Past the last year a country's figures cover, the curve is what the measurement model's prior and "
    "posterior say (flat at most, never falling), and its uncertainty widens with the distance.",
    "",
    "## What the band means",
    "An 80% band means: 80% of ML engineers like this (country, years, employer) earn between its ends "
    "(base salary). It is the posterior predictive interval of one engineer's pay under the measurement "
    "model of the sources (a median curve per country, a spread among engineers, each site's "
    "heavy-tailed offset, employer effects, an unknown bias all sites share), so the spread among engineers "
    "and what the figures leave unknown about the market are each counted once. The median's own interval "
    "is the posterior of the market's median.",
    "",
]
_MOMENT_LIMITS = [
    "- Past the last year a country's figures cover, the median is held flat, the band's low end stays and "
    "only its upside grows (at most by one between-source variance).",
    "",
    "## What the band means",
    "An 80% band means: 80% of ML engineers like this (country, years, employer) earn between its ends "
    "(base salary). In log salary one engineer's salary is `centre + scale * S + D`: (a) `scale * S`, the "
    "spread of salaries within the market as one source reports it (conformal scores of within-source "
    "residuals, per country), and (b) `D ~ Normal(0, tau_source^2 / n)`, the uncertainty of the market's "
    "median, `n` the independent source units behind it (plus `k * noise` for a known employer). Each is "
    "counted once; every percentile and the median's own interval come from this one distribution.",
    "",
    "Assumptions: sources scatter around the true median with one spread per country (pooled for "
    "one-source countries); level mixes and years ranges as in levels.csv; a source's reported spread "
    "describes individual base salaries; pay never falls with experience.",
    "",
]


def _measurement_lines(section: dict | None) -> list[str]:
    """The measurement model's part of the card: diagnostics, hyperparameters, slopes, checks."""
    if not section:
        return []
    diagnostics = section["diagnostics"]
    lines = ["", "## Measurement model (posterior)",
             f"- {section['library']} {section['sampler']}, {section['settings']['chains']} chains x "
             f"{section['settings']['samples']} draws after {section['settings']['warmup']} warm-up, seed "
             f"{section['seed']}: max split R-hat {diagnostics['r_hat_max']:.3f}, min bulk ESS "
             f"{diagnostics['ess_bulk_min']:.0f}, min tail ESS {diagnostics['ess_tail_min']:.0f}, "
             f"{diagnostics['divergences']} divergences"]
    for name, value in section["hyperparameters"].items():
        lines.append(f"- {name}: {value['median']:.3f} (80% interval {value['low_80']:.3f}-{value['high_80']:.3f})")
    for country, value in section["countries"].items():
        slope = value["mean_slope_0_12_years"]
        lines.append(f"- {country}: median rises {slope['median']:.1%} a year from 0 to 12 years (80% interval "
                     f"{slope['low_80']:.1%}-{slope['high_80']:.1%}); spread at 5 years "
                     f"{value['spread_at_5_years']['median']:.3f} (log sd)")
    checks = section["predictive_checks"]
    outliers = ", ".join(f"{o['id']} {o['statistic']} (percentile {o['percentile']:.2f})" for o in checks["outliers"])
    lines.append(f"- posterior predictive checks: {checks['inside']} of {checks['statistics']} reported statistics "
                 f"inside their own {checks['level']:.0%} interval" + (f"; outside: {outliers}" if outliers else ""))
    lines += [f"- prior {name}: {text}" for name, text in section["priors"].items()]
    return lines


def render_markdown(card: dict) -> str:
    """Markdown model card built from named sections."""
    money = card["money"]
    lines = [
        f"# Model card: salarymodel {card['package']['version']}",
        "",
        "## Description",
        "Estimates the annual base salary of a Machine Learning Engineer from country, years of "
        "experience and employer, with a confidence band. Trained on a synthetic set "
        "that reproduces salary figures reported by career and salary sites.",
        "",
        f"- created: {card['created_at']}",
        f"- seed: {card['seed']}, training rows: {card['rows']}",
        f"- reference year: {money['reference_year']} (internal basis: pay of 1 July, ECB annual mean rates)",
        "",
        "## Intended use and limits",
        "- Rough market orientation for ML engineer base pay in the countries listed below.",
        "- Not for individual pay decisions: the ground data are a few dozen published figures.",
        "- Total compensation (bonus, equity) is not modelled.",
        *(_POSTERIOR_LIMITS if card.get("measurement_model") else _MOMENT_LIMITS),
        "## Data",
        f"- countries: {', '.join(card['countries'])}",
        f"- figures used: {', '.join(card['figures']['used'])}",
    ]
    for item in card["figures"]["excluded"]:
        lines.append(f"- excluded {item['id']}: {item['reason']}")
    lines += ["", "## Money basis",
              f"- FX: {money['fx_source']}"]
    for currency in sorted({c for c in card["currencies"]}):
        lines.append(f"- 1 USD = {money['per_usd'][currency]:.4f} {currency}")
    for item in money["aging_used"]:
        cpi = f"; consumer prices would give x{item['cpi_factor']:.4f}" if item["cpi_factor"] else ""
        lines.append(f"- aged {item['country']} {item['from']} -> {item['to']} with wages: x{item['wage_factor']:.4f}"
                     f"{cpi} ({item['series']}; {item['source']})")
    today = card.get("money_over_time")
    if today:
        lines.append(f"- estimates are served in the money of any month from {today['first_month']} "
                     f"(FX: {today['fx']['source']}, {today['fx']['months']})")
        for country, index in today["wage_indices"].items():
            lines.append(f"- {country} wage index published to {index['last_published']}, then projected at "
                         f"{index['projection_rate']:.1%} a year (at most to {index['projected_at_most_to']})")
    lines += _measurement_lines(card.get("measurement_model"))
    effects = card.get("source_effects")
    if effects:
        lines += ["", "## Sources and employers",
                  "- between-source spread tau_source: " + ", ".join(
                      f"{c} {v:.3f} ({effects['tau_source_basis'][c]})" for c, v in effects["tau_source"].items()),
                  "- source units behind one level: " + ", ".join(f"{c} {n}" for c, n in effects["n_sources"].items()),
                  f"- between-employer spread tau_employer: {effects['tau_employer']:.3f}"]
        for item in effects["employer_effects"]:
            lines.append(f"- {item['country']} {item['company']}: distance {item['raw']:+.3f}, weight "
                         f"{item['weight']:.2f}, used {item['shrunk']:+.3f}, still unknown (sd) "
                         f"{item['posterior_variance'] ** 0.5:.3f}")
    lines += ["", "## Evaluation results",
              "Coverage of the bands on engineers drawn by the generator with another seed (consistency, not "
              "a test against reality):", "",
              "| nominal | overall | " + " | ".join(card["countries"]) + " | mean high/low - 1 |",
              "|---|---|" + "---|" * len(card["countries"]) + "---|"]
    for key, level in card["metrics"]["calibration"]["levels"].items():
        countries = " | ".join(f"{level['by_country'].get(c, float('nan')):.3f}" for c in card["countries"])
        lines.append(f"| {key} | {level['overall']:.3f} | {countries} | {level['mean_relative_width']:.2f} |")
    fidelity = card["metrics"]["fidelity"]
    lines += ["", f"Reported figures: {fidelity['summary']['reproduced']} of {fidelity['summary']['statistics']} "
              f"statistics reproduced within {fidelity['tolerance']:.0%} ({fidelity['spread_tolerance']:.0%} for percentiles and "
              f"range ends); the others, with the reason:", ""]
    for item in fidelity["figures"]:
        if item["status"] != "reproduced":
            errors = [e for e in (item["relative_error"], item["relative_error_high"]) if e is not None]
            error = f" ({' / '.join(f'{e:+.1%}' for e in errors)})" if errors else ""
            lines.append(f"- {item['id']} {item['statistic']}{error}: {item['status']}, {item['reason']}")
    if fidelity.get("figures_omitted"):
        lines.append(f"- and {fidelity['figures_omitted']:,} more statistics with smaller errors (every one: "
                     "`python -m salarymodel.evaluate`)")
    lines += ["", "## Libraries", ", ".join(f"{k} {v}" for k, v in card["libraries"].items()), ""]
    return "\n".join(lines)
