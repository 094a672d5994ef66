"""salarymodel: Machine Learning Engineer salaries with honest confidence bands.

Public API::

    from salarymodel import predict, predict_frame, load_model
    predict("Germany", 5)            # SalaryEstimate with low/median/high
"""

__version__ = "0.1.0"

from ._errors import FiguresError, ModelIntegrityError, ModelVersionError, UnknownCountryError  # noqa: E402
from .api import explain, load_model, predict, predict_frame  # noqa: E402
from .estimate import InvalidRowsError, SalaryEstimate  # noqa: E402
from .serve import SalaryModel  # noqa: E402
from .synthetic import make_training_set  # noqa: E402

__all__ = [
    "__version__", "predict", "predict_frame", "explain", "load_model", "make_training_set",
    "SalaryEstimate", "SalaryModel", "InvalidRowsError", "FiguresError",
    "ModelIntegrityError", "ModelVersionError", "UnknownCountryError",
]
