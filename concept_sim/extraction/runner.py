"""The extract stage: every word through the model in its templates, pooled per hook, into a store."""

from __future__ import annotations

import inspect
import logging
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from concept_sim.config import ExtractMethod, RunSettings, settings_hash
from concept_sim.extraction.batching import batch_offsets, length_sorted_order, pad_right
from concept_sim.extraction.guards import run_guards
from concept_sim.extraction.hooks import stored_hooks, structural_aliases
from concept_sim.extraction.pooling import pool, pooling_weights
from concept_sim.extraction.templating import Encoded, bos_token_id, encode
from concept_sim.models import LoadedModel
from concept_sim.provenance import git_commit, library_versions, sha256_text
from concept_sim.store import StoreLayout, StoreWriter, decode_storage, encode_storage

logger = logging.getLogger(__name__)


def _pad_id(tokenizer: Any) -> int:
    for candidate in (tokenizer.pad_token_id, tokenizer.eos_token_id, 0):
        if candidate is not None:
            return int(candidate)
    return 0


def encode_words(model: LoadedModel, words: list[str], method: ExtractMethod) -> tuple[list[list[Encoded]], int | None]:
    """Tokenise every word in every template; return the encodings and the BOS id used."""
    bos_id = bos_token_id(model.native_bos_id, method.bos)
    templates = method.template_texts
    encodings = [[encode(model.tokenizer, template, word, bos_id) for template in templates] for word in words]
    return encodings, bos_id


def build_settings(
    model: LoadedModel,
    method: ExtractMethod,
    run: RunSettings,
    words: list[str],
    bos_id: int | None,
    inputs: dict[str, str],
) -> dict[str, Any]:
    """Collect every setting that changes the stored vectors."""
    tokenizer = model.tokenizer
    return {
        **model.identity,
        "templates": method.templates,
        "template_texts": method.template_texts,
        "template_reduction": "mean over templates",
        "input_cut_after_word": True,
        "pooling": method.pooling,
        "bos_policy": method.bos,
        "bos_token": tokenizer.convert_ids_to_tokens(bos_id) if bos_id is not None else None,
        "bos_prepended": bos_id is not None,
        "tokenizer_has_bos": model.native_bos_id is not None,
        "padding_side": "right",
        "batch_size": run.batch_size,
        "storage_dtype": run.storage_dtype,
        "device": str(model.device),
        "n_layers": model.n_layers,
        "d_model": model.d_model,
        "n_words": len(words),
        "words_sha256": sha256_text("\n".join(words)),
        "inputs_sha256": inputs,
        "libraries": library_versions(),
    }


def _logit_options(model: LoadedModel) -> dict[str, int]:
    """Ask for the logits of one position only, where the Hugging Face model supports it.

    No logit is used, and the unembedding of every position costs about a fifth of a
    SmolLM2-135M forward pass (vocabulary 49,152, d_model 576).
    """
    if "logits_to_keep" in inspect.signature(model.hf_model.forward).parameters:
        return {"logits_to_keep": 1}
    return {}


def _forward_batch(
    model: LoadedModel, batch_encodings: list[list[Encoded]], hooks: list[str], pooling: str, pad_id: int
) -> dict[str, np.ndarray]:
    """Run one batch of words (every template of each) and return template-averaged pooled vectors.

    NOTE: the shared template prefix is recomputed for every word. Feeding a key/value cache of
    the prefix (`past_key_values`) through TransformerBridge gave wrong states with
    TransformerLens 4.3 and transformers 5.x. The cache that the bridge returns, even through
    `return_type="logits_and_cache"`, stayed empty (`get_seq_length()` was 0), and the states of
    SmolLM2 then differed by a relative error above 1. The plain Hugging Face model handles the same cache correctly, but the bridge
    does not, so extraction runs the full input. Cutting each input after the word already
    removes the template's tail.
    """
    flat = [encoding for per_word in batch_encodings for encoding in per_word]
    input_ids, mask = pad_right([e.ids for e in flat], pad_id)
    weights = pooling_weights([e.start for e in flat], [e.end for e in flat], input_ids.shape[1], pooling)
    _, cache = model.bridge.run_with_cache(
        input_ids.to(model.device), attention_mask=mask.to(model.device), names_filter=hooks, **_logit_options(model)
    )
    n_words, n_templates = len(batch_encodings), len(batch_encodings[0])
    vectors = {}
    for hook in hooks:
        pooled = pool(cache[hook], weights).reshape(n_words, n_templates, -1).mean(dim=1)
        vectors[hook] = pooled.cpu().numpy()
    del cache
    return vectors


def extract_store(
    words: list[str],
    model: LoadedModel,
    method: ExtractMethod,
    run: RunSettings,
    out: Path,
    inputs: dict[str, str],
) -> Path:
    """Write the activation store for `words` at `out`, resuming a matching unfinished run."""
    started = time.perf_counter()
    encodings, bos_id = encode_words(model, words, method)
    order = length_sorted_order(encodings)
    ordered_words = [words[i] for i in order]
    ordered_encodings = [encodings[i] for i in order]
    offsets = batch_offsets(len(words), run.batch_size)
    hooks = stored_hooks(model.n_layers)
    pad_id = _pad_id(model.tokenizer)

    settings = build_settings(model, method, run, ordered_words, bos_id, inputs)
    layout = StoreLayout(
        words=ordered_words,
        hooks=hooks,
        d_model=model.d_model,
        n_templates=len(method.templates),
        batch_offsets=offsets,
        settings=settings,
        settings_hash=settings_hash(settings),
        aliases=structural_aliases(model.n_layers),
        storage_dtype=run.storage_dtype,
    )
    guard_inputs = [encoding.ids for per_word in ordered_encodings[:2] for encoding in per_word]
    run_guards(model, guard_inputs, pad_id)

    writer = StoreWriter(out, layout)
    try:
        round_trip_error = _run_batches(writer, model, ordered_encodings, hooks, method.pooling, pad_id)
        path = writer.finish(
            {
                "storage_round_trip_max_relative_error": round_trip_error,
                "extract_seconds": round(time.perf_counter() - started, 3),
                # Kept out of `settings`, so that a new commit does not block resuming a run.
                "git_commit": git_commit() or "not a git checkout",
            }
        )
    finally:
        writer.close()
    logger.info("Extracted %d words x %d hooks in %.1f s", len(words), len(hooks), time.perf_counter() - started)
    return path


def _run_batches(
    writer: StoreWriter,
    model: LoadedModel,
    encodings: list[list[Encoded]],
    hooks: list[str],
    pooling: str,
    pad_id: int,
) -> float:
    """Run and write every pending batch; return the largest relative storage round-trip error.

    NOTE: after a resume, the error covers only the batches computed by this process, because
    the exact vectors of earlier batches are gone once they are stored in reduced precision.
    """
    offsets = writer.layout.batch_offsets
    pending = writer.pending_batches()
    worst_error = 0.0
    total_words = sum(offsets[b + 1] - offsets[b] for b in pending)
    with torch.inference_mode(), tqdm(total=total_words, unit="word", desc="extract", smoothing=0.1) as progress:
        for batch in pending:
            start, end = offsets[batch], offsets[batch + 1]
            batch_encodings = encodings[start:end]
            vectors = _forward_batch(model, batch_encodings, hooks, pooling, pad_id)
            tokens = [[e.ids for e in per_word] for per_word in batch_encodings]
            spans = np.array([[[e.start, e.end] for e in per_word] for per_word in batch_encodings], dtype=np.int64)
            writer.write_batch(batch, vectors, tokens, spans)
            worst_error = max(worst_error, _round_trip_error(vectors, writer.layout.storage_dtype))
            progress.update(end - start)
            logger.debug("Wrote batch %d (rows %d to %d)", batch, start, end)
    return worst_error


def _round_trip_error(vectors: dict[str, np.ndarray], storage_dtype: str) -> float:
    """Return the largest |stored - computed| / max|computed| over a batch's hooks."""
    if storage_dtype == "float32":
        return 0.0
    worst = 0.0
    for values in vectors.values():
        restored = decode_storage(encode_storage(values, storage_dtype), storage_dtype)
        scale = max(float(np.abs(values).max()), 1e-12)
        worst = max(worst, float(np.abs(restored - values).max()) / scale)
    return worst
