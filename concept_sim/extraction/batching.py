"""Batch plans and padded input tensors."""

from __future__ import annotations

import torch

from concept_sim.extraction.templating import Encoded


def length_sorted_order(encodings: list[list[Encoded]]) -> list[int]:
    """Return word indices sorted by their longest templated input, so batches carry little padding."""
    return sorted(range(len(encodings)), key=lambda i: (max(len(e.ids) for e in encodings[i]), i))


def batch_offsets(n_words: int, batch_size: int) -> list[int]:
    """Return the first row of each batch and, last, the number of rows."""
    offsets = list(range(0, n_words, batch_size))
    return [*offsets, n_words]


def pad_right(sequences: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad token id lists to one length; return the ids and the attention mask.

    Right padding keeps every real token at the position it has when run alone, so the word's
    span positions stay exact and position embeddings match a single-word run.
    """
    length = max(len(ids) for ids in sequences)
    input_ids = torch.full((len(sequences), length), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), length), dtype=torch.long)
    for row, ids in enumerate(sequences):
        input_ids[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
        mask[row, : len(ids)] = 1
    return input_ids, mask
