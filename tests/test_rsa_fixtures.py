"""Synthetic similarity-stage outputs shared by the rsa, report and compare tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

N_LAYERS = 3
COMPONENTS = ("resid_pre", "attn_out", "mlp_out")
DEGENERATE_HOOK = "blocks.0.hook_attn_out"
NAN_HOOK = "blocks.1.hook_mlp_out"
SETTINGS = {
    "model_id": "test-org/tiny-model",
    "revision": "abc123",
    "templates": ["{word}", "A {word}."],
    "pooling": "mean",
    "bos": "prepend",
    "dtype": "float32",
    "similarity": {"method": "cosine", "centering": False},
}


def make_pairs(n_words: int = 40, n_pairs: int = 90, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return word1 ids, word2 ids and human scores in [0, 1] with ties, for distinct unordered pairs."""
    rng = np.random.default_rng(seed)
    all_pairs = np.array([(i, j) for i in range(n_words) for j in range(i + 1, n_words)])
    chosen = all_pairs[rng.choice(len(all_pairs), size=n_pairs, replace=False)]
    scores = np.round(rng.random(n_pairs) * 10) / 10
    return chosen[:, 0], chosen[:, 1], scores


def hook_names() -> list[str]:
    names = ["hook_embed"]
    for layer in range(N_LAYERS):
        names += [f"blocks.{layer}.hook_{component}" for component in COMPONENTS]
    return names + [f"blocks.{N_LAYERS - 1}.hook_resid_post"]


def write_similarity_dir(directory: Path, seed: int = 0, with_alias_column: bool = False) -> Path:
    """Write cosines.csv, hooks.csv and settings.json in the similarity stage's layout.

    Hook k's cosine is the score plus noise that shrinks with k, so later hooks correlate better.
    The resid_pre of layer l+1 carries the resid_post of layer l as its alias.
    """
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    word1, word2, scores = make_pairs(seed=seed)
    words = np.array([f"w{index:02d}" for index in range(40)])
    names = hook_names()

    cosines = pd.DataFrame({"word1": words[word1], "word2": words[word2], "score": scores})
    hook_rows = []
    for position, hook in enumerate(names):
        noise = 1.5 / (position + 1)
        values = np.tanh(scores + noise * rng.standard_normal(len(scores)))
        mean_cos = 0.2 + 0.01 * position
        median_cos = mean_cos
        if hook == DEGENERATE_HOOK:
            values = 0.97 + 0.02 * np.tanh(scores + rng.standard_normal(len(scores)))
            mean_cos = 0.97
            median_cos = 0.97
        if hook == NAN_HOOK:
            values[[3, 17]] = np.nan
        cosines[hook] = values

        layer, component = (0, "embed") if hook == "hook_embed" else (int(hook.split(".")[1]), hook.split("hook_")[1])
        aliases = f"blocks.{layer - 1}.hook_resid_post" if component == "resid_pre" and layer > 0 else ""
        hook_rows.append(
            {"hook": hook, "layer": layer, "component": component, "aliases": aliases,
             "mean_cos": mean_cos, "median_cos": median_cos, "sd_cos": 0.1, "max_median_ratio": 5.0 + position}
        )  # fmt: skip

    if with_alias_column:
        cosines["blocks.0.hook_resid_post"] = cosines["blocks.1.hook_resid_pre"]
    cosines.to_csv(directory / "cosines.csv", index=False)
    pd.DataFrame(hook_rows).to_csv(directory / "hooks.csv", index=False)
    (directory / "settings.json").write_text(json.dumps(SETTINGS), encoding="utf-8")
    return directory


def write_ratings_dir(directory: Path, similarity_dir: Path, seed: int = 0) -> Path:
    """Write raters.csv (5 raters, each a noisy copy of the score) and report.json with a published agreement."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    pairs = pd.read_csv(similarity_dir / "cosines.csv")[["word1", "word2", "score"]]
    rows = []
    for rater in range(5):
        noisy = pairs.assign(rater=f"r{rater}", score=pairs["score"] * 10 + rng.normal(0, 2, len(pairs)))
        rows.append(noisy)
    pd.concat(rows)[["word1", "word2", "rater", "score"]].to_csv(directory / "raters.csv", index=False)
    (directory / "report.json").write_text(json.dumps({"published_agreement": {"spearman_mean_pairwise": 0.67}}))
    return directory
