"""The training side of a model: what evaluation needs beyond the serving tables.

A trained model carries its :class:`TrainingState` (the fitted regression,
the run's normalised figures and the posterior draws) in memory; a model
folder keeps it in its training file, a joblib pickle. Only this module
writes and reads that file: serving never imports it, so predicting never
unpickles anything and never imports scikit-learn.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from ..errors import ModelIntegrityError, ModelVersionError
from ..serving.model import SalaryModel
from ..serving.model_io.folder import model_file, read_card, read_checked, retrain, save_model

__all__ = ["TrainingState", "training_state", "save_trained_model"]


class TrainingState:
    """The training side of a model: the fitted estimator, the run's normalised
    figures and the measurement model's posterior the engineers were drawn from."""

    __slots__ = ("estimator", "training_data", "posterior")

    def __init__(self, estimator, training_data, posterior) -> None:
        self.estimator = estimator
        self.training_data = training_data
        self.posterior = posterior


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def _load(folder: Path) -> TrainingState:
    """A model folder's training file, after its checks.

    The file is a pickle, and unpickling can run code: it is opened only when
    it is a regular file of the card's size and SHA-256.

    Raises
    ------
    ModelIntegrityError
        No training file, or one that does not match the card.
    ModelVersionError
        Written with another scikit-learn minor version, or by an older release.
    """
    import joblib
    import sklearn

    card = read_card(folder)
    path = model_file(card, "training", folder)[0]
    if not path.exists():
        raise ModelIntegrityError(
            f"{folder} has no training file ({path.name}): predictions work, but evaluation needs the "
            f"fitted estimator. {retrain(folder)}"
        )
    trained_with = str(card["training_artifact"].get("scikit-learn", "unknown"))
    if _minor(trained_with) != _minor(sklearn.__version__):
        raise ModelVersionError(
            f"{path} was written with scikit-learn {trained_with}, but {sklearn.__version__} is installed. "
            f"{retrain(folder)[:-1]} (seconds), or install "
            f"scikit-learn=={trained_with}. Predictions are not affected."
        )
    checked = read_checked(card, "training", folder)
    try:
        state = joblib.load(io.BytesIO(checked))
    except (ModuleNotFoundError, AttributeError):  # a class an older release pickled is gone
        state = None
    if not isinstance(state, dict) or state.get("posterior") is None or "training_data" not in state:
        # An older release's training side (its moment model had no posterior, and its
        # figures travelled as a plan): its serving tables still load and answer.
        raise ModelVersionError(
            f"{path} holds an older release's training side, which evaluation no longer reads. "
            f"{retrain(folder)[:-1]}. Predictions are not affected."
        )
    return TrainingState(state["estimator"], state["training_data"], state["posterior"])


def training_state(model: SalaryModel) -> TrainingState:
    """The training side of ``model``: the one it was trained with, or its folder's
    training file (read once, then kept on the model).

    Raises
    ------
    ModelIntegrityError, ModelVersionError
        As the folder's training file is missing, damaged or an older release's.
    RuntimeError
        The model has only its serving tables and no folder to read from.
    """
    if model.training is None:
        if model.folder is None:
            raise RuntimeError(
                "This model has only its serving tables (it was unpickled, or built without the "
                "training side): evaluation needs the model folder's training file. Load the "
                "folder with salarymodel.load_model(DIR)."
            )
        model.training = _load(Path(model.folder))
    state = model.training
    if not isinstance(state, TrainingState):
        raise TypeError(f"A model's training side is a TrainingState; got {type(state).__name__}.")
    return state


def _training_bytes(state: TrainingState) -> bytes:
    import joblib

    buffer = io.BytesIO()
    # The posterior's draws (numpy arrays, no NumPyro) travel with it, so evaluation of a
    # saved model draws its held-out engineers from the same posterior.
    joblib.dump(
        {"estimator": state.estimator, "training_data": state.training_data, "posterior": state.posterior}, buffer, compress=3
    )
    return buffer.getvalue()


def save_trained_model(
    model: SalaryModel, out_dir: str | os.PathLike, card: dict, card_markdown: str, training_set: bytes | None = None
) -> dict:
    """Write a trained model's version into ``out_dir``, with its training file
    (see :func:`salarymodel.serving.model_io.folder.save_model`).

    Returns
    -------
    dict
        The card as written.
    """
    import sklearn

    training = (_training_bytes(training_state(model)), {"scikit-learn": sklearn.__version__})
    return save_model(model.tables, model.meta, out_dir, card, card_markdown, training=training, training_set=training_set)
