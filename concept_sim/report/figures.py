"""PNG figures drawn on matplotlib's Agg canvas, with no global pyplot state."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from concept_sim.report.plot_data import ordered_components

logger = logging.getLogger(__name__)

DPI = 120


def _save(figure: Figure, path: Path) -> Path:
    FigureCanvasAgg(figure)
    figure.savefig(path, dpi=DPI, bbox_inches="tight")
    logger.debug("Wrote %s", path)
    return path


def plot_rho_by_layer(layers: pd.DataFrame, path: Path, confidence: float) -> Path:
    """Draw Spearman rho against layer, one line per component, with CI bands and degenerate hooks marked."""
    figure = Figure(figsize=(9, 5))
    axes = figure.add_subplot()
    for component in ordered_components(layers["component"]):
        series = layers[layers["component"] == component].sort_values("layer")
        # A component with one hook (the embedding) is a single point, so it gets a larger marker.
        marker, size = ("s", 8) if len(series) == 1 else ("o", 3)
        line = axes.plot(series["layer"], series["spearman_rho"], marker=marker, markersize=size, label=component)[0]
        axes.fill_between(series["layer"], series["rho_ci_low"], series["rho_ci_high"], color=line.get_color(), alpha=0.15)

    degenerate = layers[layers["degenerate"].astype(bool)]
    if not degenerate.empty:
        axes.scatter(degenerate["layer"], degenerate["spearman_rho"], marker="x", s=60, color="black", zorder=3, label="degenerate (high median cosine)")

    axes.axhline(0.0, color="grey", linewidth=0.8)
    axes.set_xlabel("layer")
    axes.set_ylabel("Spearman rho with human scores")
    axes.set_title(f"Spearman rho by layer ({confidence:.0%} bootstrap CI over words)")
    axes.legend(fontsize="small")
    return _save(figure, path)


def plot_heatmap(layers: pd.DataFrame, path: Path) -> Path:
    """Draw a component x layer heatmap of Spearman rho; cells without a hook stay blank."""
    components = ordered_components(layers["component"])
    grid = layers.pivot_table(index="component", columns="layer", values="spearman_rho", aggfunc="first")
    grid = grid.reindex(index=components)
    values = np.ma.masked_invalid(grid.to_numpy(float))
    limit = max(float(np.nanmax(np.abs(grid.to_numpy(float)))) if values.count() else 1.0, 1e-6)

    figure = Figure(figsize=(max(6, 0.3 * grid.shape[1] + 2), 0.6 * len(components) + 1.5))
    axes = figure.add_subplot()
    image = axes.imshow(values, aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
    axes.set_yticks(range(len(components)), labels=components)
    step = max(1, grid.shape[1] // 15)
    axes.set_xticks(range(0, grid.shape[1], step), labels=[str(layer) for layer in grid.columns[::step]])
    axes.set_xlabel("layer")
    axes.set_title("Spearman rho by component and layer")
    figure.colorbar(image, ax=axes, label="Spearman rho")
    return _save(figure, path)


def plot_scatter(points: pd.DataFrame, hook: str, rho: float, path: Path) -> Path:
    """Draw human score against cosine for one hook."""
    figure = Figure(figsize=(6, 5))
    axes = figure.add_subplot()
    axes.scatter(points["cosine"], points["score"], s=10, alpha=0.6)
    axes.set_xlabel(f"cosine at {hook}")
    axes.set_ylabel("human score (rescaled 0-1)")
    axes.set_title(f"{hook}: Spearman rho = {rho:.3f}, n = {len(points)} pairs")
    return _save(figure, path)


def plot_compare(table: pd.DataFrame, path: Path) -> Path:
    """Draw the best in-sample rho of each run as a bar with its CI as error bars."""
    labels = [" / ".join(parts) for parts in zip(table["dataset"], table["model"], table["method"])]
    rho = table["best_rho"].to_numpy(float)
    low = np.clip(rho - table["best_rho_ci_low"].to_numpy(float), 0, None)
    high = np.clip(table["best_rho_ci_high"].to_numpy(float) - rho, 0, None)

    figure = Figure(figsize=(max(6, 0.8 * len(labels) + 2), 5))
    axes = figure.add_subplot()
    positions = np.arange(len(labels))
    axes.bar(positions, rho, yerr=np.vstack([low, high]), capsize=4, label="best hook (in-sample)")
    axes.scatter(positions, table["heldout_rho"].to_numpy(float), color="black", marker="D", zorder=3, label="held-out rho")
    axes.set_xticks(positions, labels=labels, rotation=30, ha="right")
    axes.set_ylabel("Spearman rho")
    axes.set_title("Best hook per run")
    axes.legend(fontsize="small")
    return _save(figure, path)
