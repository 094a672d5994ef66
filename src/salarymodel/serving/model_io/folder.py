"""Saving and loading model folders: one version at a time, switched by its card.

A model folder holds one model version, named by its model card:

- ``salary_model.json`` / ``.md``: the model card, with the format version,
  the name, size and SHA-256 of each file below. **Renaming the card into
  place is the one switch between versions.**
- ``salary_model-<id>.npz``: everything serving needs, as plain numpy arrays
  and one JSON document (stored as bytes). It is read with
  ``allow_pickle=False``: loading it never runs code and never imports
  scikit-learn, scipy or pandas.
- ``salary_model_training-<id>.joblib``: the training side (fitted regressions,
  the run's normalised figures, its posterior draws) for evaluation, written
  and read by :mod:`salarymodel.training.state_file`; this package only
  names it, sizes it and hashes it.
- ``training_set-<id>.csv``: a sample of the synthetic engineers the model learnt from.

``<id>`` is the first 12 hex digits of the data file's SHA-256. Saving writes
the new version's files beside the old one (new names, so nothing the old
card names is touched), then renames the new card over the old: at every
instant the folder holds a loadable model, the old one or the new one, with
its own training set; a failed or killed run leaves the old one as it was.
The old version's files are removed only after the switch.

:func:`load_model_folder` audits before it trusts or allocates
(:mod:`._audit`): regular files only, sizes and hashes against the card,
array headers against their members, then every table and field of the
JSON document against its declared type (:mod:`.records`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...errors import ModelIntegrityError, ModelSwitchedError, ModelTooLargeError, ModelVersionError, ParameterError
from ._audit import MAX_CARD_BYTES, MAX_DATA_BYTES, audit_archive, load_json, read_regular
from ._protocol import FORMAT_VERSION, OLDER_READERS, readable_formats
from .paths import CARD_FILE, CARD_MARKDOWN_FILE, TRAINING_SET_FILE
from .records import META_MEMBER, FieldError, ModelMeta, ServingTables, member_names, serving_bytes

if TYPE_CHECKING:
    from ..model import SalaryModel

__all__ = [
    "FORMAT_VERSION",
    "write_atomic",
    "save_model",
    "load_model_folder",
    "read_checked",
    "read_card",
    "model_paths",
    "check_model_folder",
    "model_file",
    "retrain",
    "training_set_file",
    "TRAINING_SET_FILE",
]

# Files of one model version: kind -> (card entry, name prefix, suffix).
_KINDS = {
    "data": ("artifact", "salary_model-", ".npz"),
    "training": ("training_artifact", "salary_model_training-", ".joblib"),
    "training_set": ("training_set", "training_set-", ".csv"),
}
_VERSIONED = re.compile(r"^(salary_model|salary_model_training|training_set)-[0-9a-f]{12}\.(npz|joblib|csv)$")
# Files older formats wrote under fixed names; a new version replaces them.
_LEGACY = ("salary_model.npz", "salary_model_training.joblib")
_FILE_SUFFIXES = (".npz", ".json", ".joblib", ".csv", ".md", ".txt")
# A write's temporary sibling (write_atomic): '.<name>.<random>.tmp'. Under the folder's
# lock, any such file of ours is a killed run's leftover.
_LEFTOVER = re.compile(
    r"^\.(salary_model|salary_model_training|training_set)(-[0-9a-f]{12})?\.(npz|joblib|csv|json|md)"
    r"\.[A-Za-z0-9_]+\.tmp$"
)


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


def retrain(folder: object) -> str:
    """The fix most model-folder errors name: the command that writes a good folder there."""
    return f"Retrain with 'python -m salarymodel.train --out {folder}'."


def model_paths(path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Folder and card path for a model folder or a file inside it."""
    path = Path(path)
    folder = path.parent if path.suffix.lower() in _FILE_SUFFIXES and not path.is_dir() else path
    return folder, folder / CARD_FILE


def check_model_folder(out: str | os.PathLike[str], *, parameter: str = "out") -> Path:
    """Refuse a model folder that cannot be one, before any work is done.

    Parameters
    ----------
    out : path-like
        The folder a model is to be written to.
    parameter : str, default='out'
        The caller's parameter that names it (``train``'s ``out`` or
        ``data_out``); the error carries it, and the command line names
        its option from it.

    Raises
    ------
    ParameterError
        ``out`` names a file (existing, or a name like ``model.npz``), or the
        folder (or the nearest existing folder above it) is not writable.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ParameterError(
            parameter,
            f"The '{parameter}' parameter names a model folder, but {out} exists and is "
            "not a folder. Give a folder (new or holding a model), e.g. 'my_model'.",
        )
    if not out.exists() and out.suffix.lower() in _FILE_SUFFIXES:
        raise ParameterError(
            parameter,
            f"The '{parameter}' parameter names a model folder, not a file: got {out}. "
            f"Give a folder, e.g. '{out.with_suffix('')}'; the model's files are "
            "written inside it.",
        )
    existing = out
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ParameterError(
            parameter,
            f"The '{parameter}' parameter names {out}, but {existing} is not writable. "
            "Choose another folder, or make it writable.",
        )
    return out


def _write_new(path: Path, data: bytes) -> None:
    """A complete file under a name no card points to yet."""
    write_atomic(path, lambda tmp: tmp.write_bytes(data))


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class folder_lock:
    """An exclusive lock on a model folder (``flock`` on the folder itself, so no
    lock file is left in it) while a version is written, switched to and the
    old one removed: two trainings into one folder take turns instead of
    deleting each other's files."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder)

    def __enter__(self) -> folder_lock:
        import fcntl

        self._fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        import fcntl

        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)


def _switch(folder: Path, card: dict[str, Any], contents: dict[str, Any], card_markdown: str) -> None:
    """Under the folder's lock: the new files, the card's rename, the old version
    and any killed run's temporary files removed."""
    names = [card[_KINDS[kind][0]]["file"] for kind in contents]
    fresh = [name for name in names if not (folder / name).exists()]  # the same version may be there already
    try:
        for kind, content in contents.items():
            _write_new(folder / card[_KINDS[kind][0]]["file"], content)
        _fsync_folder(folder)
        text = json.dumps(card, indent=2, default=str)
        write_atomic(folder / CARD_FILE, lambda tmp: tmp.write_text(text, encoding="utf-8"))  # the switch
    except BaseException:  # a full disk, say: the old card still names the old files, so ours go
        for name in fresh:
            (folder / name).unlink(missing_ok=True)
        raise
    _fsync_folder(folder)
    keep = set(names)
    for path in folder.iterdir():
        if (
            (path.name not in keep and (_VERSIONED.match(path.name) or path.name in _LEGACY) or _LEFTOVER.match(path.name))
            and path.is_file()
            and not path.is_symlink()
        ):
            path.unlink(missing_ok=True)
    try:
        write_atomic(folder / CARD_MARKDOWN_FILE, lambda tmp: tmp.write_text(card_markdown, encoding="utf-8"))
    except OSError as error:
        raise ModelSwitchedError(
            error.errno,
            f"the new model ({names[0]}) is in place, but its Markdown "
            f"card {folder / CARD_MARKDOWN_FILE} could not be written ({error.strerror or error}"
            "); free some space and retrain to write it",
        ) from error


def save_model(
    tables: ServingTables,
    meta: ModelMeta,
    out_dir: str | os.PathLike[str],
    card: dict[str, Any],
    card_markdown: str,
    *,
    training: tuple[bytes, dict[str, str]] | None = None,
    training_set: bytes | None = None,
) -> dict[str, Any]:
    """Write a model version into ``out_dir`` and switch to it with one rename.

    Every file is built in memory first, so nothing is written when that
    fails; the new version's files get new names, then the card is renamed
    into place, then the previous version's files are removed.

    Parameters
    ----------
    tables, meta : ServingTables, ModelMeta
        The model's records (``model.tables`` and ``model.meta``).
    out_dir : path-like
        The model folder (checked by :func:`check_model_folder`).
    card, card_markdown
        The model card as data and as Markdown.
    training : (bytes, dict), default=None
        The training side's file and the library versions it needs
        (:mod:`salarymodel.training.state_file` writes and reads it); None
        writes a folder that serves but cannot be evaluated.
    training_set : bytes, default=None
        The training set as CSV, kept in the folder with the model.

    Returns
    -------
    dict
        The card as written (format version, files and hashes filled in).
    """
    folder = check_model_folder(out_dir)
    data = serving_bytes(tables, meta)
    version = _sha256(data)[:12]
    contents = {"data": data}
    if training is not None:
        contents["training"] = training[0]
    if training_set is not None:
        contents["training_set"] = training_set
    card = {**card, "format_version": FORMAT_VERSION}
    for kind, content in contents.items():
        entry, prefix, suffix = _KINDS[kind]
        card[entry] = {"file": f"{prefix}{version}{suffix}", "sha256": _sha256(content), "bytes": len(content)}
    if training is not None:
        card["training_artifact"].update(training[1])
    _check_loadable(folder, card, contents)
    folder.mkdir(parents=True, exist_ok=True)
    with folder_lock(folder):  # one writer at a time: a second run waits here for the first's switch
        _switch(folder, card, contents, card_markdown)
    return card


def _check_loadable(folder: Path, card: dict[str, Any], contents: dict[str, bytes]) -> None:
    """The loader's own limits and audit, applied to the new version before anything is
    written: a model the loader would refuse never replaces one it reads."""
    sizes = {card[_KINDS[kind][0]]["file"]: len(content) for kind, content in contents.items()}
    sizes[CARD_FILE] = len(json.dumps(card, indent=2, default=str).encode("utf-8"))
    limits = {name: MAX_CARD_BYTES if name == CARD_FILE else MAX_DATA_BYTES for name in sizes}
    for name, size in sizes.items():
        if size > limits[name]:
            raise ModelTooLargeError(
                f"The new model's {name} would hold {size:,} bytes, more than the {limits[name]:,} the loader "
                f"reads, so it was not written and {folder} keeps its previous model. Train fewer employers "
                "or records sources, or fewer rows (--rows-per-country)."
            )
    arrays = audit_archive(contents["data"], folder / card[_KINDS["data"][0]]["file"], member_names())
    document = load_json(arrays.pop(META_MEMBER).tobytes(), what="JSON document of", path=folder)
    ServingTables.from_arrays(arrays, ModelMeta.from_json(document))


def read_card(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and parse a model card (a regular file, size- and depth-bounded),
    or raise :class:`ModelIntegrityError`."""
    _, card_path = model_paths(path)
    try:
        data = read_regular(card_path, MAX_CARD_BYTES, what="model card")
    except FileNotFoundError:
        raise ModelIntegrityError(
            f"No model card at {card_path}: a model is only loaded next to the card that vouches for it. {retrain('DIR')}"
        ) from None
    card = load_json(data, what="model card", path=card_path)
    if not isinstance(card, dict):
        raise ModelIntegrityError(
            f"The model card {card_path} must be a JSON object; got {type(card).__name__}. "
            "Retrain, or get the model folder again from a trusted place."
        )
    return card


def model_file(card: dict[str, Any], kind: str, folder: Path) -> tuple[Path, str, int]:
    """Path, SHA-256 and size of one of a version's files, as its card names them.

    Raises
    ------
    ModelIntegrityError
        The card's entry is missing or malformed (a name that is not one of
        ours, with a path in it, say).
    """
    entry_name, prefix, suffix = _KINDS[kind]
    entry = card.get(entry_name)
    card_path = folder / CARD_FILE
    if not isinstance(entry, dict):
        raise ModelIntegrityError(
            f"{card_path}: the field '{entry_name}' must be an object naming a file; got {entry!r}. {retrain(folder)}"
        )
    name, digest, size = entry.get("file"), entry.get("sha256"), entry.get("bytes")
    if not (isinstance(name, str) and _VERSIONED.match(name) and name.startswith(prefix) and name.endswith(suffix)):
        raise ModelIntegrityError(
            f"{card_path}: the field '{entry_name}.file' must name a {prefix}<id>{suffix} file in the folder; got {name!r}."
        )
    if not (isinstance(digest, str) and re.fullmatch(r"[0-9a-f]{64}", digest)):
        raise ModelIntegrityError(f"{card_path}: the field '{entry_name}.sha256' must be 64 hex digits; got {digest!r}.")
    if isinstance(size, bool) or not isinstance(size, int) or not 0 < size <= MAX_DATA_BYTES:
        raise ModelIntegrityError(
            f"{card_path}: the field '{entry_name}.bytes' must be a size up to {MAX_DATA_BYTES:,}; got {size!r}."
        )
    return folder / name, digest, size


def _checked_bytes(path: Path, expected: str, size: int, folder: Path, what: str) -> bytes:
    """The file's bytes if it is a regular file of the card's size and SHA-256."""
    try:
        data = read_regular(path, MAX_DATA_BYTES, what=what, expected_size=size)
    except FileNotFoundError:
        raise ModelIntegrityError(f"No {what} at {path}. {retrain(folder)}") from None
    actual = _sha256(data)
    if actual != expected:
        raise ModelIntegrityError(
            f"{path} does not match its model card (SHA-256 {actual[:12]}... but the card says "
            f"{expected[:12]}...): it was changed or damaged after training, so it is not opened. "
            f"{retrain(folder)[:-1]}, or download the model folder again from a trusted place."
        )
    return data


# Times a reader reads the card again when a training switched versions under it (the
# card it read named files the switch then removed): one retry is enough unless
# trainings finish back to back faster than a read.
_SWITCH_RETRIES = 3


def _read_version(folder: Path, given: Path) -> tuple[dict[str, Any], Path, bytes]:
    """The card and the data file's checked bytes of one version of ``folder``."""
    switches = 0
    while True:
        card = read_card(folder)
        version = card.get("format_version")
        if not (type(version) is int and version in readable_formats()):
            formats = ", ".join(str(v) for v in readable_formats())
            raise ModelVersionError(
                f"{folder} has model format {version!r}; this salarymodel reads formats {formats}. {retrain(folder)}"
            )
        data_path, digest, size = model_file(card, "data", folder)
        if given.suffix.lower() == ".npz" and given.name != data_path.name:
            raise ModelIntegrityError(
                f"{given} is not the data file its folder's card names ({data_path.name}). Load the folder {folder} instead."
            )
        try:
            return card, data_path, _checked_bytes(data_path, digest, size, folder, "model data file")
        except ModelIntegrityError:
            switches += 1
            if switches > _SWITCH_RETRIES or not _card_changed(folder, card):
                raise


def _card_changed(folder: Path, card: dict[str, Any]) -> bool:
    """Whether the folder's card now names another version than ``card`` (a switch)."""
    try:
        return read_card(folder) != card
    except ModelIntegrityError:
        return False


def load_model_folder(path: str | os.PathLike[str]) -> SalaryModel:
    """Audit then load a model folder's serving tables.

    The training side stays on disk: :func:`salarymodel.training.state_file.training_state`
    reads it when evaluation asks.

    Raises
    ------
    ModelIntegrityError
        Missing, unreadable or malformed card; a data file that is missing,
        not a regular file, of another size or SHA-256 than the card says;
        members, array headers or fields that are not a model's.
    ModelVersionError
        A different format version.
    """
    from ..model import SalaryModel

    folder, _ = model_paths(path)
    card, data_path, data = _read_version(folder, Path(path))
    reader = OLDER_READERS.get(card["format_version"])
    arrays = audit_archive(data, data_path, set(reader.MEMBERS) if reader else member_names())
    document = load_json(arrays.pop(META_MEMBER).tobytes(), what="JSON document of", path=data_path)
    try:
        if reader is not None and isinstance(document, dict):  # an older format, as the current one holds it
            arrays, document = reader.upgrade(arrays, document)
        meta = ModelMeta.from_json(document)
        tables = ServingTables.from_arrays(arrays, meta)
    except FieldError as error:
        raise ModelIntegrityError(f"{data_path}: {error} (the file is refused). {retrain(folder)}") from None
    try:
        model = SalaryModel(tables, meta)
    except Exception as error:  # every field keeps its declaration; a safety net, not a check
        raise ModelIntegrityError(
            f"{data_path} does not hold a usable salarymodel ({type(error).__name__}: {error}). {retrain(folder)}"
        ) from None
    model.folder = folder.resolve()
    return model


def snapshot_model_folder(path: str | os.PathLike[str], into: str | os.PathLike[str]) -> Path:
    """Copy one version of a model folder's serving files (its card and data
    file, checked against each other) into the empty folder ``into``.

    A server loads every worker from the snapshot, so all of them answer
    from one version, and a retraining of the original folder (or a folder
    caught mid-change) reaches none of them until the server is restarted.

    Returns
    -------
    Path
        ``into``, which :func:`load_model_folder` then reads.

    Raises
    ------
    ModelIntegrityError
        As :func:`load_model_folder`, for the version read.
    """
    folder, card_path = model_paths(path)
    target = Path(into)
    card_bytes = read_regular(card_path, MAX_CARD_BYTES, what="model card")
    card = load_json(card_bytes, what="model card", path=card_path)
    if not isinstance(card, dict):
        raise ModelIntegrityError(
            f"The model card {card_path} must be a JSON object; got {type(card).__name__}. "
            "Retrain, or get the model folder again from a trusted place."
        )
    data_path, digest, size = model_file(card, "data", folder)
    data = _checked_bytes(data_path, digest, size, folder, "model data file")  # the card's own version
    (target / data_path.name).write_bytes(data)
    (target / CARD_FILE).write_bytes(card_bytes)
    return target


def read_checked(card: dict[str, Any], kind: str, folder: Path) -> bytes:
    """The bytes of one of a version's files (``"data"``, ``"training"``, ``"training_set"``)
    after checking it is a regular file of the size and SHA-256 its card names.

    Raises
    ------
    ModelIntegrityError
        As :func:`model_file`, or the file is missing or does not match the card.
    """
    path, digest, size = model_file(card, kind, folder)
    what = {"data": "model data file", "training": "training file", "training_set": "training set"}[kind]
    return _checked_bytes(path, digest, size, folder, what)


def training_set_file(folder: str | os.PathLike[str]) -> Path:
    """The training set file a model folder's card names."""
    folder = Path(folder)
    return model_file(read_card(folder), "training_set", folder)[0]
