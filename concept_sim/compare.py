"""Compare rsa runs across datasets, models and methods from their metrics files."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd

from concept_sim.errors import ConceptSimError
from concept_sim.provenance import build_record, write_sidecar
from concept_sim.report.figures import plot_compare
from concept_sim.report.markdown import render_compare_report

logger = logging.getLogger(__name__)

LABEL_KEYS = ("dataset", "model", "method")
VALUE_KEYS = (
    "best_hook", "best_rho", "best_rho_ci_low", "best_rho_ci_high",
    "heldout_hook", "heldout_rho", "heldout_n_pairs", "n_pairs", "noise_ceiling",
)  # fmt: skip
REQUIRED_KEYS = ("best_hook", "best_rho", "heldout_rho", "n_pairs")
UNLABELLED = "unspecified"


def read_metrics(path: Path) -> dict[str, Any]:
    """Read one metrics.json written by the rsa stage and check that it has the compared keys."""
    if not path.is_file():
        raise ConceptSimError(f"{path}: metrics file not found; run the rsa stage first.")
    try:
        metrics = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ConceptSimError(f"{path}: invalid JSON ({error}).") from error
    if not isinstance(metrics, dict):
        raise ConceptSimError(f"{path}: expected a JSON object of metrics.")

    missing = [key for key in REQUIRED_KEYS if key not in metrics]
    if missing:
        raise ConceptSimError(f"{path}: missing metric(s) {missing}; pass a metrics.json written by the rsa stage.")
    return metrics


def _row(path: Path, metrics: dict[str, Any]) -> dict[str, Any]:
    unlabelled = [key for key in LABEL_KEYS if not metrics.get(key)]
    if unlabelled:
        logger.warning("%s has no %s label; it is shown as %r", path, "/".join(unlabelled), UNLABELLED)
    row = {key: str(metrics.get(key) or UNLABELLED) for key in LABEL_KEYS}
    row.update({key: metrics.get(key) for key in VALUE_KEYS})
    row["metrics_file"] = str(path)
    return row


def compare_runs(metrics_files: list[Path], out_dir: Path) -> pd.DataFrame:
    """Tabulate the best hook of each run; write compare.csv, compare.png and compare.md with sidecars.

    Runs are named by the `dataset`, `model` and `method` keys of their metrics; rows are sorted
    by dataset, then by best rho descending.
    """
    if not metrics_files:
        raise ConceptSimError("No metrics files given; pass at least one metrics.json written by the rsa stage.")
    paths = [Path(path) for path in metrics_files]
    table = pd.DataFrame([_row(path, read_metrics(path)) for path in paths])

    duplicated = table[table.duplicated(subset=list(LABEL_KEYS), keep=False)]
    if not duplicated.empty:
        logger.warning("Runs share dataset/model/method labels: %s", duplicated["metrics_file"].tolist())
    for key in ("best_rho", "best_rho_ci_low", "best_rho_ci_high", "heldout_rho", "noise_ceiling"):
        table[key] = pd.to_numeric(table[key], errors="coerce").astype(float)
    table = table.sort_values(["dataset", "best_rho"], ascending=[True, False], kind="stable").reset_index(drop=True)

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / "compare.csv"
    table.to_csv(csv_path, index=False)
    png_path = plot_compare(table, out_dir / "compare.png")
    md_path = out_dir / "compare.md"
    md_path.write_text(render_compare_report(table.drop(columns="metrics_file")), encoding="utf-8")

    record = build_record("compare", paths, {})
    for path in (csv_path, png_path, md_path):
        write_sidecar(path, record)
    logger.info("Compared %d runs into %s", len(table), out_dir)
    return table
