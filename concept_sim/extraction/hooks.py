"""The hooks kept per word, named as TransformerLens names them."""

from __future__ import annotations

import re

COMPONENTS = ("resid_pre", "attn_out", "mlp_out", "resid_post")
_BLOCK_HOOK = re.compile(r"^blocks\.(\d+)\.hook_(resid_pre|attn_out|mlp_out|resid_post)$")


def stored_hooks(n_layers: int) -> list[str]:
    """Return the hooks written to the store.

    `resid_post` of layer l is the same tensor as `resid_pre` of layer l+1, so only the last
    layer's `resid_post` is stored; `structural_aliases` names the others.
    """
    hooks = ["hook_embed"]
    for layer in range(n_layers):
        hooks += [f"blocks.{layer}.hook_resid_pre", f"blocks.{layer}.hook_attn_out", f"blocks.{layer}.hook_mlp_out"]
    hooks.append(f"blocks.{n_layers - 1}.hook_resid_post")
    return hooks


def structural_aliases(n_layers: int) -> dict[str, str]:
    """Map each `resid_post` hook that is not stored to the `resid_pre` hook holding its vectors."""
    return {f"blocks.{layer}.hook_resid_post": f"blocks.{layer + 1}.hook_resid_pre" for layer in range(n_layers - 1)}


def parse_hook(hook: str) -> tuple[int, str]:
    """Return `(layer, component)` of a hook name; `hook_embed` is layer 0, component `embed`."""
    if hook == "hook_embed":
        return 0, "embed"
    match = _BLOCK_HOOK.match(hook)
    if match is None:
        raise ValueError(f"unknown hook name {hook!r}")
    return int(match.group(1)), match.group(2)
