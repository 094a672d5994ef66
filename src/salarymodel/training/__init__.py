"""Stage 2, training: from normalised figures to the tables a model serves.

Takes in a run's :class:`~salarymodel.data.training_data.TrainingData`. The
measurement model of how each figure came to be (:mod:`.measurement`) is
sampled into a posterior (:mod:`.posterior`, :mod:`.bayes`); synthetic
engineers of every served row (:mod:`.cells`) are drawn from its posterior
predictive (:mod:`.engineers`) and a scikit-learn regression learns each
row's quantile curves from them (:mod:`.quantile_curves`); its predictions
are compiled into a :class:`salarymodel.serving.model.SalaryModel`
(:mod:`.compile`) with its provenance
(:mod:`.provenance`) and the fidelity of every figure (:mod:`.fidelity`).
Imports :mod:`salarymodel.data` and :mod:`salarymodel.serving`, never the
evidence or the command lines.
"""
