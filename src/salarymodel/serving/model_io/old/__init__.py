"""Readers of older model-file formats, one module per format.

Each module's ``upgrade(arrays, document)`` takes an older data file's
tables (audited, by name) and its JSON document, and returns them as the
current format holds them; :mod:`.._protocol` lists which formats have one.
"""
