"""One training run, end to end: :func:`train` (``python -m salarymodel.train`` runs it).

figures (and records) -> normalised (:mod:`salarymodel.data`) -> the
measurement model's posterior -> synthetic engineers drawn from it, the
regression, serving tables (:mod:`salarymodel.training`) -> evidence for the model card
(:mod:`salarymodel.evidence.report`) -> model folder (:mod:`salarymodel.serving.model_io.folder`).
This module ties the stages together, so it sits above them; the command
line's options live in :mod:`salarymodel.cli.train`, and :mod:`salarymodel.train`
names :func:`train` where users look for it. All computation happens
before anything is written, and every write is atomic, so a failed run
leaves the previous model and training set untouched.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import __version__
from .data.listing import first_ids
from .data.tables import TablePaths
from .data.training_data import TrainingData, training_data
from .errors import ModelSwitchedError
from .evidence.measurement import measurement_section
from .evidence.metrics import HOLDOUT_SEED_OFFSET, coverage_report
from .evidence.report import compare_models, external_section, fidelity_section, uncertainty_section, validation_section
from .serving.constraints import ROWS_PER_COUNTRY, SEED
from .serving.model import SalaryModel
from .serving.model_io.card import ModelCard, library_versions, now_iso, render_markdown
from .serving.model_io.folder import check_model_folder, write_atomic
from .serving.model_io.paths import TRAINING_SET_FILE
from .serving.model_io.records import TrainingFacts
from .training.bayes import fit_posterior
from .training.cells import served_rows
from .training.compile import compile_model, fit_quantile_curves
from .training.engineers import DEFAULT_ROWS_PER_COUNTRY, draw_engineers
from .training.posterior import Posterior, SamplerSettings
from .training.quantile_curves import QuantileCurves
from .training.state_file import save_trained_model
from .training.threads import fit_threads

__all__ = ["TrainingResult", "train", "DEFAULT_OUT", "DEFAULT_DATA_OUT"]

# Per-figure fidelity rows a model card keeps (the largest errors): a card must
# stay small enough to load for a survey of 100,000 figures; the model data keeps all.
CARD_FIDELITY_ROWS = 1_000

# The project's own model and its training set (Cookiecutter layout).
DEFAULT_OUT = Path("models")
DEFAULT_DATA_OUT = Path("data/processed")


@dataclass
class TrainingResult:
    """What a training run produced."""

    model: SalaryModel
    card: dict
    training_set: pd.DataFrame
    seconds: float

    def summary(self) -> str:
        """A short human-readable report of the run."""
        card = ModelCard.from_dict(self.card)
        used = card.data.used
        calibration = card.evaluation.coverage(0.8)
        fidelity = card.evaluation.fidelity
        by_country = ", ".join(f"{c} {v:.1%}" for c, v in calibration["by_country"].items())
        engineers = self.card["estimator"]["engineers"]
        lines = [
            f"Trained salarymodel {card.training.version} in {self.seconds:.1f} s (seed {card.training.seed}): "
            f"quantile curves learnt from {engineers:,} synthetic engineers; {card.training.rows:,} of them "
            "written beside the model.",
            f"Countries: {', '.join(card.data.countries)}; reference year {card.money['reference_year']}.",
            f"80% band coverage on held-out rows: {calibration['overall']:.1%} overall ({by_country}).",
            f"Reported statistics reproduced within {fidelity['tolerance']:.0%} "
            f"({fidelity['spread_tolerance']:.0%} for spreads): {fidelity['summary']['reproduced']} of the "
            f"{fidelity['summary']['statistics'] - fidelity['summary'].get('excluded', 0)} used "
            f"({fidelity['summary']['not_reproduced']} not, with reasons; "
            f"{fidelity['summary'].get('excluded', 0)} excluded, below; see 'python -m salarymodel.evaluate').",
            *_posterior_lines(card.measurement_model or {}),
            f"Figures used ({len(used):,}): {first_ids(used, 20, where='all in the model card')}.",
        ]
        # One line per reason: a survey can exclude thousands of figures for the same one.
        by_reason: dict[str, list[str]] = {}
        for item in card.data.excluded:
            by_reason.setdefault(item["reason"], []).append(item["id"])
        for reason, ids in by_reason.items():
            lines.append(f"Excluded {first_ids(ids, 20, where='all in the model card')}: {reason}.")
        return "\n".join(lines)


def _posterior_lines(section: dict) -> list[str]:
    """The posterior's diagnostics and checks in the summary (none for a card without them)."""
    if not section:
        return []
    d, checks = section["diagnostics"], section["predictive_checks"]
    return [
        f"Posterior (NumPyro NUTS, {d['draws']:,} draws): max R-hat {d['r_hat_max']:.3f}, min ESS "
        f"{d['ess_bulk_min']:.0f}, {d['divergences']} divergences; {checks['inside']} of {checks['statistics']} "
        f"reported statistics inside their 90% posterior predictive interval."
    ]


@dataclass
class _Run:
    """What one run computed, before anything is written."""

    data: TrainingData
    posterior: Posterior
    rows: pd.DataFrame
    curves: list[QuantileCurves]
    model: SalaryModel
    holdout: pd.DataFrame


def _fit(data: TrainingData, *, seed: int, rows_per_country: int, sampler, step) -> _Run:
    """Posterior, engineers, regression, model and held-out engineers of one run."""
    step("2/5 sampling the measurement model's posterior (NUTS)")
    posterior = fit_posterior(data, seed=seed, settings=sampler)
    posterior.diagnostics.check()  # a fit that fails its diagnostics writes no model
    step("3/5 drawing engineers from the posterior predictive and fitting the regression's quantile curves")
    cells, populations = served_rows(data, posterior)
    curves = fit_quantile_curves(posterior, cells, populations, seed=seed)
    step("4/5 compiling the serving tables")
    rows = draw_engineers(data, posterior, rows_per_country=rows_per_country, seed=seed)
    facts = TrainingFacts(seed=seed, rows=len(rows), rows_per_country=rows_per_country, version=__version__)
    model = compile_model(curves, data, facts, posterior)
    step("5/5 checking the model and writing its card")
    holdout = draw_engineers(data, posterior, rows_per_country=rows_per_country, seed=seed + HOLDOUT_SEED_OFFSET)
    return _Run(data, posterior, rows, curves, model, holdout)


def _json_params(params: dict) -> dict:
    """An estimator's parameters as the card's JSON holds them (None stays None: a default)."""
    return {name: (list(value) if isinstance(value, (tuple, np.ndarray)) else value) for name, value in params.items()}


def _check_settings(rows_per_country: object, seed: object) -> None:
    """Rows and seed as whole numbers in range, named before any work is done."""
    ROWS_PER_COUNTRY.check(rows_per_country, "train")
    SEED.check(seed, "train")


def train(
    figures=None,
    *,
    rows_per_country: int = DEFAULT_ROWS_PER_COUNTRY,
    seed: int = 0,
    out: Path | None = None,
    data_out: Path | None = None,
    compare: bool = False,
    validate: bool = False,
    quiet: bool = True,
    progress=None,
    wage_index=None,
    cpi=None,
    aliases=None,
    data_dir=None,
    records=None,
    sampler: SamplerSettings | None = None,
) -> TrainingResult:
    """Train a model from reported figures and optionally save it.

    Parameters
    ----------
    figures : DataFrame, str or Path, default=None
        Figures or a figures file; the shipped figures when None.
    rows_per_country : int, default=15000
        Synthetic engineers of each country in the sample written beside the
        model and in its held-out coverage check (a fixed budget per country,
        so one country's figures never change another's rows). The regression
        learns from every posterior draw, whatever this is.
    seed : int, default=0
        Seed of the synthetic set and the calibration split.
    out : Path, default=None
        Model folder to write (a folder, checked before any work); nothing
        is written when None. The folder switches to the new model, with
        its own training set, in one rename (see :mod:`salarymodel.serving.model_io.folder`).
    data_out : Path, default=None
        Folder for a copy of the synthetic training set, ``training_set.csv``
        (written after the model's switch).
    compare : bool, default=False
        Also fit every candidate model family on the same split and put the
        comparison into the model card (as ``python -m salarymodel.evaluate``
        reports it; adds several seconds).
    validate : bool, default=False
        Also leave each figure and each source out (the leave-out validation
        ``python -m salarymodel.evaluate`` reports) and put it into the model
        card, so the evaluation of this model reads it instead of refitting
        (adds minutes: every figure whose reweighting is unreliable is
        sampled again).
    quiet : bool, default=True
        Print the summary when False.
    progress : callable, default=None
        Called with a short description at the start of each stage.
    wage_index, cpi, aliases : str or Path, default=None
        Your own wage-index, consumer-price and company-alias tables (the
        shipped ones' columns); they win over ``data_dir``.
    data_dir : str or Path, default=None
        A folder holding any of ``wage_index.csv``, ``cpi.csv`` and
        ``company_aliases.csv``; missing ones are the shipped copies. Which
        table was used, with its SHA-256, is recorded in the model card.
    records : DataFrame, str or Path, default=None
        Individual salaries (a records file or :func:`salarymodel.data.records.load_records`'s
        frame): they enter the measurement model's likelihood beside the figures,
        each ``source`` one population with its own offset from the market.
    sampler : SamplerSettings, default=None
        NUTS chains and draws (:class:`~salarymodel.training.posterior.SamplerSettings`'s defaults).

    Returns
    -------
    TrainingResult

    Raises
    ------
    PosteriorDiagnosticsError
        The sampler's diagnostics failed (named in the message); nothing is written.
    """
    start = time.perf_counter()
    step = progress or (lambda text: None)
    _check_settings(rows_per_country, seed)
    # Where the run will write is checked before any work, so a bad path costs nothing.
    if out is not None:
        check_model_folder(out, parameter="out")
    if data_out is not None:
        check_model_folder(data_out, parameter="data_out")
    tables = TablePaths.choose(data_dir=data_dir, wage_index=wage_index, cpi=cpi, aliases=aliases).check()
    if records is not None and not isinstance(records, pd.DataFrame):
        from .data.records import load_records

        records = load_records(records, progress=step)
    with fit_threads():  # bounded native threads: stable times on a busy machine
        step("1/5 normalising the figures")
        data = training_data(figures, records=records, tables=tables)
        run = _fit(data, seed=seed, rows_per_country=rows_per_country, sampler=sampler, step=step)
        model, rows = run.model, run.rows
        figures_frame = data.figures.drop_duplicates("id")
        card: dict[str, Any] = {
            "package": {"name": "salarymodel", "version": __version__},
            "created_at": now_iso(),
            "seed": seed,
            "rows": int(len(rows)),
            "countries": list(model.core.countries),
            "currencies": sorted(set(model.core.local_currency.values()) | {"USD"}),
            "money": data.basis.to_dict(),
            "money_over_time": model.core.money.to_dict(),
            "tables": tables.to_dict(),
            "figures": {
                "used": figures_frame.loc[figures_frame["excluded"] == "", "id"].tolist(),
                "excluded": [{"id": r.id, "reason": r.excluded} for r in figures_frame.itertuples() if r.excluded],
            },
            "measurement_model": measurement_section(data, seed=seed, posterior=run.posterior),
            "estimator": {
                "class": type(run.curves[0]).__name__,
                "params": _json_params(run.curves[0].get_params()),
                "fitted_rows": len(run.curves),
                "engineers": int(sum(fitted.n_engineers_ for fitted in run.curves)),
            },
            "libraries": library_versions(),
            "metrics": {
                "calibration": coverage_report(model, run.holdout),
                "holdout_seed": seed + HOLDOUT_SEED_OFFSET,
                "fidelity": fidelity_section(model.fidelity(), max_figures=CARD_FIDELITY_ROWS),
                "external": external_section(model),
                "uncertainty": uncertainty_section(model),
                "model_comparison": (
                    compare_models(model, rows_per_country=rows_per_country, seed=seed)
                    if compare
                    else "not run: train with --compare, or run 'python -m salarymodel.evaluate'"
                ),
            },
        }
        validation_seconds = 0.0
        if validate:
            step("validating: each figure and each source left out (a refit each; minutes)")
            started = time.perf_counter()
            validation = validation_section(model)
            validation_seconds = time.perf_counter() - started
            card["metrics"]["validation"] = {**validation, "seconds": round(validation_seconds, 3)}
    seconds = time.perf_counter() - start - validation_seconds  # the model's time; the validation's is its own
    card["training_seconds"] = round(seconds, 3)
    training_set = rows.to_csv(index=False).encode("utf-8")
    if out is not None:  # the model and its own training set switch together, with the card
        card = save_trained_model(model, out, card, render_markdown(card), training_set=training_set)
    if data_out is not None and (out is None or Path(data_out).resolve() != Path(out).resolve()):
        copy = Path(data_out) / TRAINING_SET_FILE
        try:
            write_atomic(copy, lambda tmp: tmp.write_bytes(training_set))
        except OSError as error:
            if out is None:
                raise
            # The model already switched: say so, and name the copy that failed, not the model.
            raise ModelSwitchedError(
                error.errno,
                f"the new model is in place in {out} (with its own training set), but the copy of the "
                f"training set {copy} could not be written ({error.strerror or error}); fix {data_out} "
                "and retrain to write it, or leave out --data-out",
            ) from error
    result = TrainingResult(model, card, rows, seconds)
    if not quiet:
        print(result.summary())
    return result
