"""`concept-sim store info` and `store validate` on real stores."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from concept_sim.config import ExtractMethod, RunSettings
from concept_sim.extraction.runner import extract_store
from tests.helpers import run_cli


@pytest.fixture()
def store(tiny_models: dict, tmp_path: Path) -> Path:
    method = ExtractMethod(templates=["word_quoted"], pooling="last", bos="auto")
    return extract_store(["oak", "café", "pine"], tiny_models["llama"], method, RunSettings(device="cpu"), tmp_path / "store.h5", {})


def test_info_shows_layout_and_settings(store: Path) -> None:
    result = run_cli(store.parent, "store", "info", str(store))
    assert "complete: True" in result.stdout
    assert "words: 3" in result.stdout
    assert "pooling" in result.stdout
    assert "template_texts" in result.stdout


def test_validate_accepts_good_store(store: Path) -> None:
    result = run_cli(store.parent, "store", "validate", str(store))
    assert result.returncode == 0
    assert "valid" in result.stdout


def test_validate_rejects_nan(store: Path) -> None:
    with h5py.File(store, "r+") as handle:
        handle["hooks/blocks.1.hook_mlp_out"][1, 0] = np.nan

    result = run_cli(store.parent, "store", "validate", str(store), check=False)
    assert result.returncode == 1
    assert "blocks.1.hook_mlp_out has NaN or inf in 1 rows" in result.stderr


def test_validate_rejects_missing_batches(store: Path) -> None:
    with h5py.File(store, "r+") as handle:
        handle["batches/done"][0] = 0
        handle.attrs["complete"] = False

    result = run_cli(store.parent, "store", "validate", str(store), check=False)
    assert result.returncode == 1
    assert "no completion mark" in result.stderr
    assert "batches not written" in result.stderr


def test_validate_rejects_non_hdf5(tmp_path: Path) -> None:
    bogus = tmp_path / "store.h5"
    bogus.write_text("not hdf5", encoding="utf-8")

    result = run_cli(tmp_path, "store", "validate", str(bogus), check=False)
    assert result.returncode == 1
    assert "not a readable HDF5 file" in result.stderr


def test_similarity_rejects_incomplete_store(store: Path, tmp_path: Path) -> None:
    with h5py.File(store, "r+") as handle:
        handle.attrs["complete"] = False
    from concept_sim.errors import StoreError
    from concept_sim.similarity import compute_similarity

    pairs = tmp_path / "pairs.csv"
    pairs.write_text("word1,word2,score\noak,pine,0.5\n", encoding="utf-8")
    with pytest.raises(StoreError, match="incomplete"):
        compute_similarity(store, pairs, tmp_path / "out", "raw")
