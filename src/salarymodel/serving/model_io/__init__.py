"""The model file: one package that knows a model folder's files and format.

- :mod:`._protocol`: the format version, its history, and how to change it;
- :mod:`.records`: the data file's tables and JSON document as typed records,
  declared with :mod:`.schema`;
- :mod:`.folder`: writing a version and switching to it with one rename,
  auditing (:mod:`._audit`) and loading;
- :mod:`.card`: the model card, declared once and written from that declaration;
- :mod:`.paths`: where model folders live and what their files are called;
- :mod:`.old`: one reader per older format still loaded.

The training side's file is named and hashed here but written and read by
:mod:`salarymodel.training.state_file`.
"""
