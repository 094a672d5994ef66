"""Posteriors kept for reuse: the same figures, seed and sampler settings give
the same draws, so a second training of them need not sample again.

Two levels: this process's memory (a notebook or a test session that trains
the same figures several times), and a folder named by the environment
variable :data:`CACHE_VARIABLE`, if set (shared by processes, e.g. every
command a test suite starts). The key is a SHA-256 of every array the model
reads, the seed, the settings and the library versions, so a changed
figure, prior input or NumPyro release never reuses a stale fit. Files hold
numeric arrays only (``.npz`` read without pickle) and the diagnostics as
JSON; an unreadable or mismatched file is ignored and replaced.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from dataclasses import asdict
from importlib import metadata
from pathlib import Path

import numpy as np

from .measurement import MeasurementData
from .posterior import Diagnostics, Posterior, SamplerSettings, fit_posterior

__all__ = ["CACHE_VARIABLE", "cached_posterior", "posterior_key"]

CACHE_VARIABLE = "SALARYMODEL_POSTERIOR_CACHE"
_MEMORY: dict[str, Posterior] = {}
_MEMORY_LIMIT = 8  # posteriors of about 2 MB each


def posterior_key(data: MeasurementData, seed: int, settings: SamplerSettings) -> str:
    """A hex digest naming one fit: the model's arrays, names, seed, settings and versions."""
    digest = hashlib.sha256()
    for name, value in sorted(data.arrays().items()):
        array = np.ascontiguousarray(value)
        digest.update(f"{name}:{array.dtype.str}:{array.shape}".encode())
        digest.update(array.tobytes())
    names = [data.countries, data.units, data.employers, data.ids, data.statistics]
    versions = {lib: _version(lib) for lib in ("salarymodel", "numpyro", "jax", "jaxlib")}
    digest.update(json.dumps([names, int(seed), asdict(settings), versions], default=list).encode())
    return digest.hexdigest()


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "none"


def _folder() -> Path | None:
    value = os.environ.get(CACHE_VARIABLE, "").strip()
    return Path(value) if value else None


def _read(path: Path, data: MeasurementData, seed: int, settings: SamplerSettings) -> Posterior | None:
    try:
        with np.load(path / "draws.npz", allow_pickle=False) as arrays:
            draws = {name: np.array(arrays[name]) for name in arrays.files}
        diagnostics = Diagnostics(**json.loads((path / "diagnostics.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, KeyError, EOFError, zipfile.BadZipFile):  # a damaged file: sample again
        return None
    if "level" not in draws or draws["level"].shape[1:] != (len(data.countries),):
        return None
    return Posterior(data, draws, diagnostics, settings, seed)


def _write(path: Path, posterior: Posterior) -> None:
    """Write into a fresh folder beside ``path``, then rename it into place (a reader
    sees a whole fit or none; a concurrent writer of the same key loses harmlessly)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}-", dir=path.parent))
    try:
        np.savez(staging / "draws.npz", **posterior.draws)  # type: ignore[arg-type]  # numpy's stub types **kwds too narrowly
        (staging / "diagnostics.json").write_text(json.dumps(asdict(posterior.diagnostics)), encoding="utf-8")
        os.replace(staging, path)
    except OSError:
        for item in staging.glob("*"):
            item.unlink(missing_ok=True)
        staging.rmdir()


def cached_posterior(data: MeasurementData, *, seed: int = 0, settings: SamplerSettings | None = None) -> Posterior:
    """:func:`~salarymodel.training.posterior.fit_posterior`, reused when the same fit was made before.

    Parameters
    ----------
    data : MeasurementData
    seed : int, default=0
    settings : SamplerSettings, default=None

    Returns
    -------
    Posterior
        The same draws as a new fit would give (the key covers everything they depend on).
    """
    settings = settings or SamplerSettings()
    key = posterior_key(data, seed, settings)
    if key in _MEMORY:
        return _MEMORY[key]
    folder = _folder()
    posterior = _read(folder / key, data, seed, settings) if folder is not None else None
    if posterior is None:
        posterior = fit_posterior(data, seed=seed, settings=settings)
        if folder is not None:
            try:
                _write(folder / key, posterior)
            except OSError:  # an unwritable cache costs time, never the run
                pass
    if len(_MEMORY) >= _MEMORY_LIMIT:
        _MEMORY.pop(next(iter(_MEMORY)))
    _MEMORY[key] = posterior
    return posterior
