"""Stage 4, evidence: how far a trained model can be trusted.

Takes in a model with its training side. Gives out validation on figures the
model never saw (:mod:`.validation`), the check against real salaries
(:mod:`.external`), band coverage (:mod:`.metrics`), the model comparison
(:mod:`.candidates`), the whole report as data (:mod:`.report`) and plots
(:mod:`.plots`). Imports training, serving and data; nothing imports it but
the training run (:mod:`salarymodel.train`) and the command lines.
"""
