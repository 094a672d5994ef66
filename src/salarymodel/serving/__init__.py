"""Stage 3, serving: a trained model as plain tables, and estimates from them.

Takes in a model folder (:mod:`.model_io`: its files, card, typed records,
format version and older readers) or a freshly compiled model. Gives out estimates (:mod:`.model`,
:mod:`.estimate`; names to table rows by :mod:`.lookup`), their bands
(:mod:`.bands`) and money of a date (:mod:`.money`) on the years grid
(:mod:`.grid`); private helpers score
frames (``_frame``, ``_rows``), explain estimates (:mod:`.explanations`) and run on
Dask (``_dask``). Imports only :mod:`salarymodel.data` and numpy at import
time; never training, evidence or the command lines.
"""
