"""The plots the notebook draws, read back from their axes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")


def test_the_bands_legend_tells_the_three_shades_apart(model):
    from salarymodel.evidence.plots import plot_salary_curves

    ax = plot_salary_curves(model, "DE", confidences=(0.5, 0.8, 0.95))
    handles, labels = ax.get_legend_handles_labels()
    shades = {label: handle.get_alpha() for handle, label in zip(handles, labels) if label.endswith("band")}
    # Nested bands add up on the plot; each legend entry shows the shade its band has there.
    assert shades["95% band"] < shades["80% band"] < shades["50% band"]
    assert shades["95% band"] == 0.2 and abs(shades["50% band"] - (1 - 0.8**3)) < 1e-12
