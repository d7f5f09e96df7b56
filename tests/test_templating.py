"""Templated inputs, word spans from offsets, BOS policy and pooling weights."""

from __future__ import annotations

import pytest
import torch

from concept_sim.errors import ConfigError
from concept_sim.extraction.pooling import pool, pooling_weights
from concept_sim.extraction.templating import bos_token_id, encode, render


def test_render_adds_leading_space_at_start() -> None:
    text, start, end = render("{word}", "oak")
    assert text == " oak"
    assert text[start:end] == "oak"


def test_render_keeps_template_text() -> None:
    text, start, end = render('The word "{word}"', "café")
    assert text == 'The word "café"'
    assert text[start:end] == "café"


@pytest.mark.parametrize("word", ["cat", "redwood", "naïve", "and/or", "antidisestablishmentarianism"])
def test_span_covers_exactly_the_word(tiny_models: dict, word: str) -> None:
    tokenizer = tiny_models["llama"].tokenizer
    encoded = encode(tokenizer, "The meaning of the word {word}", word, None)
    pieces = tokenizer.decode(encoded.ids[encoded.start:encoded.end])
    prefix = tokenizer.decode(encoded.ids[: encoded.start])

    assert pieces.strip() == word
    assert prefix.rstrip() == "The meaning of the word"
    assert encoded.end == len(encoded.ids)


def test_bos_prepended_shifts_span(tiny_models: dict) -> None:
    tokenizer = tiny_models["llama"].tokenizer
    bos = bos_token_id(tiny_models["llama"].native_bos_id, "auto")
    plain = encode(tokenizer, "I saw a {word}.", "tiger", None)
    with_bos = encode(tokenizer, "I saw a {word}.", "tiger", bos)
    text_ids = tokenizer("I saw a tiger", add_special_tokens=False)["input_ids"]

    assert bos is not None
    assert with_bos.ids[0] == bos
    assert with_bos.ids[1:] == plain.ids
    assert plain.ids == text_ids
    assert (with_bos.start, with_bos.end) == (plain.start + 1, plain.end + 1)


def test_qwen_tokenizer_has_no_bos(tiny_models: dict) -> None:
    native_bos = tiny_models["qwen2"].native_bos_id
    assert native_bos is None
    assert bos_token_id(native_bos, "auto") is None
    with pytest.raises(ConfigError, match="no BOS token"):
        bos_token_id(native_bos, "always")


def test_bos_never_policy(tiny_models: dict) -> None:
    assert bos_token_id(tiny_models["llama"].native_bos_id, "never") is None


@pytest.mark.parametrize(
    ("pooling", "expected"),
    [("last", [0.0, 0.0, 1.0, 0.0]), ("first", [0.0, 1.0, 0.0, 0.0]), ("mean", [0.0, 0.5, 0.5, 0.0])],
)
def test_pooling_weights(pooling: str, expected: list[float]) -> None:
    weights = pooling_weights([1], [3], 4, pooling)
    assert weights[0].tolist() == expected


def test_pool_matches_hand_computation() -> None:
    activations = torch.arange(24, dtype=torch.float32).reshape(2, 4, 3)
    weights = pooling_weights([1, 0], [3, 1], 4, "mean")
    pooled = pool(activations, weights)

    assert torch.allclose(pooled[0], activations[0, 1:3].mean(dim=0))
    assert torch.allclose(pooled[1], activations[1, 0])
