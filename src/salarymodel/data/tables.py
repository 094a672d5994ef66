"""Your own tables beside the shipped ones: wage indices, consumer prices and
company aliases, read and validated like the figures.

A training run reads each table from the file given for it (``--wage-index``,
``--cpi``, ``--aliases``), else from a folder holding any of them under the
shipped names (``--data DIR``), else the shipped copy; which one it used,
with its SHA-256, is recorded in the model card.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import ParameterError
from .shipped import raw_data_file

__all__ = ["TablePaths", "TABLE_FILES"]

# Table -> its shipped file name (and the name looked for in a --data folder).
TABLE_FILES = {"wage_index": "wage_index.csv", "cpi": "cpi.csv", "aliases": "company_aliases.csv"}


@dataclass(frozen=True)
class TablePaths:
    """Where each table is read from; None means the shipped copy.

    Attributes
    ----------
    wage_index, cpi, aliases : Path or None
    """

    wage_index: Path | None = None
    cpi: Path | None = None
    aliases: Path | None = None

    @classmethod
    def choose(cls, *, data_dir: str | os.PathLike | None = None, **files: str | os.PathLike | None) -> TablePaths:
        """Files given by name win, then a ``data_dir`` holding the shipped names.

        Raises
        ------
        ParameterError
            A named file or the folder does not exist (checked before any work);
            its ``parameter`` is ``data_dir`` or the table's name.
        """
        chosen: dict[str, Path | None] = {}
        folder = Path(data_dir) if data_dir is not None else None
        if folder is not None and not folder.is_dir():
            raise ParameterError(
                "data_dir",
                f"The 'data_dir' parameter names {folder}, which is not a folder "
                f"holding any of {', '.join(TABLE_FILES.values())}.",
            )
        for name, file_name in TABLE_FILES.items():
            given = files.get(name)
            if given is not None:
                path = Path(given)
                if not path.is_file():
                    raise ParameterError(name, f"The '{name}' parameter names {path}, which is not a file.")
                chosen[name] = path
            elif folder is not None and (folder / file_name).is_file():
                chosen[name] = folder / file_name
            elif folder is not None and os.path.lexists(folder / file_name):
                # Present but not a regular file (a dangling link, a FIFO, a device): using the
                # shipped table instead would hide that the user's table was not read.
                raise ParameterError(
                    "data_dir",
                    f"The 'data_dir' parameter names {folder}, whose {file_name} is not a readable regular file "
                    f"({_kind(folder / file_name)}). Replace it with the table, or remove it to use the shipped one.",
                )
            else:
                chosen[name] = None
        return cls(**chosen)

    def check(self) -> TablePaths:
        """Read and validate every table now, so a bad one stops a run before any work.

        Raises
        ------
        ValueError
            Naming the file, and the line where it can.
        """
        from .aging import load_wage_index
        from .names import load_company_aliases
        from .normalise import load_cpi

        load_wage_index(self.path("wage_index"))
        load_cpi(self.path("cpi"))
        load_company_aliases(self.path("aliases"))
        return self

    def path(self, name: str) -> Path:
        """The file a table is read from (the shipped one when none was given)."""
        given = getattr(self, name)
        return given if given is not None else raw_data_file(TABLE_FILES[name])

    def to_dict(self) -> dict:
        """For the model card: each table's file (or 'shipped') and SHA-256."""
        out = {}
        for name in TABLE_FILES:
            path = self.path(name)
            out[name] = {
                "file": "shipped" if getattr(self, name) is None else str(path),
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            }
        return out


def _kind(path: Path) -> str:
    """What a present path that is not a regular file is, in words."""
    from .files import kind_of

    return "a link to nothing" if not path.exists() else kind_of(path.stat().st_mode)
