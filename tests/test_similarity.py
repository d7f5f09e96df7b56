"""Cosine similarity, anisotropy controls and per-hook diagnostics against hand computations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from concept_sim.config import ExtractMethod, RunSettings
from concept_sim.extraction.runner import extract_store
from concept_sim.similarity import compute_similarity, hook_diagnostics, normalise, pair_cosines

VECTORS = np.array([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 2.0], [-1.0, 0.0, 0.0]])


def test_pair_cosines_by_hand() -> None:
    cosines = pair_cosines(VECTORS, np.array([0, 0, 0, 1]), np.array([1, 2, 3, 1]))
    assert cosines == pytest.approx([1 / np.sqrt(2), 0.0, -1.0, 1.0])


def test_cosine_clipped_and_float64() -> None:
    nearly_parallel = np.array([[1e-8, 3.0], [1e-8, 3.0]], dtype=np.float32)
    cosines = pair_cosines(nearly_parallel.astype(np.float64), np.array([0]), np.array([1]))
    assert cosines.dtype == np.float64
    assert cosines[0] <= 1.0


def test_zero_vector_gives_nan() -> None:
    vectors = np.array([[0.0, 0.0], [1.0, 0.0]])
    assert np.isnan(pair_cosines(vectors, np.array([0]), np.array([1]))[0])


def test_center_subtracts_mean_vector() -> None:
    centred = normalise(VECTORS, "center")
    assert centred.mean(axis=0) == pytest.approx(np.zeros(3))
    assert centred[0] == pytest.approx(VECTORS[0] - VECTORS.mean(axis=0))


def test_zscore_scales_each_dimension() -> None:
    scaled = normalise(VECTORS, "zscore")
    assert scaled.std(axis=0) == pytest.approx(np.ones(3))
    constant = normalise(np.array([[1.0, 2.0], [1.0, 4.0]]), "zscore")
    assert constant[:, 0] == pytest.approx([0.0, 0.0])


def test_shared_offset_removed_by_centering() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(50, 8)) + np.array([100.0] + [0.0] * 7)
    raw = hook_diagnostics(vectors)
    centred = hook_diagnostics(normalise(vectors, "center"))
    assert raw["mean_cos"] > 0.99
    assert raw["median_cos"] > 0.99
    assert abs(centred["mean_cos"]) < 0.1


def test_diagnostics_by_hand() -> None:
    diagnostics = hook_diagnostics(VECTORS)
    upper = [1 / np.sqrt(2), 0.0, -1.0, 0.0, -1 / np.sqrt(2), 0.0]
    assert diagnostics["mean_cos"] == pytest.approx(np.mean(upper))
    assert diagnostics["median_cos"] == pytest.approx(np.median(upper))
    assert diagnostics["sd_cos"] == pytest.approx(np.std(upper, ddof=1))
    assert diagnostics["max_median_ratio"] == float("inf")
    assert hook_diagnostics(np.array([[1.0, -2.0], [3.0, 4.0]]))["max_median_ratio"] == pytest.approx(4.0 / 2.5)


def test_compute_similarity_on_real_store(tiny_models: dict, tmp_path: Path) -> None:
    words = ["oak", "pine", "café", "tiger"]
    store = extract_store(words, tiny_models["llama"], ExtractMethod(templates=["sentence"]), RunSettings(device="cpu"), tmp_path / "s.h5", {})
    pairs = tmp_path / "pairs.csv"
    pd.DataFrame({"word1": ["oak", "café"], "word2": ["pine", "tiger"], "score": [0.8, 0.1]}).to_csv(pairs, index=False)

    table = compute_similarity(store, pairs, tmp_path / "sim", "raw")
    hooks = pd.read_csv(tmp_path / "sim/hooks.csv", keep_default_na=False)

    assert list(table.columns[:3]) == ["word1", "word2", "score"]
    assert ((table.iloc[:, 3:] >= -1) & (table.iloc[:, 3:] <= 1)).all().all()
    # Llama has no position embedding, so hook_embed has the same vectors as resid_pre of layer 0.
    assert "hook_embed" not in table.columns
    embed_row = hooks[hooks["hook"] == "blocks.0.hook_resid_pre"].iloc[0]
    assert "hook_embed" in embed_row["aliases"].split(";")
    assert "blocks.0.hook_resid_post" in hooks[hooks["hook"] == "blocks.1.hook_resid_pre"].iloc[0]["aliases"]
    assert (tmp_path / "sim/settings.json").exists()
