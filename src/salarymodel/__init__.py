"""salarymodel: Machine Learning Engineer salaries with honest confidence bands.

Public API::

    from salarymodel import predict, predict_frame, load_model
    predict("Germany", 5)            # SalaryEstimate with low/median/high

Names are imported on first use, so ``import salarymodel`` stays cheap and a
process that only predicts never imports the training side (scikit-learn).

Layout, one subpackage per pipeline stage: :mod:`salarymodel.data` ->
:mod:`salarymodel.training` -> :mod:`salarymodel.serving`, judged by
:mod:`salarymodel.evidence`; :mod:`salarymodel.cli` holds the commands.
Public means importable without a leading underscore (scikit-learn's
convention); the names above are the stable surface.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# Public name -> module that defines it.
_EXPORTS = {
    "predict": "api",
    "predict_frame": "api",
    "explain": "api",
    "load_model": "api",
    "known": "api",
    "percentiles": "api",
    "curve": "api",
    "rank": "api",
    "SalaryRank": "serving.rank",
    "ranges": "api",
    "PayRange": "serving.pay_ranges",
    "SalaryEstimate": "serving.estimate",
    "InvalidRowsError": "serving.estimate",
    "SalaryModel": "serving.model",
    "FiguresError": "errors",
    "ModelIntegrityError": "errors",
    "ModelVersionError": "errors",
    "UnknownCountryError": "errors",
    "ParameterError": "errors",
    "ParameterTypeError": "errors",
    "UnknownEmployerWarning": "errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'salarymodel' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
