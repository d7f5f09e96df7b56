"""Batched extraction, the HDF5 store and resuming after a kill, on tiny random models."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import h5py
import numpy as np
import pytest

from concept_sim.config import ExtractMethod, RunSettings
from concept_sim.errors import StoreError
from concept_sim.extraction.hooks import stored_hooks
from concept_sim.extraction.runner import encode_words, extract_store
from concept_sim.store import Store, partial_path
from tests.helpers import CLI, run_cli, subprocess_env, write_project

WORDS = ["cat", "redwood", "naïve", "and/or", "café", "antidisestablishmentarianism", "tiger", "oak"]


def _vectors(path: Path) -> dict[str, dict[str, np.ndarray]]:
    with Store(path) as store:
        words = store.words
        return {hook: dict(zip(words, store.vectors(hook))) for hook in store.hooks}


@pytest.mark.parametrize("family", ["llama", "qwen2", "gpt2"])
def test_batched_equals_single_word(tiny_models: dict, tmp_path: Path, family: str) -> None:
    model = tiny_models[family]
    method = ExtractMethod(templates=["word_quoted", "sentence"], pooling="mean", bos="auto")
    encodings, _ = encode_words(model, WORDS, method)
    token_counts = {word: e[0].end - e[0].start for word, e in zip(WORDS, encodings)}
    batched = extract_store(WORDS, model, method, RunSettings(batch_size=8, device="cpu"), tmp_path / "b.h5", {})
    single = extract_store(WORDS, model, method, RunSettings(batch_size=1, device="cpu"), tmp_path / "s.h5", {})

    assert min(token_counts.values()) == 1
    assert max(token_counts.values()) >= 5
    batched_vectors, single_vectors = _vectors(batched), _vectors(single)
    for hook in batched_vectors:
        for word in WORDS:
            a, b = batched_vectors[hook][word], single_vectors[hook][word]
            assert np.abs(a - b).max() <= 1e-5 * max(np.abs(b).max(), 1e-6), (hook, word)


def test_store_layout_and_unicode(tiny_models: dict, tmp_path: Path) -> None:
    model = tiny_models["llama"]
    method = ExtractMethod(templates=["definition"], pooling="last", bos="auto")
    path = extract_store(WORDS, model, method, RunSettings(batch_size=3, device="cpu"), tmp_path / "store.h5", {"words.txt": "abc"})

    with Store(path) as store:
        assert sorted(store.words) == sorted(WORDS)
        assert store.hooks == sorted(stored_hooks(model.n_layers))
        settings = store.settings
        assert settings["pooling"] == "last"
        assert settings["template_texts"] == ["The meaning of the word {word}"]
        assert settings["bos_prepended"] is True
        assert settings["inputs_sha256"] == {"words.txt": "abc"}
        assert "torch" in settings["libraries"]
        assert store.aliases["blocks.0.hook_resid_post"] == "blocks.1.hook_resid_pre"
    with h5py.File(path) as handle:
        assert handle["tokens"].shape == (len(WORDS), 1)
        assert handle["spans"].shape == (len(WORDS), 1, 2)
        assert handle.attrs["complete"]
        assert handle.attrs["git_commit"]
    assert not partial_path(path).exists()


def test_qwen_store_records_no_bos(tiny_models: dict, tmp_path: Path) -> None:
    method = ExtractMethod(templates=["word_quoted"], pooling="last", bos="auto")
    path = extract_store(WORDS[:3], tiny_models["qwen2"], method, RunSettings(device="cpu"), tmp_path / "q.h5", {})
    with Store(path) as store:
        assert store.settings["bos_prepended"] is False
        assert store.settings["tokenizer_has_bos"] is False


@pytest.mark.parametrize(("storage", "tolerance"), [("float16", 1e-3), ("bfloat16", 1e-2)])
def test_reduced_storage_round_trip(tiny_models: dict, tmp_path: Path, storage: str, tolerance: float) -> None:
    model = tiny_models["llama"]
    method = ExtractMethod(templates=["word_quoted"], pooling="last", bos="auto")
    full = extract_store(WORDS, model, method, RunSettings(device="cpu"), tmp_path / "f.h5", {})
    reduced = extract_store(WORDS, model, method, RunSettings(device="cpu", storage_dtype=storage), tmp_path / "r.h5", {})

    with Store(reduced) as store:
        recorded = store.attrs["storage_round_trip_max_relative_error"]
    assert 0 < recorded < tolerance
    a, b = _vectors(full), _vectors(reduced)
    for hook in a:
        scale = max(np.abs(v).max() for v in a[hook].values())
        for word in WORDS:
            assert np.abs(a[hook][word] - b[hook][word]).max() <= recorded * scale * 1.0001 + 1e-12


def test_incomplete_store_rejected(tiny_models: dict, tmp_path: Path) -> None:
    path = extract_store(WORDS[:3], tiny_models["llama"], ExtractMethod(), RunSettings(device="cpu"), tmp_path / "x.h5", {})
    with h5py.File(path, "r+") as handle:
        handle.attrs["complete"] = False

    with pytest.raises(StoreError, match="incomplete"):
        Store(path)
    with pytest.raises(StoreError, match="not found"):
        Store(tmp_path / "missing.h5")


def _kill_after_batches(root: Path, batches: int) -> None:
    """Start extract and SIGKILL it once it has logged `batches` written batches."""
    args = [*CLI, "--verbose", "extract", "--dataset", "toy", "--model", "tiny"]
    process = subprocess.Popen(args, cwd=root, env=subprocess_env(), stderr=subprocess.PIPE, text=True)
    seen = 0
    assert process.stderr is not None
    for line in process.stderr:
        if "Wrote batch" in line:
            seen += 1
            if seen == batches:
                process.send_signal(signal.SIGKILL)
                break
    process.wait()
    assert process.returncode == -signal.SIGKILL, "extract finished before it could be killed"


def test_kill_and_resume(tiny_model_dirs: dict, tmp_path: Path) -> None:
    words = [f"word{i}" for i in range(60)]
    lines = [f"{words[i]}#n {words[i + 1]}#n {i % 10}" for i in range(len(words) - 1)]
    killed = write_project(tmp_path / "killed", tiny_model_dirs["llama"], lines, extract_run__batch_size=1)
    clean = write_project(tmp_path / "clean", tiny_model_dirs["llama"], lines, extract_run__batch_size=1)
    for root in (killed, clean):
        run_cli(root, "prepare", "--dataset", "toy")

    _kill_after_batches(killed, 5)
    store = killed / "artifacts/toy/tiny/default/store.h5"
    assert partial_path(store).exists()
    assert not store.exists()
    with pytest.raises(StoreError, match="unfinished run"):
        Store(store)

    resumed = run_cli(killed, "extract", "--dataset", "toy", "--model", "tiny")
    run_cli(clean, "extract", "--dataset", "toy", "--model", "tiny")

    assert "Resuming" in resumed.stderr
    assert "batches already done" in resumed.stderr
    a, b = _vectors(store), _vectors(clean / "artifacts/toy/tiny/default/store.h5")
    for hook in a:
        for word in words:
            assert np.abs(a[hook][word] - b[hook][word]).max() <= 1e-6 * max(np.abs(b[hook][word]).max(), 1e-6)


def test_resume_rejected_after_settings_change(tiny_model_dirs: dict, tmp_path: Path) -> None:
    words = [f"word{i}" for i in range(60)]
    lines = [f"{words[i]}#n {words[i + 1]}#n {i % 10}" for i in range(len(words) - 1)]
    root = write_project(tmp_path / "p", tiny_model_dirs["llama"], lines, extract_run__batch_size=1)
    run_cli(root, "prepare", "--dataset", "toy")
    _kill_after_batches(root, 3)

    write_project(root, tiny_model_dirs["llama"], lines, extract_run__batch_size=2)
    rerun = run_cli(root, "extract", "--dataset", "toy", "--model", "tiny")

    assert "Starting" in rerun.stderr
    assert "settings or input hashes differ" in rerun.stderr
    assert (root / "artifacts/toy/tiny/default/store.h5").exists()


def test_guard_failure_names_model_and_layer(tiny_model_dirs: dict, tmp_path: Path) -> None:
    from dataclasses import replace

    import torch

    from concept_sim.config import ModelConfig
    from concept_sim.errors import ConceptSimError
    from concept_sim.models import load_model
    from concept_sim.models.tiny import build_tiny_model

    other_dir = build_tiny_model("llama", tmp_path / "other", tiny_model_dirs["llama"], seed=1)
    model = load_model(ModelConfig(id=str(tiny_model_dirs["llama"])), torch.device("cpu"))
    other = load_model(ModelConfig(id=str(other_dir)), torch.device("cpu"))
    mismatched = replace(model, hf_model=other.hf_model)

    with pytest.raises(ConceptSimError, match=r"guard failed for model .*, layer 0: resid_pre == hidden_states"):
        extract_store(WORDS[:2], mismatched, ExtractMethod(), RunSettings(device="cpu"), tmp_path / "g.h5", {})
    assert not (tmp_path / "g.h5").exists()
    assert not partial_path(tmp_path / "g.h5").exists()
