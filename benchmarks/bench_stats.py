"""Time the rsa statistics on a synthetic input of SimLex-999's size.

999 pairs over 1,028 words and 121 hooks (hook_embed plus resid_pre, attn_out, mlp_out and
resid_post of 30 layers), with 1000 bootstrap resamples and 1000 permutations by default.
Every hook is a distinct column here. A real store lists resid_post of all but the last layer
as aliases, so it has 92 distinct hooks for 30 layers and runs faster.
The last line reads `stats_seconds=X hooks=H pairs=P`.

    python benchmarks/bench_stats.py [--bootstrap N] [--permutations N] [--layers N]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

from concept_sim.analysis import SimilarityInputs, compute_rsa_table

N_WORDS = 1028
N_PAIRS = 999
COMPONENTS = ("resid_pre", "attn_out", "mlp_out", "resid_post")


def make_pairs(rng: np.random.Generator) -> np.ndarray:
    """Return N_PAIRS distinct word pairs that use every one of N_WORDS words at least once."""
    order = rng.permutation(N_WORDS)
    pairs = {tuple(sorted(order[index : index + 2])) for index in range(0, N_WORDS, 2)}
    while len(pairs) < N_PAIRS:
        first, second = rng.choice(N_WORDS, size=2, replace=False)
        pairs.add((min(first, second), max(first, second)))
    return np.array(sorted(pairs))


def make_inputs(n_layers: int, seed: int) -> SimilarityInputs:
    """Build cosines and hook metadata where signal strength rises and falls across layers."""
    rng = np.random.default_rng(seed)
    pairs = make_pairs(rng)
    scores = np.round(rng.random(N_PAIRS) * 10, 2) / 10
    words = np.array([f"word{index:04d}" for index in range(N_WORDS)])
    word_signal = rng.normal(0, 0.3, N_WORDS)

    hooks = [("hook_embed", 0, "embed")]
    hooks += [(f"blocks.{layer}.hook_{component}", layer, component) for layer in range(n_layers) for component in COMPONENTS]

    columns = {"word1": words[pairs[:, 0]], "word2": words[pairs[:, 1]], "score": scores}
    hook_rows = []
    for hook, layer, component in hooks:
        strength = np.sin(np.pi * (layer + 1) / (n_layers + 1))
        noise = rng.normal(0, 1, N_PAIRS) + word_signal[pairs[:, 0]] + word_signal[pairs[:, 1]]
        columns[hook] = np.tanh(0.3 + strength * scores + 0.5 * noise)
        hook_rows.append({"hook": hook, "layer": layer, "component": component, "aliases": "",
                          "mean_cos": float(columns[hook].mean()), "median_cos": float(columns[hook].median()), "sd_cos": float(columns[hook].std()),
                          "max_median_ratio": 10.0})  # fmt: skip
    return SimilarityInputs(pd.DataFrame(columns), pd.DataFrame(hook_rows), settings={}, files=[])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples of words")
    parser.add_argument("--permutations", type=int, default=1000, help="permutations of the human scores")
    parser.add_argument("--layers", type=int, default=30, help="number of transformer layers")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    inputs = make_inputs(args.layers, args.seed)
    params = {"bootstrap": args.bootstrap, "permutations": args.permutations, "seed": args.seed,
              "confidence": 0.95, "degenerate_median_cos": 0.9, "top_n": 10}  # fmt: skip
    print(f"cpu_count={os.cpu_count()} bootstrap={args.bootstrap} permutations={args.permutations}")

    started = time.perf_counter()
    table, heldout, n_words = compute_rsa_table(inputs, params)
    seconds = time.perf_counter() - started

    print(f"words={n_words} best={table.loc[0, 'hook']} rho={table.loc[0, 'spearman_rho']:.3f} heldout={heldout.hook}")
    print(f"stats_seconds={seconds:.1f} hooks={len(table)} pairs={len(inputs.cosines)}")


if __name__ == "__main__":
    main()
