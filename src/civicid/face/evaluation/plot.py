"""DET curves (FNMR against FMR, both on log axes) written as PNG with matplotlib's Agg canvas.

The figure is drawn on its own Agg canvas, so no global pyplot state or backend is touched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np

FLOOR = 1e-6  # log axes cannot show 0: a marked point at 0 is drawn here


def plot_det(
    curves: Mapping[str, tuple[np.ndarray, np.ndarray]],
    path: Path,
    *,
    title: str,
    marks: Mapping[str, tuple[float, float]] | None = None,
) -> Path:
    """``curves``: label → (FMR, FNMR) arrays; ``marks``: label → one (FMR, FNMR) point."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 4.8), dpi=120)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for label, (fmr, fnmr) in curves.items():
        fmr, fnmr = np.asarray(fmr), np.asarray(fnmr)
        shown = (fmr > 0) & (fnmr > 0)  # the ends of the curve lie at 0, off a log axis
        axes.plot(fmr[shown], fnmr[shown], label=label, linewidth=1.5)
    for label, (fmr, fnmr) in (marks or {}).items():
        axes.plot([max(fmr, FLOOR)], [max(fnmr, FLOOR)], marker="o", linestyle="none", label=label)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("false match rate (FMR)")
    axes.set_ylabel("false non-match rate (FNMR)")
    axes.set_title(title)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(loc="upper right", fontsize="small")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return path
