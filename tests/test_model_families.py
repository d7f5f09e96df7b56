"""The CLI stages on tiny Qwen2 and GPT-2 models, standing in for Qwen/Qwen2.5-1.5B and gpt2."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from concept_sim.store import Store
from tests.helpers import run_cli, write_project

RUN = "artifacts/toy/tiny/default"


@pytest.mark.parametrize(("family", "bos_prepended", "embed_aliased"), [("qwen2", False, True), ("gpt2", True, False)])
def test_family_runs_every_stage(tiny_model_dirs: dict, tmp_path: Path, family: str, bos_prepended: bool, embed_aliased: bool) -> None:
    root = write_project(tmp_path / family, tiny_model_dirs[family])
    for stage in ("prepare", "extract", "similarity", "rsa"):
        arguments = ["--dataset", "toy"] if stage == "prepare" else ["--dataset", "toy", "--model", "tiny"]
        run_cli(root, stage, *arguments)

    with Store(root / RUN / "store.h5") as store:
        settings = store.settings
    hooks = pd.read_csv(root / RUN / "similarity/hooks.csv", keep_default_na=False)
    metrics = json.loads((root / RUN / "metrics.json").read_text(encoding="utf-8"))

    assert settings["bos_prepended"] is bos_prepended
    assert settings["tokenizer_has_bos"] is bos_prepended
    assert settings["n_layers"] == 2
    # GPT-2 adds learned position embeddings, so its hook_embed differs from resid_pre of layer 0.
    assert ("hook_embed" not in set(hooks["hook"])) is embed_aliased
    assert metrics["n_pairs"] == 12
    assert metrics["best_hook"] in set(hooks["hook"])
