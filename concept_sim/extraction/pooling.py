"""Pooling of each sequence's word tokens into one vector, as a weight matrix over positions."""

from __future__ import annotations

import torch

from concept_sim.errors import ConfigError


def pooling_weights(starts: list[int], ends: list[int], length: int, pooling: str) -> torch.Tensor:
    """Return `[n_sequences, length]` weights that select or average each word span `[start, end)`.

    `last` and `first` put weight 1 on one token; `mean` spreads it evenly over the span.
    Template tokens, BOS and padding always get weight 0.
    """
    weights = torch.zeros(len(starts), length, dtype=torch.float32)
    for row, (start, end) in enumerate(zip(starts, ends, strict=True)):
        if pooling == "last":
            weights[row, end - 1] = 1.0
        elif pooling == "first":
            weights[row, start] = 1.0
        elif pooling == "mean":
            weights[row, start:end] = 1.0 / (end - start)
        else:
            raise ConfigError(f"unknown pooling {pooling!r}; expected last, mean or first")
    return weights


def pool(activations: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Apply `[batch, pos]` weights to `[batch, pos, d_model]` activations, in float32."""
    return torch.einsum("bp,bpd->bd", weights.to(activations.device), activations.float())
