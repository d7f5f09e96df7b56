"""Put a word into its context template, tokenise it and find the word's own tokens.

The word's span is found from the tokenizer's character offsets in the full templated text,
never by tokenising the word alone, because byte-level BPE merges a word with its leading space
differently in and out of context. BOS is handled here, not by the tokenizer, so that every
model family follows the same explicit policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from concept_sim.errors import ConceptSimError, ConfigError

PLACEHOLDER = "{word}"


@dataclass(frozen=True)
class Encoded:
    """One templated input: token ids and the word's token positions `[start, end)`."""

    ids: list[int]
    start: int
    end: int


def render(template: str, word: str) -> tuple[str, int, int]:
    """Return the templated text and the word's character span.

    A template that begins with the placeholder gets a leading space, so the word is always
    tokenised as it appears after a space in running text.
    """
    position = template.index(PLACEHOLDER)
    if position == 0:
        template = " " + template
        position = 1
    text = template[:position] + word + template[position + len(PLACEHOLDER):]
    return text, position, position + len(word)


def bos_token_id(native_bos_id: int | None, policy: str) -> int | None:
    """Return the BOS id to prepend under `policy` (auto, always or never), or None.

    `native_bos_id` is the tokenizer's own BOS before TransformerLens touched it: None for model
    families without one, such as Qwen2, where `auto` then prepends nothing.
    """
    bos = native_bos_id
    if policy == "never":
        return None
    if policy == "always" and bos is None:
        raise ConfigError("extract.bos is 'always' but this tokenizer has no BOS token; use auto or never")
    return bos


def encode(tokenizer: Any, template: str, word: str, bos_id: int | None) -> Encoded:
    """Tokenise `word` inside `template`, locate the tokens that overlap the word's characters and
    cut the input after the word."""
    text, char_start, char_end = render(template, word)
    encoding = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids = list(encoding["input_ids"])
    offsets = encoding["offset_mapping"]
    positions = [
        index
        for index, (start, end) in enumerate(offsets)
        if start < char_end and end > char_start and end > start
    ]
    if not positions:
        raise ConceptSimError(f"word {word!r} produced no tokens inside template {template!r}")
    if positions != list(range(positions[0], positions[-1] + 1)):
        raise ConceptSimError(f"word {word!r} maps to non-contiguous tokens {positions} in {text!r}")

    # A causal model's states at the word never depend on later tokens, so the input ends with
    # the word: template text after it would only cost compute.
    ids = ids[: positions[-1] + 1]
    shift = 0
    if bos_id is not None:
        ids = [bos_id, *ids]
        shift = 1
    return Encoded(ids=ids, start=positions[0] + shift, end=positions[-1] + 1 + shift)
