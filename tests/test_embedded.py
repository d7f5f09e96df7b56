"""The embedded SmolLM2-135M-Instruct loads offline and gives finite vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from concept_sim.config import ExtractMethod, ModelConfig, RunSettings
from concept_sim.extraction.runner import extract_store
from concept_sim.models import load_model
from concept_sim.models.embedded import gguf_path
from concept_sim.store import Store


@pytest.mark.slow
def test_embedded_model_gives_finite_vectors(tmp_path: Path) -> None:
    model = load_model(ModelConfig(id="embedded:smollm2-135m-instruct"), torch.device("cpu"))
    words = ["tiger", "café", "and/or"]
    path = extract_store(words, model, ExtractMethod(templates=["word_quoted"]), RunSettings(device="cpu"), tmp_path / "s.h5", {})

    assert model.n_layers == 30
    assert model.d_model == 576
    assert model.identity["model_weights_file"] == gguf_path().name
    with Store(path) as store:
        assert sorted(store.words) == sorted(words)
        assert store.settings["bos_prepended"] is True
        for hook in store.hooks:
            vectors = store.vectors(hook)
            assert vectors.shape == (3, 576)
            assert np.isfinite(vectors).all(), hook
