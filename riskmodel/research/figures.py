"""PNG figures of a validation: calibration plot and decision curve (matplotlib, Agg, English)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: no display is needed or wanted
    import matplotlib.pyplot as plt

    return plt


def calibration_figure(figures: dict[str, Any], title: str, banner: str, path: Path) -> Path:
    """Calibration plot: ideal line, lowess curve and decile points; saved as PNG."""
    plt = _pyplot()
    return _save(calibration_plot(plt, figures, title, banner), plt, path)


def calibration_plot(plt, figures: dict[str, Any], title: str, banner: str):
    """The calibration plot's figure; points at 0 or 1 are drawn whole, inside the axes."""
    fig, ax = plt.subplots(figsize=(5.5, 5.0), dpi=110)
    points = figures["deciles"]
    top = max([0.05, *(d["mean_predicted"] for d in points), *(d["observed"] for d in points)])
    top = min(1.0, top * 1.1)
    ax.plot([0, top], [0, top], color="grey", linestyle="--", linewidth=1, label="Ideal")
    curve = figures["smoothed"]
    if curve["predicted"]:
        ax.plot(curve["predicted"], curve["observed"], color="tab:blue", label="Lowess")
    else:
        ax.text(0.98, 0.03, textwrap.fill(curve["note"], 48), fontsize=7, ha="right",
                va="bottom", transform=ax.transAxes)
    ax.scatter([d["mean_predicted"] for d in points], [d["observed"] for d in points],
               color="tab:orange", zorder=3, label="Groups of predicted risk")
    margin = 0.04 * top  # room for a marker's radius at 0 and at the top
    ax.set(xlim=(-margin, top + margin), ylim=(-margin, top + margin),
           xlabel="Predicted risk", ylabel="Observed proportion")
    _finish(fig, ax, f"Calibration - {title} (n={figures['n']}, events={figures['events']})",
            banner, legend_below=False)
    return fig


def decision_figure(figures: dict[str, Any], title: str, banner: str, path: Path) -> Path:
    """Decision curve: net benefit of the model, of imaging everyone and of no one."""
    plt = _pyplot()
    return _save(decision_plot(plt, figures, title, banner), plt, path)


def decision_plot(plt, figures: dict[str, Any], title: str, banner: str):
    """The decision curve's figure; its legend sits below the axes, over no line."""
    curve = figures["decision_curve"]
    fig, ax = plt.subplots(figsize=(6.0, 4.9), dpi=110)
    t = curve["thresholds"]
    ax.plot(t, curve["model"], color="tab:blue", label="Model")
    ax.plot(t, curve["treat_all"], color="tab:red", linestyle="--", label="Image everyone")
    ax.plot(t, curve["treat_none"], color="black", linewidth=1, label="Image no one")
    best = max(max(curve["model"]), max(curve["treat_all"]), 0.01)
    ax.set(xlim=(0, max(t)), ylim=(-0.05 * best - 0.01, best * 1.15),
           xlabel="Threshold risk", ylabel="Net benefit")
    _finish(fig, ax, f"Decision curve - {title}", banner, legend_below=True)
    return fig


def _finish(fig, ax, title: str, banner: str, legend_below: bool) -> None:
    ax.set_title(title, fontsize=9)
    if legend_below:  # outside the axes: it can cover no curve
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3,
                  frameon=False)
    else:
        ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    if banner:
        fig.text(0.5, 0.5, banner, fontsize=26, color="red", alpha=0.25, ha="center",
                 va="center", rotation=30)


def _save(fig, plt, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
