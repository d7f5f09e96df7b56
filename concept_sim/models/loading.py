"""Load a model by hub id, local folder or the embedded name, wrapped in a TransformerBridge."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from concept_sim.config import ModelConfig
from concept_sim.errors import ConfigError
from concept_sim.models import embedded

logger = logging.getLogger(__name__)

TORCH_DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


@dataclass
class LoadedModel:
    """A bridged model with its tokenizer, the raw Hugging Face model and what identifies its weights."""

    bridge: Any
    tokenizer: Any
    hf_model: Any
    device: torch.device
    dtype: torch.dtype
    native_bos_id: int | None = None
    identity: dict[str, Any] = field(default_factory=dict)

    @property
    def n_layers(self) -> int:
        return int(self.bridge.cfg.n_layers)

    @property
    def d_model(self) -> int:
        return int(self.bridge.cfg.d_model)


def resolve_device(requested: str) -> torch.device:
    """Map `auto` to CUDA when available, else the CPU."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested == "cuda" and not torch.cuda.is_available():
        raise ConfigError("extract_run.device is cuda but no CUDA device is available; use auto or cpu")
    return torch.device(requested)


def load_model(config: ModelConfig, device: torch.device) -> LoadedModel:
    """Load the model named in `config` on `device` in its configured dtype."""
    from transformer_lens.model_bridge import TransformerBridge
    from transformers import AutoModelForCausalLM, AutoTokenizer

    started = time.perf_counter()
    dtype = TORCH_DTYPES[config.dtype]
    identity: dict[str, Any] = {"model_id": config.id, "model_revision": config.revision, "model_dtype": config.dtype}

    if embedded.is_embedded(config.id):
        source, digest = embedded.converted_dir(config.id)
        identity.update(
            {
                "model_source": "embedded GGUF",
                "model_hub_equivalent": embedded.EMBEDDED_HUB_ID,
                "model_weights_sha256": digest,
                "model_weights_file": embedded.GGUF_NAME,
            }
        )
        revision = None
    else:
        source = config.id
        revision = config.revision
        local = Path(config.id)
        identity["model_source"] = "local folder" if local.is_dir() else "hub"
        if local.is_dir():
            identity["model_weights_sha256"] = _folder_weights_hash(local)

    tokenizer = AutoTokenizer.from_pretrained(source, revision=revision)
    # The bridge gives a tokenizer without BOS (Qwen2, for one) its EOS as BOS, so the
    # tokenizer's own BOS is read before booting it.
    native_bos_id = tokenizer.bos_token_id
    hf_model = AutoModelForCausalLM.from_pretrained(source, revision=revision, dtype=dtype)
    hf_model.eval()
    identity["model_architecture"] = type(hf_model).__name__
    identity["model_commit_hash"] = getattr(hf_model.config, "_commit_hash", None)
    bridge = TransformerBridge.boot_transformers(
        str(source), hf_model=hf_model, tokenizer=tokenizer, device=device, dtype=dtype
    )
    bridge.eval()
    logger.info(
        "Loaded %s (%s, %d layers, d_model %d) on %s in %.1f s",
        config.id,
        identity["model_architecture"],
        bridge.cfg.n_layers,
        bridge.cfg.d_model,
        device,
        time.perf_counter() - started,
    )
    return LoadedModel(bridge, tokenizer, hf_model, device, dtype, native_bos_id, identity)


def _folder_weights_hash(folder: Path) -> str:
    """Hash the weight files of a local model folder, so a changed checkpoint changes the record."""
    from concept_sim.provenance import sha256_text, sha256_file

    parts = [f"{p.name}:{sha256_file(p)}" for p in sorted(folder.glob("*.safetensors")) + sorted(folder.glob("*.bin"))]
    return sha256_text("\n".join(parts))
