"""Confidence bands: a normalised residual score and its conformal quantiles.

The band logic is kept apart from the point model. A score turns an observed
log salary into a number of local scales above or below the centre; its
inverse turns a score back into a bound. Calibration keeps the sorted
scores of held-out rows, and a band at confidence ``c`` takes the
equal-tailed finite-sample conformal quantiles of them.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["NormalisedResidualScore", "conformal_bounds", "check_confidence"]


class NormalisedResidualScore:
    """Signed residual in log salary, in units of the local scale.

    ``score(y, centre, scale) = (y - centre) / scale`` and
    ``bound(centre, scale, s) = centre + s * scale`` invert each other.
    Signed scores give asymmetric bands where the residuals are skewed, and
    their median shifts the centre to an honest median.
    """

    @staticmethod
    def score(y: np.ndarray, centre: np.ndarray, scale: np.ndarray) -> np.ndarray:
        """Scores of observations ``y`` (log salary)."""
        return (y - centre) / scale

    @staticmethod
    def bound(centre, scale, s):
        """Log-salary bound(s) at score ``s``; inverse of :meth:`score`."""
        return centre + s * scale


def check_confidence(confidence: object, owner: str = "predict") -> float:
    """Validate a confidence level: a real number strictly between 0 and 1."""
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float, np.floating, np.integer)):
        raise TypeError(
            f"The 'confidence' parameter of {owner} must be a float in (0, 1). "
            f"Got {confidence!r} of type {type(confidence).__name__} instead."
        )
    value = float(confidence)
    if not 0.0 < value < 1.0:  # also rejects NaN
        raise ValueError(f"The 'confidence' parameter of {owner} must be a float in (0, 1). Got {confidence!r} instead.")
    return value


def conformal_bounds(sorted_scores: np.ndarray, confidence: float) -> tuple[float, float]:
    """Lower and upper score of an equal-tailed conformal band.

    Each tail gets ``(1 - confidence) / 2``. With ``n`` calibration scores
    the upper bound is the ``ceil((n + 1) * (1 + c) / 2)``-th smallest score
    and the lower one its mirror, the finite-sample levels that guarantee
    coverage of at least ``confidence`` for exchangeable data. When ``n`` is
    too small for the level the bound is infinite, never silently clipped.

    Parameters
    ----------
    sorted_scores : ndarray of shape (n,)
        Calibration scores, ascending.
    confidence : float
        Nominal coverage in (0, 1).

    Returns
    -------
    (float, float)
    """
    n = len(sorted_scores)
    upper_rank = math.ceil((n + 1) * (1 + confidence) / 2)  # 1-based
    lower_rank = n + 1 - upper_rank
    low = sorted_scores[lower_rank - 1] if lower_rank >= 1 else -math.inf
    high = sorted_scores[upper_rank - 1] if upper_rank <= n else math.inf
    return float(low), float(high)
