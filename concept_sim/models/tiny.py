"""Tiny randomly initialised models of real architectures, saved as local Hugging Face folders.

Tests and examples use them for fast, offline forward passes. Each family keeps the traits that
matter for extraction: Llama (SmolLM2) has a BOS token, Qwen2 has none, GPT-2 adds learned
position embeddings. All use the embedded model's byte-level BPE tokenizer, because no other
tokenizer files can be downloaded offline; the Qwen2 stand-in drops its BOS token.
"""

from __future__ import annotations

from pathlib import Path

import torch

FAMILIES = ("llama", "qwen2", "gpt2")


def _config(family: str, vocab_size: int, bos_id: int | None, eos_id: int | None) -> object:
    from transformers import GPT2Config, LlamaConfig, Qwen2Config

    if family == "llama":
        return LlamaConfig(
            vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
            bos_token_id=bos_id, eos_token_id=eos_id, tie_word_embeddings=True,
        )
    if family == "qwen2":
        return Qwen2Config(
            vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
            bos_token_id=None, eos_token_id=eos_id, tie_word_embeddings=True,
        )
    if family == "gpt2":
        return GPT2Config(
            vocab_size=vocab_size, n_embd=32, n_layer=2, n_head=4, n_positions=128,
            bos_token_id=bos_id, eos_token_id=eos_id,
        )
    raise ValueError(f"unknown family {family!r}; expected one of {FAMILIES}")


def build_tiny_model(family: str, target: Path, tokenizer_dir: Path, seed: int = 0) -> Path:
    """Save a tiny random model of `family` with the tokenizer from `tokenizer_dir` into `target`."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    bos_id = tokenizer.bos_token_id
    torch.manual_seed(seed)
    config = _config(family, len(tokenizer), bos_id, tokenizer.eos_token_id)
    model = AutoModelForCausalLM.from_config(config)
    target.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(target)
    if family == "qwen2":
        # Qwen2 tokenizers define no BOS token.
        tokenizer.bos_token = None
    tokenizer.save_pretrained(target)
    return target
