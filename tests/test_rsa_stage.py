"""The rsa stage runner on synthetic similarity outputs written to disk."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from concept_sim.analysis import RSA_COLUMNS, run_rsa_stage
from concept_sim.errors import ConceptSimError, ConfigError
from concept_sim.provenance import sidecar_path
from test_rsa_fixtures import DEGENERATE_HOOK, NAN_HOOK, SETTINGS, write_ratings_dir, write_similarity_dir

FAST_PARAMS = {"bootstrap": 50, "permutations": 99, "seed": 0}
ARTIFACTS = [
    "rsa.csv", "hook_r.json", "rho_by_layer.csv", "scatter.csv",
    "rho_by_layer.png", "heatmap.png", "scatter.png", "report.md",
]  # fmt: skip
METRIC_KEYS = [
    "best_hook", "best_rho", "best_rho_ci_low", "best_rho_ci_high", "heldout_hook", "heldout_rho",
    "n_pairs", "n_words", "n_hooks", "n_degenerate", "noise_ceiling",
]  # fmt: skip


@pytest.fixture(scope="module")
def stage_run(tmp_path_factory) -> tuple[pd.DataFrame, Path, Path]:
    root = tmp_path_factory.mktemp("stage")
    similarity_dir = write_similarity_dir(root / "similarity")
    out_dir = root / "rsa"
    metrics_path = root / "metrics" / "metrics.json"
    table = run_rsa_stage(similarity_dir, out_dir, metrics_path, FAST_PARAMS, labels={"dataset": "toy", "method": "cosine"})
    return table, out_dir, metrics_path


def test_stage_writes_every_artifact(stage_run):
    _, out_dir, metrics_path = stage_run
    for name in ARTIFACTS:
        assert (out_dir / name).is_file(), name
        assert sidecar_path(out_dir / name).is_file(), name
    assert sidecar_path(metrics_path).is_file()
    assert (out_dir / "rho_by_layer.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sidecar_records_inputs_and_settings(stage_run):
    _, out_dir, _ = stage_run
    record = json.loads(sidecar_path(out_dir / "rsa.csv").read_text())
    assert record["stage"] == "rsa"
    assert record["settings"] == SETTINGS
    assert record["params"]["bootstrap"] == 50
    assert record["params"]["top_n"] == 10
    assert {Path(name).name for name in record["inputs"]} == {"cosines.csv", "hooks.csv", "settings.json"}


def test_metrics_have_flat_keys(stage_run):
    table, _, metrics_path = stage_run
    metrics = json.loads(metrics_path.read_text())

    for key in METRIC_KEYS:
        assert key in metrics, key
    assert metrics["best_hook"] == table.loc[0, "hook"]
    assert metrics["best_rho"] == pytest.approx(table.loc[0, "spearman_rho"])
    assert metrics["n_pairs"] == 90
    assert metrics["n_words"] == 40
    assert metrics["n_hooks"] == 11
    assert metrics["n_degenerate"] == 1
    assert metrics["noise_ceiling"] is None
    assert metrics["dataset"] == "toy"
    assert metrics["model"] == SETTINGS["model_id"]
    assert metrics["method"] == "cosine"
    assert all(not isinstance(value, (dict, list)) for value in metrics.values())


def test_rsa_table_columns_and_order(stage_run):
    table, out_dir, _ = stage_run
    written = pd.read_csv(out_dir / "rsa.csv", keep_default_na=False, na_values=[""])

    assert list(written.columns) == RSA_COLUMNS
    assert written["spearman_rho"].is_monotonic_decreasing
    assert written["hook"].is_unique
    assert len(written) == len(table) == 11
    assert (written["rho_ci_low"] <= written["spearman_rho"]).all()
    assert (written["spearman_rho"] <= written["rho_ci_high"]).all()


def test_rsa_table_matches_scipy(stage_run):
    table, out_dir, _ = stage_run
    cosines = pd.read_csv(out_dir.parent / "similarity" / "cosines.csv")
    rows = table.set_index("hook")

    for hook in rows.index:
        valid = cosines[hook].notna()
        assert rows.loc[hook, "n_pairs"] == valid.sum()
        expected = stats.spearmanr(cosines.loc[valid, "score"], cosines.loc[valid, hook]).statistic
        assert rows.loc[hook, "spearman_rho"] == pytest.approx(expected)
    assert rows.loc[NAN_HOOK, "n_pairs"] == 88


def test_degenerate_hook_flagged(stage_run):
    table, _, _ = stage_run
    flagged = table.loc[table["degenerate"], "hook"].tolist()
    assert flagged == [DEGENERATE_HOOK]


def test_alias_column_counted_once(tmp_path):
    similarity_dir = write_similarity_dir(tmp_path / "similarity", with_alias_column=True)
    metrics_path = tmp_path / "metrics.json"

    table = run_rsa_stage(similarity_dir, tmp_path / "rsa", metrics_path, FAST_PARAMS)

    assert len(table) == 11
    assert "blocks.0.hook_resid_post" not in set(table["hook"])
    assert table["q_value"].to_numpy() == pytest.approx(stats.false_discovery_control(table["permutation_p"].to_numpy()))
    assert json.loads(metrics_path.read_text())["n_hooks"] == 11


def test_hook_r_includes_aliases(stage_run):
    table, out_dir, _ = stage_run
    hook_r = json.loads((out_dir / "hook_r.json").read_text())
    rows = table.set_index("hook")

    assert hook_r["blocks.0.hook_resid_post"] == pytest.approx(rows.loc["blocks.1.hook_resid_pre", "pearson_r"])
    assert hook_r["hook_embed"] == pytest.approx(rows.loc["hook_embed", "pearson_r"])
    assert len(hook_r) == 11 + 2


def test_rho_by_layer_fills_resid_post(stage_run):
    table, out_dir, _ = stage_run
    layers = pd.read_csv(out_dir / "rho_by_layer.csv")
    resid_post = layers[layers["component"] == "resid_post"].sort_values("layer")

    assert resid_post["layer"].tolist() == [0, 1, 2]
    source = table.set_index("hook").loc["blocks.2.hook_resid_pre", "spearman_rho"]
    assert resid_post.iloc[1]["spearman_rho"] == pytest.approx(source)
    assert list(layers.columns) == ["layer", "component", "hook", "spearman_rho", "rho_ci_low", "rho_ci_high", "degenerate"]


def test_scatter_csv_is_best_hook(stage_run):
    table, out_dir, _ = stage_run
    points = pd.read_csv(out_dir / "scatter.csv")
    assert list(points.columns) == ["word1", "word2", "score", "cosine"]
    assert stats.spearmanr(points["score"], points["cosine"]).statistic == pytest.approx(table.loc[0, "spearman_rho"])


def test_noise_ceiling_and_published_agreement(tmp_path):
    similarity_dir = write_similarity_dir(tmp_path / "similarity")
    ratings_dir = write_ratings_dir(tmp_path / "ratings", similarity_dir)
    metrics_path = tmp_path / "metrics.json"

    run_rsa_stage(similarity_dir, tmp_path / "rsa", metrics_path, FAST_PARAMS, ratings_dir=ratings_dir)

    metrics = json.loads(metrics_path.read_text())
    assert 0.3 < metrics["noise_ceiling"] < 1.0
    assert metrics["noise_ceiling_upper"] > metrics["noise_ceiling"]
    assert metrics["n_raters_used"] == 5
    assert metrics["published_agreement_spearman_mean_pairwise"] == 0.67
    report = (tmp_path / "rsa" / "report.md").read_text()
    assert "spearman_mean_pairwise: 0.670" in report


def test_unknown_param_rejected(tmp_path):
    similarity_dir = write_similarity_dir(tmp_path / "similarity")
    with pytest.raises(ConfigError, match="bootstraps"):
        run_rsa_stage(similarity_dir, tmp_path / "rsa", tmp_path / "m.json", {"bootstraps": 10})


@pytest.mark.parametrize("params", [{"confidence": 1.5}, {"permutations": -1}, {"top_n": 0}, {"bootstrap": True}])
def test_invalid_param_values_rejected(tmp_path, params):
    similarity_dir = write_similarity_dir(tmp_path / "similarity")
    with pytest.raises(ConfigError):
        run_rsa_stage(similarity_dir, tmp_path / "rsa", tmp_path / "m.json", params)


def test_missing_hook_column_names_hook(tmp_path):
    similarity_dir = write_similarity_dir(tmp_path / "similarity")
    cosines = pd.read_csv(similarity_dir / "cosines.csv").drop(columns="blocks.2.hook_mlp_out")
    cosines.to_csv(similarity_dir / "cosines.csv", index=False)
    with pytest.raises(ConceptSimError, match="blocks.2.hook_mlp_out"):
        run_rsa_stage(similarity_dir, tmp_path / "rsa", tmp_path / "m.json", FAST_PARAMS)


def test_missing_settings_file(tmp_path):
    similarity_dir = write_similarity_dir(tmp_path / "similarity")
    (similarity_dir / "settings.json").unlink()
    with pytest.raises(ConceptSimError, match="settings.json"):
        run_rsa_stage(similarity_dir, tmp_path / "rsa", tmp_path / "m.json", FAST_PARAMS)


def test_cosine_outside_range_rejected(tmp_path):
    similarity_dir = write_similarity_dir(tmp_path / "similarity")
    cosines = pd.read_csv(similarity_dir / "cosines.csv")
    cosines.loc[4, "hook_embed"] = 1.5
    cosines.to_csv(similarity_dir / "cosines.csv", index=False)
    with pytest.raises(ConceptSimError, match=r"cosines.csv:6: .*hook_embed"):
        run_rsa_stage(similarity_dir, tmp_path / "rsa", tmp_path / "m.json", FAST_PARAMS)


def test_zero_resamples_skip_ci_and_p(tmp_path):
    similarity_dir = write_similarity_dir(tmp_path / "similarity")
    metrics_path = tmp_path / "m.json"
    table = run_rsa_stage(similarity_dir, tmp_path / "rsa", metrics_path, {"bootstrap": 0, "permutations": 0})
    assert table["rho_ci_low"].isna().all()
    assert table["q_value"].isna().all()
    assert json.loads(metrics_path.read_text())["best_rho_ci_low"] is None
    assert np.isfinite(table["spearman_rho"]).all()
