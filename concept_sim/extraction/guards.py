"""Checks, at the start of every extraction, that each hook carries the tensor its name stands for."""

from __future__ import annotations

import logging

import torch

from concept_sim.errors import ConceptSimError
from concept_sim.extraction.batching import pad_right
from concept_sim.models import LoadedModel

logger = logging.getLogger(__name__)

RELATIVE_TOLERANCE = 1e-4


def _relative_error(actual: torch.Tensor, expected: torch.Tensor) -> float:
    scale = expected.float().abs().max().clamp_min(1e-12)
    return float((actual.float() - expected.float()).abs().max() / scale)


def run_guards(model: LoadedModel, sequences: list[list[int]], pad_id: int) -> None:
    """Check the residual-stream identities on a few inputs and raise on the first failure.

    In every layer `resid_pre + attn_out + mlp_out == resid_post`, `resid_post` of layer l equals
    `resid_pre` of layer l+1, and `resid_pre` equals the Hugging Face model's `hidden_states`.
    """
    input_ids, mask = pad_right(sequences, pad_id)
    input_ids, mask = input_ids.to(model.device), mask.to(model.device)
    n_layers = model.n_layers
    names = [f"blocks.{layer}.hook_{c}" for layer in range(n_layers) for c in ("resid_pre", "attn_out", "mlp_out", "resid_post")]
    with torch.inference_mode():
        _, cache = model.bridge.run_with_cache(input_ids, attention_mask=mask, names_filter=names)
        hidden = model.hf_model(input_ids, attention_mask=mask, output_hidden_states=True).hidden_states

    real = mask.bool()
    model_id = model.identity.get("model_id")
    tolerance = RELATIVE_TOLERANCE if model.dtype == torch.float32 else 1e-2
    for layer in range(n_layers):
        pre = cache[f"blocks.{layer}.hook_resid_pre"][real]
        post = cache[f"blocks.{layer}.hook_resid_post"][real]
        checks = [
            ("resid_pre + attn_out + mlp_out == resid_post",
             pre + cache[f"blocks.{layer}.hook_attn_out"][real] + cache[f"blocks.{layer}.hook_mlp_out"][real], post),
            ("resid_pre == hidden_states", pre, hidden[layer][real]),
        ]
        if layer + 1 < n_layers:
            checks.append(("resid_post == next resid_pre", post, cache[f"blocks.{layer + 1}.hook_resid_pre"][real]))
        for name, actual, expected in checks:
            error = _relative_error(actual, expected)
            if error > tolerance:
                raise ConceptSimError(
                    f"guard failed for model {model_id}, layer {layer}: {name} differs by {error:.3g} "
                    f"(relative, tolerance {tolerance:g}); the hook names do not match this architecture"
                )
    logger.info("Guards passed for %s on %d inputs over %d layers", model_id, len(sequences), n_layers)
