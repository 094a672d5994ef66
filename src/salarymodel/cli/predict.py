"""Command line for estimates: ``python -m salarymodel predict``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..data.listing import first_ids
from ..errors import ModelIntegrityError, ModelVersionError
from ..serving.distribution import salary_percentiles
from ..serving.explanations import band_parts
from ..serving.words import amount, estimate_sentence, one_line
from ._format import text_columns
from .options import option_for, with_option
from .prog import prog

__all__ = ["build_parser", "main", "format_estimate", "format_explanation", "format_percentiles", "load_for_cli"]


def _sources(ids: tuple[str, ...]) -> str:
    """The figures behind an estimate, or what it rests on where no figure covers its country."""
    if not ids:
        return "no reported figure (a country known from the records the model was trained on)"
    return one_line(first_ids(ids, 12, where="--explain lists them"))


def format_estimate(estimate, country_name: str | None = None) -> str:
    """Two readable lines: the sentence every interface shows, then the level, support,
    sources and the median's own interval (``country_name`` names the country; its code when None)."""
    cur = estimate.currency
    return (
        f"{one_line(estimate_sentence(estimate, country_name or estimate.country))}\n"
        f"  level: {one_line(estimate.level)}; support: {estimate.support}; "
        f"sources: {_sources(estimate.sources)}; the median itself is known "
        f"to {amount(estimate.median_low, cur)} - {amount(estimate.median_high, cur)} {cur} (80%)"
    )


def format_percentiles(values: dict, currency: str) -> str:
    """Percentiles as one line: p10 41,000 · p25 ... (in ``currency``)."""
    return "  percentiles: " + ", ".join(f"p{q:g} {amount(v, currency)}" for q, v in values.items()) + f" {currency}"


def format_parts(parts: dict) -> str:
    """The band's two parts, in words."""
    return (
        f"  band width: salaries within the market spread by {parts['within_sd']:.3f} (log sd); the median is "
        f"known to {parts['median_sd_low']:.3f} below / {parts['median_sd_high']:.3f} above (log sd, with "
        f"{parts['aging_sd']:.3f} in quadrature from aging to the estimate's date), "
        f"{parts['median_share']:.0%} of the band's variance"
    )


def format_explanation(table) -> str:
    """The explain() table as aligned text."""
    shown = table[
        [
            "id",
            "site",
            "publisher",
            "statistic",
            "level",
            "company",
            "reported",
            "reported_high",
            "model",
            "model_high",
            "relative_difference",
            "relative_difference_high",
        ]
    ].copy()
    shown["company"] = shown["company"].fillna("-")
    for column in ("id", "site", "publisher", "statistic", "level", "company"):  # names from files, printed safely
        shown[column] = shown[column].map(lambda value: value if value is None else one_line(value))
    # A range shows both ends.
    text_columns(
        shown,
        amounts=("reported", "reported_high", "model", "model_high"),
        changes=("relative_difference", "relative_difference_high"),
    )
    shown = shown.rename(columns={"relative_difference": "difference", "relative_difference_high": "difference_high"})
    return shown.to_string(index=False)


def format_known(known: list[dict]) -> str:
    """What a model knows, one country per line."""
    lines = []
    for item in known:
        employers = ", ".join(one_line(name) for name in item["employers"]) or "none"
        line = f"{item['country']} ({one_line(item['name'])}, {item['currency']}): employers {employers}"
        if item.get("populations"):
            line += "; populations " + ", ".join(one_line(name) for name in item["populations"])
        lines.append(line)
    return "\n".join(lines)


class _Parser(argparse.ArgumentParser):
    """argparse whose errors are JSON too when ``--json`` was given."""

    json_errors = False

    def error(self, message: str):  # noqa: D401 - argparse's hook
        if self.json_errors:
            print(json.dumps({"error": f"{self.prog}: {message}", "type": "ArgumentError"}))
            raise SystemExit(2)
        super().error(message)


def build_parser() -> _Parser:
    parser = _Parser(
        prog=prog("python -m salarymodel predict"),
        description="Estimate an ML engineer's annual base salary with a confidence band.",
        epilog="Examples:\n  python -m salarymodel predict --country Germany --years 5\n"
        "  python -m salarymodel predict --country India --years 3 --company TCS --json\n"
        "  python -m salarymodel predict --country US --years 1 --explain\n"
        "  python -m salarymodel predict --country Germany --years 5 --salary 70000\n"
        "  python -m salarymodel predict --input profiles.csv --output estimates.csv\n\n"
        "Batch mode keeps every input column and adds low, median, high, currency, company_known,\n"
        "support, as_of, projected and error; with a salary column, percentile and compa_ratio; with\n"
        "--percentiles, p10, p25, ...; with --explain, sources (figure ids joined by ;). '--output -' is\n"
        "standard output. Bad rows are reported on stderr with their CSV line numbers and left\n"
        "empty in the output; the exit code is then 3 (0 when every row was scored).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--country", help="country name or ISO code, e.g. Germany, DE, USA, india")
    parser.add_argument("--years", type=_years, help="years of experience, 0 to 50, or a range such as 3-5")
    parser.add_argument("--company", default=None, help="employer (optional); unknown ones give the market estimate")
    parser.add_argument("--confidence", type=_confidence, default=0.8, help="band coverage: 0.8, 80 or 80%% (default 80%%)")
    parser.add_argument("--currency", default=None, help="ISO currency code (default: the country's own)")
    parser.add_argument(
        "--population",
        default=None,
        metavar="NAME",
        help="answer as this population sees the market: a source of records the model was trained with "
        "(train --records; --list shows them); default: the market",
    )
    parser.add_argument(
        "--as-of",
        default=None,
        metavar="DATE",
        help="date whose money to use, YYYY-MM-DD or YYYY-MM (default: today, clamped to the model's wage indices and ECB rates)",
    )
    parser.add_argument(
        "--aging-rate",
        type=float,
        default=None,
        metavar="RATE",
        help="annual wage movement past the last published wage index, e.g. 0.04 (default: the last published movement)",
    )
    parser.add_argument(
        "--salary",
        type=_amount,
        default=None,
        metavar="AMOUNT",
        help="also say where this annual base salary stands: its percentile among ML engineers "
        "like this (in --currency, default the country's); 70000, 70,000, 70k or 14.5 lakh",
    )
    parser.add_argument(
        "--json", action="store_true", help='print a JSON object instead of a sentence (errors too: {"error": ...})'
    )
    parser.add_argument("--list", action="store_true", help="list the countries and employers the model knows, then exit")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="also show the band's two parts and the reported figures behind the estimate, beside the model's values",
    )
    parser.add_argument(
        "--percentiles",
        default=None,
        metavar="Q,Q,...",
        nargs="?",
        const="10,25,50,75,90",
        help="also show these percentiles of base salary (default when given alone: "
        "10,25,50,75,90; p10 and p90 are the 80%% band's ends)",
    )
    parser.add_argument(
        "--input", type=Path, default=None, help="CSV of profiles with columns country, years[, company] (batch mode)"
    )
    parser.add_argument(
        "--output", type=Path, default=None, help="CSV to write the estimates to, or - for standard output (batch mode)"
    )
    parser.add_argument(
        "--chunk-size",
        type=_positive_int,
        default=100_000,
        help="rows scored at a time, a positive whole number (batch mode; memory stays bounded whatever the file's size)",
    )
    parser.add_argument(
        "--model",
        type=Path,
        default=None,
        help="model folder from 'python -m salarymodel.train --out DIR' (default, as for "
        "predict() in Python: $SALARYMODEL_MODEL_DIR, else ./models if it holds a model, else "
        "the model shipped in the package)",
    )
    return parser


def load_for_cli(path: Path | None):
    """The model a command works on: ``path``, else the one rule of
    :func:`salarymodel.serving.model_io.paths.default_model_dir` (as ``predict()``)."""
    from ..api import default_model, load_model

    return load_model(path) if path is not None else default_model()


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    parser = build_parser()
    parser.json_errors = "--json" in (sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if args.list:
        try:
            known = load_for_cli(args.model).known()
        except (ValueError, ModelIntegrityError, ModelVersionError) as error:
            return _fail(error, args.json)
        print(json.dumps(known) if args.json else format_known(known))
        return 0
    if args.input is not None or args.output is not None:
        if args.input is None or args.output is None:
            parser.error("batch mode needs both --input and --output")
        return _batch(args)
    if args.country is None or args.years is None:
        parser.error("--country and --years are required (or --input and --output for a CSV)")
    try:
        model = load_for_cli(args.model)
        # Every answer below is the population's, when one is named (refused here if unknown).
        answering = model.core if args.population is None else model.core.population_view(args.population, args.country)
        estimate = answering.predict(
            args.country,
            args.years,
            args.company,
            confidence=args.confidence,
            currency=args.currency,
            as_of=args.as_of,
            aging_rate=args.aging_rate,
        )
        standing = None
        if args.salary is not None:
            standing = model.rank(
                args.country,
                args.years,
                args.salary,
                args.company,
                currency=args.currency,
                as_of=args.as_of,
                aging_rate=args.aging_rate,
                population=args.population,
            )
        percentiles = None
        if args.percentiles is not None:
            percentiles = salary_percentiles(
                answering,
                args.country,
                args.years,
                args.company,
                q=_percentile_list(args.percentiles),
                currency=args.currency,
                as_of=args.as_of,
                aging_rate=args.aging_rate,
            )
    except (ValueError, TypeError, ModelIntegrityError, ModelVersionError) as error:
        return _fail(error, args.json)
    explanation = None
    if args.explain:  # the figures behind the estimate, in its money
        explanation = model.explain(
            args.country,
            args.years,
            args.company,
            currency=args.currency,
            as_of=estimate.as_of,
            aging_rate=args.aging_rate,
            population=args.population,
        )
    if args.json:
        data = estimate.to_dict()
        data["model"] = str(model.folder) if model.folder is not None else None
        if percentiles is not None:
            data["percentiles"] = {f"p{q:g}": v for q, v in percentiles.items()}
        if standing is not None:
            data["rank"] = {**standing.to_dict(), "sentence": standing.sentence()}
        if explanation is not None:
            data["band_parts"] = band_parts(
                answering, args.country, args.years, args.company, as_of=args.as_of, aging_rate=args.aging_rate
            )
            data["explanation"] = json.loads(explanation.to_json(orient="records"))
        print(json.dumps(data))
        return 0
    print(format_estimate(estimate, answering.country_label(estimate.country)))
    if standing is not None:
        print(f"  {standing.sentence()}")
    if percentiles is not None:
        print(format_percentiles(percentiles, estimate.currency))
    if explanation is not None:
        print(
            format_parts(
                band_parts(answering, args.country, args.years, args.company, as_of=args.as_of, aging_rate=args.aging_rate)
            )
        )
        print()
        print(format_explanation(explanation))
    return 0


def _years(text: str) -> float | tuple[float, float]:
    """argparse type: '5' -> 5.0; '3-5' -> (3.0, 5.0), a range of experience."""
    from ..serving.year_ranges import parse_years_text

    try:
        return parse_years_text(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be years of experience such as 5 or a range such as 3-5; got {text!r}") from None


def _amount(text: str) -> float:
    """argparse type: an amount as people write it (:func:`salarymodel.data.amounts.parse_amount`)."""
    from ..data.amounts import AmountError, parse_amount

    try:
        return parse_amount(text)
    except AmountError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _confidence(text: str) -> float:
    """argparse type: 0.8, 80 or 80% (:func:`salarymodel.data.amounts.parse_confidence`)."""
    from ..data.amounts import AmountError, parse_confidence

    try:
        return parse_confidence(text)
    except AmountError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _positive_int(text: str) -> int:
    """argparse type: a positive whole number."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number of rows; got {text!r}")
    return value


def _percentile_list(text: str) -> tuple[float, ...]:
    """'10,50,90' -> (10.0, 50.0, 90.0), or a ValueError naming the option."""
    try:
        return tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ValueError(
            f"The '--percentiles' option takes numbers separated by commas (e.g. 10,50,90). Got {text!r} instead."
        ) from None


def _fail(error: Exception, as_json: bool) -> int:
    """Report an error (as JSON on stdout with --json) and return exit code 2; an error
    about a parameter names the option that sets it."""
    if as_json:
        print(json.dumps({"error": str(error), "type": type(error).__name__, "option": option_for(error)}))
    else:
        print(f"error: {with_option(error)}", file=sys.stderr)
    return 2


def _progress(path: Path):
    """A progress bar on a terminal (sized by the file's lines), nothing otherwise."""
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    with open(path, "rb") as stream:
        total = max(sum(1 for _ in stream) - 1, 0)
    return tqdm(total=total, unit="rows", unit_scale=True, file=sys.stderr)


def _batch(args) -> int:
    """Score a CSV in chunks; report bad rows by line number, keep the good ones."""
    from ._batch import score_csv

    try:
        model = load_for_cli(args.model)
        progress = _progress(args.input)
        percentiles = _percentile_list(args.percentiles) if args.percentiles is not None else None
        rows, bad = score_csv(
            model,
            args.input,
            args.output,
            chunk_size=args.chunk_size,
            progress=progress,
            percentiles=percentiles,
            sources=args.explain,
            confidence=args.confidence,
            currency=args.currency,
            as_of=args.as_of,
            aging_rate=args.aging_rate,
            population=args.population,
        )
        if progress is not None:
            progress.close()
    except BrokenPipeError:
        raise  # a reader that closed the pipe (| head): the command ends quietly (cli.prog)
    except (ValueError, TypeError, OSError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    where = "standard output" if str(args.output) == "-" else args.output
    print(
        f"Scored {rows - bad:,} of {rows:,} rows into {where}" + (f"; {bad:,} bad rows listed above." if bad else "."),
        file=sys.stderr,
    )
    return 3 if bad else 0
