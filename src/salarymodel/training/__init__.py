"""Stage 2, training: from normalised figures to the tables a model serves.

Takes in normalised figures (:mod:`salarymodel.data`). Gives out the source
and employer effects (:mod:`.effects`), the synthetic training set
(:mod:`.synthetic`), the fitted scikit-learn estimator (:mod:`.estimator`),
the median's uncertainty (:mod:`.uncertainty`), provenance
(:mod:`.provenance`), the fidelity of every figure (:mod:`.fidelity`) and,
compiled from all of it, a :class:`salarymodel.serving.model.SalaryModel`
(:mod:`.compile`). Imports :mod:`salarymodel.data` and
:mod:`salarymodel.serving`, never the evidence or the command lines.
"""
