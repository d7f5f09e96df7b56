"""The similarity stage: cosine similarity per word pair per hook, with anisotropy controls.

Methods, chosen by the `similarity.method` param, applied per hook over the store's word set:
- `raw`: plain cosine.
- `center`: subtract the mean vector before the cosine, which removes the shared direction that
  makes raw cosines of transformer states crowd near 1.
- `zscore`: also divide each dimension by its standard deviation, so that a few dimensions with
  massive activations cannot dominate the cosine.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

from concept_sim.errors import ConceptSimError
from concept_sim.extraction.hooks import parse_hook
from concept_sim.provenance import build_record, write_sidecar
from concept_sim.store import Store

logger = logging.getLogger(__name__)


def normalise(vectors: np.ndarray, method: str) -> np.ndarray:
    """Apply the anisotropy control `method` to `[n_words, d]` vectors, in float64."""
    vectors = np.asarray(vectors, dtype=np.float64)
    if method == "raw":
        return vectors
    centred = vectors - vectors.mean(axis=0, keepdims=True)
    if method == "center":
        return centred
    if method == "zscore":
        scale = vectors.std(axis=0, keepdims=True)
        return np.divide(centred, scale, out=np.zeros_like(centred), where=scale > 0)
    raise ConceptSimError(f"unknown similarity method {method!r}; expected raw, center or zscore")


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Scale each row to unit length; an all-zero row becomes NaN, so its cosines are undefined."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norms > 0, vectors / norms, np.nan)


def pair_cosines(vectors: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Return the cosine of rows `left[i]` and `right[i]`, clipped to [-1, 1]."""
    unit = unit_rows(vectors)
    cosines = np.einsum("ij,ij->i", unit[left], unit[right])
    return np.clip(cosines, -1.0, 1.0)


def hook_diagnostics(vectors: np.ndarray) -> dict[str, float]:
    """Mean, median and SD of the raw cosine over all word pairs, and max |activation| / median |activation|."""
    unit = unit_rows(np.asarray(vectors, dtype=np.float64))
    gram = unit @ unit.T
    upper = gram[np.triu_indices(len(unit), k=1)]
    upper = upper[np.isfinite(upper)]
    magnitudes = np.abs(vectors)
    median = float(np.median(magnitudes))
    return {
        "mean_cos": float(upper.mean()) if upper.size else float("nan"),
        "median_cos": float(np.median(upper)) if upper.size else float("nan"),
        "sd_cos": float(upper.std(ddof=1)) if upper.size > 1 else float("nan"),
        "max_median_ratio": float(magnitudes.max() / median) if median > 0 else float("inf"),
    }


def _word_rows(store_words: list[str], pairs: pd.DataFrame, pairs_path: Path, store_path: Path) -> tuple[np.ndarray, np.ndarray]:
    index = {word: row for row, word in enumerate(store_words)}
    missing = sorted({w for w in pd.concat([pairs["word1"], pairs["word2"]]) if w not in index})
    if missing:
        raise ConceptSimError(
            f"{store_path}: {len(missing)} words of {pairs_path} are not in the store, e.g. {missing[:5]}; "
            "rerun extract on this word list"
        )
    return pairs["word1"].map(index).to_numpy(), pairs["word2"].map(index).to_numpy()


def compute_similarity(store_path: Path, pairs_path: Path, out_dir: Path, method: str) -> pd.DataFrame:
    """Write cosines.csv, hooks.csv and settings.json for every stored hook; return the cosine table."""
    started = time.perf_counter()
    pairs = pd.read_csv(pairs_path, keep_default_na=False, dtype={"word1": str, "word2": str})
    out_dir.mkdir(parents=True, exist_ok=True)

    with Store(store_path) as store:
        left, right = _word_rows(store.words, pairs, pairs_path, store_path)
        columns: dict[str, np.ndarray] = {}
        hook_rows = []
        aliases = dict(store.aliases)
        seen: dict[bytes, str] = {}
        for hook in store.hooks:
            vectors = store.vectors(hook)
            fingerprint = hashlib.sha256(vectors.tobytes()).digest()
            if fingerprint in seen:
                aliases[hook] = seen[fingerprint]
                continue
            seen[fingerprint] = hook
            columns[hook] = pair_cosines(normalise(vectors, method), left, right)
            layer, component = parse_hook(hook)
            hook_rows.append({"hook": hook, "layer": layer, "component": component, **hook_diagnostics(vectors)})
        settings = {**store.settings, "similarity_method": method, "store_attrs": {k: v for k, v in store.attrs.items() if k != "settings"}}

    for row in hook_rows:
        row["aliases"] = ";".join(sorted(a for a, target in aliases.items() if target == row["hook"]))
    cosines = pd.concat([pairs[["word1", "word2", "score"]], pd.DataFrame(columns)], axis=1)
    cosines.to_csv(out_dir / "cosines.csv", index=False)
    hooks = pd.DataFrame(hook_rows)[["hook", "layer", "component", "aliases", "mean_cos", "median_cos", "sd_cos", "max_median_ratio"]]
    hooks.to_csv(out_dir / "hooks.csv", index=False)
    (out_dir / "settings.json").write_text(json.dumps(settings, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    record = build_record("similarity", [store_path, pairs_path], {"method": method})
    for name in ("cosines.csv", "hooks.csv", "settings.json"):
        write_sidecar(out_dir / name, record)
    logger.info(
        "Cosines for %d pairs x %d distinct hooks (%s) in %.1f s",
        len(pairs), len(columns), method, time.perf_counter() - started,
    )
    return cosines
