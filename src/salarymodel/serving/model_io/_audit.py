"""Auditing a model folder before anything in it is trusted or allocated.

Loading a model reads files a user was handed; any of them may be hostile.
Everything here checks *before* it reads or allocates:

* only regular files are opened (a FIFO, a device or a link to one is
  refused at once; a FIFO is opened non-blocking, so it never hangs);
* sizes are bounded and compared with the card before a byte is read;
* JSON is size-bounded and depth-bounded;
* the data file's zip members are named, stored uncompressed (no zip bomb)
  and each array header's shape and dtype is checked against its member's
  size before numpy reads it;
* the serving tables and the JSON document are then conformed to their
  declared types (:mod:`.model_file`), outside this module.

Every failure is a :class:`~salarymodel.errors.ModelIntegrityError` that
names the file and the field.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import stat
import tokenize
import zipfile
from pathlib import Path

import numpy as np

from ...data.files import kind_of
from ...errors import ModelIntegrityError

__all__ = ["MAX_CARD_BYTES", "MAX_DATA_BYTES", "read_regular", "load_json", "audit_archive"]

MAX_CARD_BYTES = 16 * 1024 * 1024
MAX_DATA_BYTES = 256 * 1024 * 1024
MAX_JSON_DEPTH = 64
_MEMBER = re.compile(r"^[A-Za-z0-9_]{1,64}\.npy$")
_DTYPES = {"f8", "i1", "i4", "u1"}


def read_regular(path: Path, limit: int, *, what: str, expected_size: int | None = None) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (and exactly
    ``expected_size`` when given), checked before reading."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except OSError as error:
        raise ModelIntegrityError(f"Cannot open the {what} {path}: {error.strerror}.") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ModelIntegrityError(
                f"The {what} {path} is {kind_of(info.st_mode)}, not a regular file: refused "
                "unread. Point at a model folder written by 'python -m salarymodel.train'."
            )
        if info.st_size > limit:
            raise ModelIntegrityError(
                f"The {what} {path} holds {info.st_size:,} bytes, more than the {limit:,} a salarymodel file may: refused unread."
            )
        if expected_size is not None and info.st_size != expected_size:
            raise ModelIntegrityError(
                f"The {what} {path} does not match its model card ({info.st_size:,} bytes; the "
                f"card says {expected_size:,}): it was changed or damaged after training, so "
                "it is not opened. Retrain, or get the model folder again from a trusted place."
            )
        chunks, remaining = [], info.st_size
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def json_text_depth(data: bytes) -> int:
    """Deepest nesting of arrays and objects in JSON text, read on the bytes
    before parsing: a few numpy passes, no Python work per value (a survey's
    model holds millions of them). Brackets inside strings do not count; a
    quote after an odd run of backslashes is inside its string."""
    raw = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(raw == 0x22)
    backslashes = np.flatnonzero(raw == 0x5C)
    string_edges = quotes
    if backslashes.size:  # runs of backslashes: where each ends and how long it is
        breaks = np.flatnonzero(np.diff(backslashes) != 1)
        run_ends = backslashes[np.r_[breaks, backslashes.size - 1]]
        run_lengths = run_ends - backslashes[np.r_[0, breaks + 1]] + 1
        k = np.minimum(np.searchsorted(run_ends, quotes - 1), run_ends.size - 1)
        escaped = (run_ends[k] == quotes - 1) & (run_lengths[k] % 2 == 1)
        string_edges = quotes[~escaped]
    opening = (raw == 0x5B) | (raw == 0x7B)
    brackets = np.flatnonzero(opening | (raw == 0x5D) | (raw == 0x7D))
    outside = np.searchsorted(string_edges, brackets) % 2 == 0
    return int(np.cumsum(np.where(opening[brackets[outside]], 1, -1)).max(initial=0))


def load_json(data: bytes, *, what: str, path: Path) -> object:
    """Parse size-bounded JSON, refusing deep nesting and bad encodings by name."""
    if json_text_depth(data) > MAX_JSON_DEPTH:
        raise ModelIntegrityError(f"The {what} {path} nests deeper than {MAX_JSON_DEPTH} levels: refused.")
    try:
        value = json.loads(data.decode("utf-8"))
    except RecursionError:
        raise ModelIntegrityError(f"The {what} {path} nests deeper than {MAX_JSON_DEPTH} levels: refused.") from None
    except (UnicodeDecodeError, ValueError) as error:  # ValueError: also an integer of thousands of digits
        raise ModelIntegrityError(
            f"The {what} {path} is not valid JSON ({str(error)[:200]}). Retrain, or get the "
            "model folder again from a trusted place."
        ) from None
    return value


def audit_archive(data: bytes, path: Path, expected: set[str]) -> dict[str, np.ndarray]:
    """Arrays of a data file, after checking every member before it is read.

    Parameters
    ----------
    data : bytes
        The file (already size-checked and hash-checked).
    path : Path
        For messages.
    expected : set of str
        Member names (without ``.npy``) the file must hold, no more, no fewer.
    """

    def refuse(detail: str) -> ModelIntegrityError:
        return ModelIntegrityError(
            f"{path} is not a salarymodel data file: {detail}. It is refused unread; "
            "retrain with 'python -m salarymodel.train --out DIR'."
        )

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise refuse(f"not a zip archive ({error})") from None
    names = [info.filename for info in infos]
    bad = [n for n in names if not _MEMBER.match(n)]
    if bad:
        raise refuse(f"member name {bad[0]!r} is not an array name")
    found = {n[:-4] for n in names}
    if len(found) != len(names) or found != expected:
        missing, extra = sorted(expected - found), sorted(found - expected)
        raise refuse(f"members differ from a model's (missing {missing}, unexpected {extra})")
    tables: dict[str, np.ndarray] = {}
    for info in infos:
        name = info.filename[:-4]
        if info.compress_type != zipfile.ZIP_STORED or info.file_size != info.compress_size:
            raise refuse(f"member {name!r} is compressed (a model's arrays are stored as they are)")
        if info.file_size > len(data):
            raise refuse(f"member {name!r} claims {info.file_size:,} bytes, more than the file holds")
        with archive.open(info) as stream:
            try:
                version = np.lib.format.read_magic(stream)
                if version == (1, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
                elif version == (2, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
                else:
                    raise ValueError(f"npy format {version}")
            except (ValueError, SyntaxError, TypeError, MemoryError, tokenize.TokenError) as error:
                raise refuse(f"member {name!r} has no valid array header ({type(error).__name__}: {str(error)[:120]})") from None
            header = stream.tell() if hasattr(stream, "tell") else None
            if dtype.hasobject or dtype.str[1:] not in _DTYPES or fortran:
                raise refuse(f"member {name!r} has dtype {dtype.str!r}; a model holds only plain numbers")
            count = math.prod(shape)
            size = info.file_size - (header if header is not None else 0)
            if count * dtype.itemsize != size:
                raise refuse(
                    f"member {name!r} declares shape {tuple(shape)} ({count * dtype.itemsize:,} bytes) but holds {size:,}"
                )
            tables[name] = np.frombuffer(stream.read(size), dtype=dtype).reshape(shape).copy()
    return tables
