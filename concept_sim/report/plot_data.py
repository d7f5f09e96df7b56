"""Tables behind the figures, also written as CSV for `dvc plots show`."""

from __future__ import annotations

import re

import pandas as pd

COMPONENT_ORDER = ("embed", "resid_pre", "attn_out", "mlp_out", "resid_post")
LAYER_COLUMNS = ["layer", "component", "hook", "spearman_rho", "rho_ci_low", "rho_ci_high", "degenerate"]
_BLOCK_HOOK = re.compile(r"^blocks\.(\d+)\.hook_(\w+)$")


def parse_hook_name(name: str) -> tuple[int, str] | None:
    """Return (layer, component) of a TransformerLens hook name, or None for other names."""
    if name == "hook_embed":
        return 0, "embed"
    match = _BLOCK_HOOK.match(name)
    if match is None:
        return None
    return int(match.group(1)), match.group(2)


def split_aliases(aliases: str) -> list[str]:
    return [name.strip() for name in str(aliases).split(";") if name.strip()]


def rho_by_layer(table: pd.DataFrame) -> pd.DataFrame:
    """Return one row per hook name, distinct hooks and their aliases, ordered by component and layer.

    An alias shares its hook's numbers, so `blocks.4.hook_resid_post` repeats the row of
    `blocks.5.hook_resid_pre`. This gives every component its full layer series.
    """
    rows = []
    for record in table.to_dict("records"):
        row = {column: record[column] for column in LAYER_COLUMNS}
        rows.append(row)
        for alias in split_aliases(record["aliases"]):
            parsed = parse_hook_name(alias)
            if parsed is not None:
                rows.append({**row, "layer": parsed[0], "component": parsed[1], "hook": alias})

    frame = pd.DataFrame(rows, columns=LAYER_COLUMNS)
    frame["component_rank"] = frame["component"].map(_component_rank)
    frame = frame.sort_values(["component_rank", "layer", "hook"]).drop(columns="component_rank")
    return frame.reset_index(drop=True)


def _component_rank(component: str) -> int:
    return COMPONENT_ORDER.index(component) if component in COMPONENT_ORDER else len(COMPONENT_ORDER)


def ordered_components(components: pd.Series) -> list[str]:
    """Return the distinct components, known ones in residual-stream order, others after them."""
    return sorted(components.unique(), key=lambda name: (_component_rank(name), name))


def scatter_points(cosines: pd.DataFrame, hook: str) -> pd.DataFrame:
    """Return word1, word2, score and the cosine of one hook, without the pairs whose cosine is NaN."""
    points = cosines[["word1", "word2", "score", hook]].rename(columns={hook: "cosine"})
    return points.dropna(subset=["cosine"]).reset_index(drop=True)
