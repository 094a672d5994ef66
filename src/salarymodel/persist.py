"""Saving and loading model artifacts: audit first, unpickle second.

A model folder holds ``salary_model.joblib`` and its card
``salary_model.json``. The card records the format version, the library
versions and the artifact's SHA-256. :func:`load_artifact` checks all three
*before* the pickle is opened, and unpickles exactly the bytes it hashed.
Joblib files are pickles: loading one can run code, so only load files that
this package wrote or that come from a source you trust.

Every file is written to a temporary file in the target folder and renamed
into place when complete, so a failed or killed run never leaves a partial
file behind. The artifact is renamed before its card: in the instant between
the two, the pair disagrees and loading refuses it rather than trust it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import joblib
import sklearn

from ._errors import ModelIntegrityError, ModelVersionError
from ._paths import CARD_FILE, CARD_MARKDOWN_FILE, MODEL_FILE

__all__ = ["FORMAT_VERSION", "write_atomic", "save_artifact", "load_artifact", "read_card", "model_paths"]

# Bump when the pickled object's layout changes; older files are then refused.
# 2: CellDistribution.slopes renamed tail_slopes.
# 3: source effects: TrainingPlan curves/effects/weights, band scale and scores.
# 4: money over time: MoneyTable (wage indices, monthly ECB rates); MoneyBasis.aging_used.
FORMAT_VERSION = 4


def write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` on a temporary sibling of ``path``, then rename it.

    The temporary file is removed if ``write`` fails, so ``path`` is either
    the old file or the complete new one, never a partial one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; artifacts are meant to be shared
        with open(tmp, "rb") as stream:
            os.fsync(stream.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def model_paths(path: str | os.PathLike) -> tuple[Path, Path]:
    """Artifact and card paths for a model folder or a ``.joblib`` file."""
    path = Path(path)
    if path.suffix == ".joblib":
        return path, path.with_name(CARD_FILE if path.name == MODEL_FILE else path.stem + ".json")
    return path / MODEL_FILE, path / CARD_FILE


def save_artifact(obj: object, out_dir: str | os.PathLike, card: dict, card_markdown: str) -> dict:
    """Write ``obj`` with its JSON and Markdown cards into ``out_dir``.

    Returns
    -------
    dict
        The card as written, with ``artifact.sha256`` filled in.
    """
    artifact, card_path = model_paths(out_dir)
    buffer = io.BytesIO()
    joblib.dump(obj, buffer, compress=3)
    data = buffer.getvalue()
    card = {**card, "format_version": FORMAT_VERSION,
            "artifact": {"file": artifact.name, "sha256": _sha256(data), "bytes": len(data)}}
    write_atomic(artifact, lambda tmp: tmp.write_bytes(data))
    write_atomic(card_path.with_name(CARD_MARKDOWN_FILE), lambda tmp: tmp.write_text(card_markdown, encoding="utf-8"))
    write_atomic(card_path, lambda tmp: tmp.write_text(json.dumps(card, indent=2, default=str), encoding="utf-8"))
    return card


def read_card(path: str | os.PathLike) -> dict:
    """Read and parse a model card, or raise :class:`ModelIntegrityError`."""
    _, card_path = model_paths(path)
    try:
        return json.loads(card_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelIntegrityError(
            f"No model card at {card_path}: a model is only loaded next to the card that vouches for "
            "it. Retrain with 'python -m salarymodel.train --out DIR'."
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ModelIntegrityError(f"The model card {card_path} is not valid JSON ({error}). Retrain, "
                                  "or get the model folder again from a trusted place.") from None


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def load_artifact(path: str | os.PathLike) -> tuple[object, dict]:
    """Audit then load an artifact; return the object and its card.

    Raises
    ------
    ModelIntegrityError
        Missing or unreadable card, missing artifact, or a SHA-256 that
        differs from the card's (a tampered or truncated file).
    ModelVersionError
        A different format version or scikit-learn minor version.
    """
    artifact, card_path = model_paths(path)
    card = read_card(path)
    if card.get("format_version") != FORMAT_VERSION:
        raise ModelVersionError(
            f"{artifact} has model format {card.get('format_version')!r}; this salarymodel reads format "
            f"{FORMAT_VERSION}. Retrain with 'python -m salarymodel.train --out {artifact.parent}'."
        )
    trained_with = str(card.get("libraries", {}).get("scikit-learn", "unknown"))
    if _minor(trained_with) != _minor(sklearn.__version__):
        raise ModelVersionError(
            f"{artifact} was trained with scikit-learn {trained_with}, but {sklearn.__version__} is "
            f"installed. Retrain with 'python -m salarymodel.train --out {artifact.parent}' (seconds), "
            f"or install scikit-learn=={trained_with}."
        )
    try:
        data = artifact.read_bytes()
    except FileNotFoundError:
        raise ModelIntegrityError(f"No model file at {artifact}. Retrain with "
                                  f"'python -m salarymodel.train --out {artifact.parent}'.") from None
    expected = card.get("artifact", {}).get("sha256")
    actual = _sha256(data)
    if actual != expected:
        raise ModelIntegrityError(
            f"{artifact} does not match its model card (SHA-256 {actual[:12]}... but the card says "
            f"{str(expected)[:12]}...): it was changed or damaged after training, so it is not opened. "
            f"Retrain with 'python -m salarymodel.train --out {artifact.parent}', or download the model "
            "folder again from a trusted place."
        )
    return joblib.load(io.BytesIO(data)), card
