"""The model file's format version, and how to change it.

A model folder's card names its format (``format_version``). This reader
writes :data:`FORMAT_VERSION` and reads it, plus every older format that has
a reader in :mod:`.old`: each such reader turns an older data file's tables
and document into the current format's, so the rest of the package only
ever sees one format. A format without a reader is refused by name
(:class:`~salarymodel.errors.ModelVersionError`, naming the formats that
are read and the command that retrains).

Changing the format
-------------------
1. Change the records in :mod:`.records` (a table or a document field).
2. Add 1 to :data:`FORMAT_VERSION` and a line to the history below.
3. If the previous format can still answer as it did, add its reader to
   :mod:`.old` (a module ``format_<N>.py`` with ``MEMBERS``, the names its
   data file holds, and ``upgrade(arrays, document)``) and register it in :data:`OLDER_READERS`; keep a folder written in that
   format under ``tests/data/model_format_<N>`` and a test that it loads and
   answers as it did. Otherwise it is refused, and the changelog says so.
4. Say so in ``CHANGELOG.md``.

A change of where modules live is not a format change: the data file holds
no pickles, so no class path is part of the format.

History
-------
- 2-4: an earlier model family's pickled plan and money tables.
- 5: a data-only serving file (numpy tables and one JSON document); the
  training side in its own file.
- 6: country labels in the serving file.
- 7: the training file's class paths moved (stage subpackages).
- 8: one predictive distribution: shape tables, the median's uncertainty as
  ratios, one within-market scale.
- 9: version-named files switched by the card; the training set in the folder.
- 10: ``scale_high``, the scale above the median.
- 11: populations: rows of the tables answering as a source of records
  sees the market.
- 12: each wage index's ``growth_sd``, so the median's interval widens with
  the aging's uncertainty past the reference month.
- 13: one quantile table per row (``quantiles``: normal-score levels by half
  years), the regression's predictions, in place of the two-piece form
  (``centre``, ``scale``, ``scale_high``, ``ratio_low``, ``ratio_high``,
  ``shapes``); the document's ``pay``, the pay the tables describe.
"""

from __future__ import annotations

from types import ModuleType

from .old import format_9, format_10, format_11, format_12

__all__ = ["FORMAT_VERSION", "OLDER_READERS", "readable_formats"]

FORMAT_VERSION = 13
# Older formats this package still reads, each with the module that upgrades it.
OLDER_READERS: dict[int, ModuleType] = {9: format_9, 10: format_10, 11: format_11, 12: format_12}


def readable_formats() -> list[int]:
    """Every format version this package loads, oldest first."""
    return sorted({FORMAT_VERSION, *OLDER_READERS})
