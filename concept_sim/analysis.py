"""The rsa stage: read the similarity outputs, compute the statistics, write tables, metrics, figures and report."""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from concept_sim import rsa
from concept_sim.errors import ConceptSimError, ConfigError
from concept_sim.provenance import build_record, write_sidecar
from concept_sim.report import figures, markdown
from concept_sim.report.plot_data import rho_by_layer, scatter_points, split_aliases

logger = logging.getLogger(__name__)

DEFAULT_PARAMS: dict[str, Any] = {
    "bootstrap": 1000,
    "permutations": 1000,
    "seed": 0,
    "confidence": 0.95,
    "degenerate_median_cos": 0.9,
    "top_n": 10,
}
HOOK_COLUMNS = ["hook", "layer", "component", "aliases", "mean_cos", "median_cos", "sd_cos", "max_median_ratio"]
PAIR_COLUMNS = ["word1", "word2", "score"]
RSA_COLUMNS = [
    "hook", "layer", "component", "aliases", "n_pairs", "spearman_rho", "rho_ci_low", "rho_ci_high",
    "spearman_p", "permutation_p", "q_value", "pearson_r", "pearson_p", "kendall_tau", "kendall_p",
    "mean_cos", "median_cos", "sd_cos", "max_median_ratio", "degenerate",
]  # fmt: skip
LABEL_KEYS = ("dataset", "model", "method")
# Cosines may exceed [-1, 1] by float rounding.
COSINE_TOLERANCE = 1e-6


@dataclass
class SimilarityInputs:
    """The similarity stage's outputs: pair cosines, hook metadata and settings."""

    cosines: pd.DataFrame
    hooks: pd.DataFrame
    settings: dict[str, Any]
    files: list[Path]


@dataclass
class RatingsReference:
    """Human agreement to compare rho against: a noise ceiling from raters, or a published figure."""

    noise: dict[str, float | int] | None = None
    published: dict[str, Any] | None = None
    files: list[Path] = field(default_factory=list)


# Parameters


def resolve_params(params: dict[str, Any] | None) -> dict[str, Any]:
    """Return the `rsa:` params with defaults filled in; raise ConfigError on unknown keys or bad values."""
    params = dict(params or {})
    unknown = sorted(set(params) - set(DEFAULT_PARAMS))
    if unknown:
        raise ConfigError(f"Unknown rsa parameter(s) {unknown} in params.yaml; valid keys are {sorted(DEFAULT_PARAMS)}.")
    resolved = {**DEFAULT_PARAMS, **params}

    for key in ("bootstrap", "permutations", "seed"):
        _require_int(key, resolved[key], minimum=0)
    _require_int("top_n", resolved["top_n"], minimum=1)
    _require_float("confidence", resolved["confidence"], 0.0, 1.0, inclusive_high=False)
    _require_float("degenerate_median_cos", resolved["degenerate_median_cos"], -1.0, 1.0, inclusive_high=True)
    if 0 < resolved["bootstrap"] < 2:
        raise ConfigError(f"rsa.bootstrap is {resolved['bootstrap']}; use 0 to skip the bootstrap or at least 2 resamples.")
    return resolved


def _require_int(key: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"rsa.{key} must be an integer >= {minimum}, got {value!r}.")


def _require_float(key: str, value: Any, low: float, high: float, inclusive_high: bool) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"rsa.{key} must be a number, got {value!r}.")
    if not (low < value < high or (inclusive_high and value == high)):
        bracket = "]" if inclusive_high else ")"
        raise ConfigError(f"rsa.{key} must lie in ({low}, {high}{bracket}, got {value!r}.")


# Inputs


def load_similarity(similarity_dir: Path) -> SimilarityInputs:
    """Read cosines.csv, hooks.csv and settings.json and check that they agree."""
    similarity_dir = Path(similarity_dir)
    paths = {name: similarity_dir / name for name in ("cosines.csv", "hooks.csv", "settings.json")}
    for name, path in paths.items():
        if not path.is_file():
            raise ConceptSimError(f"{path}: file not found; run the similarity stage to create {name}.")

    hooks = _read_hooks(paths["hooks.csv"])
    cosines = _read_cosines(paths["cosines.csv"], hooks)
    try:
        settings = json.loads(paths["settings.json"].read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ConceptSimError(f"{paths['settings.json']}: invalid JSON ({error}).") from error
    if not isinstance(settings, dict):
        raise ConceptSimError(f"{paths['settings.json']}: expected a JSON object, got {type(settings).__name__}.")
    return SimilarityInputs(cosines, hooks, settings, list(paths.values()))


def _read_hooks(path: Path) -> pd.DataFrame:
    hooks = pd.read_csv(path, keep_default_na=False, na_values={"mean_cos": [""], "median_cos": [""], "sd_cos": [""], "max_median_ratio": [""]})
    missing = [column for column in HOOK_COLUMNS if column not in hooks.columns]
    if missing:
        raise ConceptSimError(f"{path}: missing column(s) {missing}; expected {HOOK_COLUMNS}.")
    if hooks.empty:
        raise ConceptSimError(f"{path}: no hooks listed.")

    duplicated = hooks["hook"][hooks["hook"].duplicated()].tolist()
    if duplicated:
        raise ConceptSimError(f"{path}: hook(s) {duplicated} listed more than once.")
    hooks["aliases"] = hooks["aliases"].astype(str)
    if not pd.api.types.is_integer_dtype(hooks["layer"]):
        raise ConceptSimError(f"{path}: column layer must contain integers, got {hooks['layer'].tolist()[:5]}.")
    for column in ("mean_cos", "median_cos", "sd_cos", "max_median_ratio"):
        hooks[column] = pd.to_numeric(hooks[column], errors="raise")
    return hooks[HOOK_COLUMNS].reset_index(drop=True)


def _read_cosines(path: Path, hooks: pd.DataFrame) -> pd.DataFrame:
    cosines = pd.read_csv(path, keep_default_na=False, na_values={name: ["", "nan", "NaN"] for name in hooks["hook"]})
    missing = [column for column in PAIR_COLUMNS if column not in cosines.columns]
    if missing:
        raise ConceptSimError(f"{path}: missing column(s) {missing}.")
    if len(cosines) < rsa.MIN_PAIRS:
        raise ConceptSimError(f"{path}: {len(cosines)} pairs; at least {rsa.MIN_PAIRS} are needed for a correlation.")

    absent = [hook for hook in hooks["hook"] if hook not in cosines.columns]
    if absent:
        raise ConceptSimError(f"{path}: no column for hook(s) {absent} listed in hooks.csv.")
    alias_names = {alias for aliases in hooks["aliases"] for alias in split_aliases(aliases)}
    extra = [column for column in cosines.columns if column not in PAIR_COLUMNS and column not in set(hooks["hook"])]
    unknown = [column for column in extra if column not in alias_names]
    if unknown:
        raise ConceptSimError(f"{path}: column(s) {unknown} are neither hooks nor aliases in hooks.csv.")
    if extra:
        logger.info("Ignoring %d alias column(s) in %s; each alias is counted once under its hook", len(extra), path)

    scores = pd.to_numeric(cosines["score"], errors="coerce")
    bad = np.flatnonzero(scores.isna().to_numpy())
    if bad.size:
        raise ConceptSimError(f"{path}:{bad[0] + 2}: score {cosines['score'].iloc[bad[0]]!r} is not a number.")
    cosines["score"] = scores
    for hook in hooks["hook"]:
        cosines[hook] = pd.to_numeric(cosines[hook], errors="raise").astype(float)
        outside = np.flatnonzero(np.abs(cosines[hook].to_numpy()) > 1 + COSINE_TOLERANCE)
        if outside.size:
            raise ConceptSimError(
                f"{path}:{outside[0] + 2}: cosine {cosines[hook].iloc[outside[0]]} for {hook} lies outside [-1, 1]; rerun the similarity stage."
            )
    cosines["word1"] = cosines["word1"].astype(str)
    cosines["word2"] = cosines["word2"].astype(str)
    return cosines[PAIR_COLUMNS + hooks["hook"].tolist()]


def load_ratings_reference(ratings_dir: Path | None, cosines: pd.DataFrame) -> RatingsReference:
    """Read raters.csv for a noise ceiling and report.json for a published agreement, where present."""
    reference = RatingsReference()
    if ratings_dir is None:
        return reference

    raters_path = Path(ratings_dir) / "raters.csv"
    if raters_path.is_file():
        reference.noise = _noise_ceiling_from_file(raters_path, cosines)
        reference.files.append(raters_path)

    report_path = Path(ratings_dir) / "report.json"
    if report_path.is_file():
        try:
            report = json.loads(report_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise ConceptSimError(f"{report_path}: invalid JSON ({error}).") from error
        published = report.get("published_agreement") if isinstance(report, dict) else None
        if published:
            reference.published = published if isinstance(published, dict) else {"value": published}
        reference.files.append(report_path)
    return reference


def _noise_ceiling_from_file(path: Path, cosines: pd.DataFrame) -> dict[str, float | int] | None:
    raters = pd.read_csv(path, keep_default_na=False)
    if raters.empty:
        return None
    missing = [column for column in ("word1", "word2", "rater", "score") if column not in raters.columns]
    if missing:
        raise ConceptSimError(f"{path}: missing column(s) {missing}; expected word1, word2, rater, score.")

    raters["pair"] = raters["word1"].astype(str) + "\t" + raters["word2"].astype(str)
    # NOTE: pairs match on (word1, word2) in the given order, so a rating of (b, a) does not count for (a, b).
    analysed = set(cosines["word1"] + "\t" + cosines["word2"])
    n_rows = len(raters)
    raters = raters[raters["pair"].isin(analysed)]
    logger.info("%s: %d of %d ratings match an analysed pair", path, len(raters), n_rows)
    raters = raters.assign(score=pd.to_numeric(raters["score"], errors="coerce")).dropna(subset=["score"])
    if raters.empty:
        logger.warning("%s: no rating matches an analysed pair; no noise ceiling computed", path)
        return None
    return rsa.noise_ceiling(raters)


# Statistics


def compute_rsa_table(inputs: SimilarityInputs, params: dict[str, Any]) -> tuple[pd.DataFrame, rsa.HeldoutResult, int]:
    """Return the rsa table sorted by Spearman rho, the held-out result and the number of words."""
    hooks = inputs.hooks
    hook_names = hooks["hook"].tolist()
    scores = inputs.cosines["score"].to_numpy(float)
    cosines = inputs.cosines[hook_names].to_numpy(float)
    words, word_ids = np.unique(inputs.cosines[["word1", "word2"]].to_numpy(str), return_inverse=True)
    word_ids = word_ids.reshape(-1, 2)
    word1_ids, word2_ids = word_ids[:, 0], word_ids[:, 1]

    table = rsa.correlation_table(scores, cosines, hook_names)
    low, high = rsa.bootstrap_rho_ci(
        scores, cosines, word1_ids, word2_ids, len(words), params["bootstrap"], params["confidence"], params["seed"]
    )
    table["rho_ci_low"], table["rho_ci_high"] = low, high
    table["permutation_p"] = rsa.permutation_pvalues(scores, cosines, params["permutations"], params["seed"])
    table["q_value"] = rsa.bh_qvalues(table["permutation_p"].to_numpy())
    heldout = rsa.heldout_best_hook(scores, cosines, hook_names, word1_ids, word2_ids, len(words), params["seed"])

    table = hooks.merge(table, on="hook", how="left")
    table["degenerate"] = rsa.degenerate_flags(table["median_cos"].to_numpy(), params["degenerate_median_cos"])
    table = table[RSA_COLUMNS].sort_values("spearman_rho", ascending=False, na_position="last", kind="stable")
    return table.reset_index(drop=True), heldout, len(words)


def build_metrics(
    table: pd.DataFrame,
    heldout: rsa.HeldoutResult,
    n_pairs: int,
    n_words: int,
    reference: RatingsReference,
    labels: dict[str, str],
) -> dict[str, Any]:
    """Return the flat metrics dict: plain numbers and strings, NaN written as null."""
    best = table.iloc[0]
    metrics: dict[str, Any] = {
        **labels,
        "best_hook": str(best["hook"]),
        "best_rho": best["spearman_rho"],
        "best_rho_ci_low": best["rho_ci_low"],
        "best_rho_ci_high": best["rho_ci_high"],
        "best_permutation_p": best["permutation_p"],
        "best_q_value": best["q_value"],
        "best_n_pairs": int(best["n_pairs"]),
        "heldout_hook": heldout.hook,
        "heldout_rho": heldout.rho,
        "heldout_selection_rho": heldout.selection_rho,
        "heldout_n_selection_pairs": heldout.n_selection_pairs,
        "heldout_n_pairs": heldout.n_heldout_pairs,
        "n_pairs": n_pairs,
        "n_words": n_words,
        "n_hooks": len(table),
        "n_degenerate": int(table["degenerate"].sum()),
        "noise_ceiling": None,
    }
    if reference.noise is not None:
        metrics.update(reference.noise)
    for key, value in (reference.published or {}).items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            metrics[f"published_agreement_{key}"] = value
    return {key: _plain(value) for key, value in metrics.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    return value


def resolve_labels(labels: dict[str, Any] | None, settings: dict[str, Any]) -> dict[str, str]:
    """Return the dataset/model/method labels; a missing model falls back to settings' `model_id` or `model`."""
    resolved = {key: str(value) for key, value in (labels or {}).items() if value is not None}
    if "model" not in resolved:
        for key in ("model_id", "model"):
            if isinstance(settings.get(key), str):
                resolved["model"] = settings[key]
                break
    return resolved


# Outputs


def hook_pearson_map(table: pd.DataFrame) -> dict[str, float | None]:
    """Map every hook name, aliases included, to its Pearson r."""
    mapping: dict[str, float | None] = {}
    for record in table.to_dict("records"):
        for name in [record["hook"], *split_aliases(record["aliases"])]:
            mapping[name] = _plain(record["pearson_r"])
    return mapping


def _write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def write_outputs(
    out_dir: Path,
    metrics_path: Path,
    inputs: SimilarityInputs,
    table: pd.DataFrame,
    metrics: dict[str, Any],
    heldout: rsa.HeldoutResult,
    reference: RatingsReference,
    params: dict[str, Any],
) -> list[Path]:
    """Write every rsa artifact and return their paths (sidecars excluded)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    metrics_path.parent.mkdir(parents=True, exist_ok=True)
    layers = rho_by_layer(table)
    best = table.iloc[0]
    points = scatter_points(inputs.cosines, str(best["hook"]))

    written = []
    table.to_csv(out_dir / "rsa.csv", index=False)
    layers.to_csv(out_dir / "rho_by_layer.csv", index=False)
    points.to_csv(out_dir / "scatter.csv", index=False)
    written += [out_dir / "rsa.csv", out_dir / "rho_by_layer.csv", out_dir / "scatter.csv"]
    written.append(_write_json(metrics_path, metrics))
    written.append(_write_json(out_dir / "hook_r.json", hook_pearson_map(table)))

    written.append(figures.plot_rho_by_layer(layers, out_dir / "rho_by_layer.png", params["confidence"]))
    written.append(figures.plot_heatmap(layers, out_dir / "heatmap.png"))
    written.append(figures.plot_scatter(points, str(best["hook"]), float(best["spearman_rho"]), out_dir / "scatter.png"))

    report = markdown.render_rsa_report(
        table=table, metrics=metrics, settings=inputs.settings, params=params, heldout=heldout,
        noise=reference.noise, published=reference.published,
    )  # fmt: skip
    (out_dir / "report.md").write_text(report, encoding="utf-8")
    written.append(out_dir / "report.md")
    return written


def run_rsa_stage(
    similarity_dir: Path,
    out_dir: Path,
    metrics_path: Path,
    params: dict[str, Any] | None,
    ratings_dir: Path | None = None,
    labels: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Run the rsa stage and return the rsa table, one row per distinct hook, best first.

    `params` is the `rsa:` block of params.yaml. `labels` (dataset, model, method) are copied
    into the metrics so that `compare_runs` can name the run.
    """
    started = time.perf_counter()
    resolved = resolve_params(params)
    inputs = load_similarity(Path(similarity_dir))
    logger.info(
        "rsa stage started: %d pairs, %d hooks, %d bootstrap resamples, %d permutations",
        len(inputs.cosines), len(inputs.hooks), resolved["bootstrap"], resolved["permutations"],
    )  # fmt: skip

    reference = load_ratings_reference(ratings_dir, inputs.cosines)
    table, heldout, n_words = compute_rsa_table(inputs, resolved)
    label_values = resolve_labels(labels, inputs.settings)
    metrics = build_metrics(table, heldout, len(inputs.cosines), n_words, reference, label_values)

    written = write_outputs(Path(out_dir), Path(metrics_path), inputs, table, metrics, heldout, reference, resolved)
    record = build_record("rsa", inputs.files + reference.files, resolved, extra={"settings": inputs.settings, "labels": label_values})
    for path in written:
        write_sidecar(path, record)

    logger.info(
        "rsa stage finished in %.1f s: best hook %s (rho %.3f), %d files in %s",
        time.perf_counter() - started, metrics["best_hook"], table["spearman_rho"].iloc[0], len(written), out_dir,
    )  # fmt: skip
    return table
