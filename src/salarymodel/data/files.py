"""What a path that is not a regular file is, in the words every refusal uses."""

from __future__ import annotations

import stat

__all__ = ["kind_of"]

_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


def kind_of(mode: int) -> str:
    """``st_mode`` in words: 'a FIFO', 'a folder', ... ('a regular file' for one)."""
    if stat.S_ISREG(mode):
        return "a regular file"
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")
