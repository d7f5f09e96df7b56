"""compare_runs over metrics files written by the rsa stage."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from concept_sim.analysis import run_rsa_stage
from concept_sim.compare import compare_runs
from concept_sim.errors import ConceptSimError
from concept_sim.provenance import sidecar_path
from test_rsa_fixtures import write_similarity_dir


def _run(tmp_path: Path, name: str, seed: int, labels: dict[str, str]) -> Path:
    similarity_dir = write_similarity_dir(tmp_path / name / "similarity", seed=seed)
    metrics_path = tmp_path / name / "metrics.json"
    run_rsa_stage(similarity_dir, tmp_path / name / "rsa", metrics_path, {"bootstrap": 30, "permutations": 49}, labels=labels)
    return metrics_path


def test_compare_two_runs(tmp_path):
    first = _run(tmp_path, "a", seed=0, labels={"dataset": "toy", "model": "m1", "method": "cosine"})
    second = _run(tmp_path, "b", seed=1, labels={"dataset": "toy", "model": "m2", "method": "cosine"})
    out_dir = tmp_path / "compare"

    table = compare_runs([first, second], out_dir)

    assert len(table) == 2
    assert set(table["model"]) == {"m1", "m2"}
    assert table["best_rho"].is_monotonic_decreasing
    for path, row in ((first, table.set_index("model").loc["m1"]), (second, table.set_index("model").loc["m2"])):
        metrics = json.loads(path.read_text())
        assert row["best_hook"] == metrics["best_hook"]
        assert row["best_rho"] == pytest.approx(metrics["best_rho"])
        assert row["best_rho_ci_low"] == pytest.approx(metrics["best_rho_ci_low"])
        assert row["heldout_hook"] == metrics["heldout_hook"]
        assert row["n_pairs"] == metrics["n_pairs"]
    for name in ("compare.csv", "compare.png", "compare.md"):
        assert (out_dir / name).is_file(), name
        assert sidecar_path(out_dir / name).is_file(), name
    assert pd.read_csv(out_dir / "compare.csv")["dataset"].tolist() == ["toy", "toy"]
    assert "| toy | m1 | cosine |" in (out_dir / "compare.md").read_text()


def test_compare_unlabelled_run(tmp_path):
    metrics_path = tmp_path / "metrics.json"
    metrics_path.write_text(json.dumps(
        {"best_hook": "hook_embed", "best_rho": 0.4, "best_rho_ci_low": None, "best_rho_ci_high": None,
         "heldout_hook": "hook_embed", "heldout_rho": 0.3, "n_pairs": 12}
    ))  # fmt: skip

    table = compare_runs([metrics_path], tmp_path / "out")

    assert table.loc[0, "dataset"] == "unspecified"
    assert pd.isna(table.loc[0, "best_rho_ci_low"])


def test_compare_rejects_other_json(tmp_path):
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"accuracy": 0.9}))
    with pytest.raises(ConceptSimError, match="best_hook"):
        compare_runs([path], tmp_path / "out")


def test_compare_requires_files(tmp_path):
    with pytest.raises(ConceptSimError, match="No metrics files"):
        compare_runs([], tmp_path / "out")
