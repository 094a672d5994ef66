"""Saving and loading model folders: data for serving, a pickle only for training.

A model folder holds

- ``salary_model.npz``: everything serving needs, as plain numpy arrays and
  one JSON document (stored as bytes). It is read with
  ``allow_pickle=False``: loading it never runs code and never imports
  scikit-learn, scipy or pandas.
- ``salary_model_training.joblib`` (optional): the fitted scikit-learn
  estimator and the training plan, for evaluation and retraining. It is a
  pickle, opened only when evaluation asks for it, after its own checks.
- ``salary_model.json`` / ``.md``: the model card, with the format version
  and the SHA-256 of both files.

:func:`load_model_folder` checks the card's format version and the data
file's hash *before* parsing it. Every file is written to a temporary file
in the target folder and renamed into place when complete, the card last,
so a failed or killed run never leaves a partial file behind; in the
instant between two renames the card disagrees with a file and loading
refuses it rather than trust it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import ModelIntegrityError, ModelVersionError
from .paths import CARD_FILE, CARD_MARKDOWN_FILE, MODEL_FILE, TRAINING_FILE

__all__ = ["FORMAT_VERSION", "write_atomic", "save_model", "load_model_folder", "load_training", "read_card",
           "model_paths"]

# Bump when the model file's layout changes; older files are then refused.
# 2: CellDistribution.slopes renamed tail_slopes.
# 3: source effects: TrainingPlan curves/effects/weights, band scale and scores.
# 4: money over time: MoneyTable (wage indices, monthly ECB rates); MoneyBasis.aging_used.
# 5: data-only serving file (.npz + JSON); estimator and plan in an optional training file.
# 6: country labels (for suggestions and listings) in the serving file.
# 7: modules moved into stage subpackages: the training file's class paths changed.
# 8: one predictive distribution: shapes, ratio_low/high and within scale; no calibration scores.
FORMAT_VERSION = 8
# The JSON document inside the .npz, as uint8 bytes.
_META_KEY = "meta_json"


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
    """Data file and card paths for a model folder or its ``.npz`` file."""
    path = Path(path)
    if path.suffix == ".npz":
        return path, path.with_name(CARD_FILE if path.name == MODEL_FILE else path.stem + ".json")
    return path / MODEL_FILE, path / CARD_FILE


def _serving_bytes(model) -> bytes:
    tables = dict(model.tables)
    meta = json.dumps(model.meta, separators=(",", ":")).encode("utf-8")
    tables[_META_KEY] = np.frombuffer(meta, dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **tables)  # uncompressed: loading is a memory copy
    return buffer.getvalue()


def _training_bytes(model) -> bytes:
    import joblib

    buffer = io.BytesIO()
    joblib.dump({"estimator": model.estimator, "plan": model.plan}, buffer, compress=3)
    return buffer.getvalue()


def save_model(model, out_dir: str | os.PathLike, card: dict, card_markdown: str) -> dict:
    """Write a model's data file, training file and cards into ``out_dir``.

    Both files are built in memory first, so nothing is written when that
    fails. Returns the card as written (format version and hashes filled in).
    """
    import sklearn

    data_path, card_path = model_paths(out_dir)
    training_path = data_path.with_name(TRAINING_FILE)
    data, training = _serving_bytes(model), _training_bytes(model)
    card = {**card, "format_version": FORMAT_VERSION,
            "artifact": {"file": data_path.name, "sha256": _sha256(data), "bytes": len(data)},
            "training_artifact": {"file": training_path.name, "sha256": _sha256(training), "bytes": len(training),
                                  "scikit-learn": sklearn.__version__}}
    write_atomic(training_path, lambda tmp: tmp.write_bytes(training))
    write_atomic(data_path, lambda tmp: tmp.write_bytes(data))
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


def _checked_bytes(path: Path, expected: object, folder: Path) -> bytes:
    """The file's bytes if their SHA-256 is the card's, else a precise error."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ModelIntegrityError(f"No model file at {path}. Retrain with "
                                  f"'python -m salarymodel.train --out {folder}'.") from None
    actual = _sha256(data)
    if actual != expected:
        raise ModelIntegrityError(
            f"{path} does not match its model card (SHA-256 {actual[:12]}... but the card says "
            f"{str(expected)[:12]}...): it was changed or damaged after training, so it is not opened. "
            f"Retrain with 'python -m salarymodel.train --out {folder}', or download the model "
            "folder again from a trusted place."
        )
    return data


def _read_arrays(data: bytes, path: Path) -> tuple[dict[str, np.ndarray], dict]:
    """Arrays and JSON of a data file; anything holding pickled data is refused unread."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            tables = {name: archive[name] for name in archive.files}
        meta = json.loads(tables.pop(_META_KEY).tobytes().decode("utf-8"))
    except (ValueError, KeyError, OSError, zipfile.BadZipFile, UnicodeDecodeError) as error:
        raise ModelIntegrityError(
            f"{path} is not a salarymodel data file ({type(error).__name__}: {error}); it may hold pickled "
            "objects, which are never opened. Retrain with 'python -m salarymodel.train --out DIR'.") from None
    return tables, meta


def load_model_folder(path: str | os.PathLike):
    """Audit then load a model folder's serving tables.

    The training side is attached as a loader: :func:`load_training` runs
    only if ``model.estimator`` or ``model.plan`` is used (evaluation).

    Raises
    ------
    ModelIntegrityError
        Missing or unreadable card, missing data file, a SHA-256 that differs
        from the card's (a tampered or truncated file), or a file that is not
        plain arrays.
    ModelVersionError
        A different format version.
    """
    from .model import SalaryModel

    data_path, _ = model_paths(path)
    card = read_card(path)
    if card.get("format_version") != FORMAT_VERSION:
        raise ModelVersionError(
            f"{data_path.parent} has model format {card.get('format_version')!r}; this salarymodel reads format "
            f"{FORMAT_VERSION}. Retrain with 'python -m salarymodel.train --out {data_path.parent}'."
        )
    data = _checked_bytes(data_path, card.get("artifact", {}).get("sha256"), data_path.parent)
    tables, meta = _read_arrays(data, data_path)
    try:
        return SalaryModel(tables, meta, training=lambda: load_training(data_path.parent, card))
    except (KeyError, TypeError, ValueError, IndexError) as error:
        raise ModelIntegrityError(f"{data_path} does not hold a complete salarymodel ({type(error).__name__}: "
                                  f"{error}). Retrain with 'python -m salarymodel.train --out DIR'.") from None


def load_training(folder: str | os.PathLike, card: dict | None = None):
    """The training side of a model folder (estimator and plan), after its checks.

    This file is a pickle, and unpickling can run code: it is opened only
    when its SHA-256 matches the card and only by evaluation, never by
    prediction.

    Raises
    ------
    ModelIntegrityError
        No training file, or one that does not match the card.
    ModelVersionError
        Written with another scikit-learn minor version.
    """
    import joblib
    import sklearn

    from .model import TrainingState

    folder = Path(folder)
    card = read_card(folder) if card is None else card
    entry = card.get("training_artifact") or {}
    path = folder / TRAINING_FILE
    if not path.exists():
        raise ModelIntegrityError(
            f"{folder} has no training file ({TRAINING_FILE}): predictions work, but evaluation needs the "
            f"fitted estimator. Retrain with 'python -m salarymodel.train --out {folder}'.")
    trained_with = str(entry.get("scikit-learn", "unknown"))
    if _minor(trained_with) != _minor(sklearn.__version__):
        raise ModelVersionError(
            f"{path} was written with scikit-learn {trained_with}, but {sklearn.__version__} is installed. "
            f"Retrain with 'python -m salarymodel.train --out {folder}' (seconds), or install "
            f"scikit-learn=={trained_with}. Predictions are not affected.")
    state = joblib.load(io.BytesIO(_checked_bytes(path, entry.get("sha256"), folder)))
    return TrainingState(state["estimator"], state["plan"])
