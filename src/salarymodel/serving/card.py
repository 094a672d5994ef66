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
