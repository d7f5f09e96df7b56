"""Shared fixtures: offline mode, the embedded tokenizer and tiny random models of real architectures."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("DVC_NO_ANALYTICS", "1")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import torch  # noqa: E402

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def shared_data(*parts: str) -> Path:
    """Return a path under the developers' shared data folder, skipping the test when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the public rating files are not part of this repository")
    return path


@pytest.fixture(scope="session")
def tokenizer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedded SmolLM2 byte-level BPE tokenizer, saved as a plain Hugging Face folder."""
    from transformers import AutoTokenizer

    from concept_sim.models.embedded import gguf_path

    source = gguf_path()
    tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
    target = tmp_path_factory.mktemp("tokenizer")
    tokenizer.save_pretrained(target)
    return target


@pytest.fixture(scope="session")
def tiny_model_dirs(tmp_path_factory: pytest.TempPathFactory, tokenizer_dir: Path) -> dict[str, Path]:
    """Tiny random Llama, Qwen2 and GPT-2 models saved as local folders."""
    from concept_sim.models.tiny import FAMILIES, build_tiny_model

    root = tmp_path_factory.mktemp("tiny-models")
    return {family: build_tiny_model(family, root / family, tokenizer_dir) for family in FAMILIES}


@pytest.fixture(scope="session")
def tiny_models(tiny_model_dirs: dict[str, Path]) -> dict[str, object]:
    """The tiny models loaded through the TransformerBridge on the CPU."""
    from concept_sim.config import ModelConfig
    from concept_sim.models import load_model

    return {family: load_model(ModelConfig(id=str(path)), torch.device("cpu")) for family, path in tiny_model_dirs.items()}
