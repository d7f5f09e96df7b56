"""Statistics that relate each hook's pair cosines to the human similarity scores.

Every function takes plain arrays. `scores` contains one human score per word pair. `cosines`
contains one column per distinct hook, with rows for the same pairs and NaN where a hook has no
cosine. `word1_ids` and `word2_ids` give each pair's words as indices into `range(n_words)`.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

logger = logging.getLogger(__name__)

MIN_PAIRS = 3
# Resamples handled in one array pass, which bounds memory at about 10 * CHUNK * n_pairs * n_hooks floats.
RESAMPLE_CHUNK = 16


@dataclass(frozen=True)
class HeldoutResult:
    """Best hook chosen on one half of the words and scored on pairs of the other half."""

    hook: str | None
    rho: float
    selection_rho: float
    n_selection_pairs: int
    n_heldout_pairs: int
    n_selection_words: int


def correlation_table(scores: np.ndarray, cosines: np.ndarray, hooks: list[str]) -> pd.DataFrame:
    """Compute Spearman, Pearson and Kendall tau-b with p-values per hook, dropping NaN pairs."""
    rows = []
    for column, hook in enumerate(hooks):
        valid = ~np.isnan(cosines[:, column])
        rows.append({"hook": hook, "n_pairs": int(valid.sum()), **_correlations(scores[valid], cosines[valid, column])})
    return pd.DataFrame(rows)


def _correlations(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    nan = float("nan")
    if len(x) < MIN_PAIRS or np.ptp(x) == 0 or np.ptp(y) == 0:
        return dict.fromkeys(
            ["spearman_rho", "spearman_p", "pearson_r", "pearson_p", "kendall_tau", "kendall_p"], nan
        )

    spearman = stats.spearmanr(x, y)
    pearson = stats.pearsonr(x, y)
    kendall = stats.kendalltau(x, y, variant="b")
    return {
        "spearman_rho": float(spearman.statistic),
        "spearman_p": float(spearman.pvalue),
        "pearson_r": float(pearson.statistic),
        "pearson_p": float(pearson.pvalue),
        "kendall_tau": float(kendall.statistic),
        "kendall_p": float(kendall.pvalue),
    }


def spearman_columns(scores: np.ndarray, cosines: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """Return Spearman rho of every cosine column against the scores, over `rows` (a boolean mask)."""
    if rows is None:
        rows = np.ones(len(scores), dtype=bool)
    rhos = np.full(cosines.shape[1], np.nan)
    for column in range(cosines.shape[1]):
        valid = rows & ~np.isnan(cosines[:, column])
        x, y = scores[valid], cosines[valid, column]
        if len(x) >= MIN_PAIRS and np.ptp(x) > 0 and np.ptp(y) > 0:
            rhos[column] = stats.spearmanr(x, y).statistic
    return rhos


# Word-level bootstrap


def pair_multiplicity(word_counts: np.ndarray, word1_ids: np.ndarray, word2_ids: np.ndarray) -> np.ndarray:
    """Return how often each pair occurs in a word resample: count(word1) * count(word2).

    `word_counts` has shape (..., n_words): how often each word was drawn. A pair whose words
    were not both drawn gets 0 and drops out.
    """
    return word_counts[..., word1_ids] * word_counts[..., word2_ids]


def word_counts_from_draws(draws: np.ndarray, n_words: int) -> np.ndarray:
    """Turn drawn word indices of shape (batch, k) into counts of shape (batch, n_words)."""
    draws = np.atleast_2d(draws)
    offsets = np.arange(draws.shape[0])[:, None] * n_words
    flat = np.bincount((draws + offsets).ravel(), minlength=draws.shape[0] * n_words)
    return flat.reshape(draws.shape[0], n_words)


@dataclass(frozen=True)
class _SortedColumns:
    """Sort order and tie groups of each column, computed once and reused for every resample.

    Arrays index a flattened (k, n) block, column-major by column, so one `np.take` gathers
    every column of a batch at once.
    """

    order: np.ndarray  # row of the i-th smallest value of each column; NaN rows sort last
    inverse: np.ndarray  # sorted position of each row
    first: np.ndarray  # sorted position where the tie group of each sorted position starts
    last: np.ndarray  # sorted position where that tie group ends
    has_ties: bool


def _sort_columns(values: np.ndarray) -> _SortedColumns:
    """Sort each column of `values` (n rows, k columns)."""
    columns = values.T
    k, n = columns.shape
    order = np.argsort(columns, axis=1, kind="stable")
    inverse = np.argsort(order, axis=1, kind="stable")
    sorted_values = np.take_along_axis(columns, order, axis=1)

    # NaN never equals NaN, so each NaN row is its own group. It has weight 0 in every resample.
    new_group = np.ones_like(sorted_values, dtype=bool)
    new_group[:, 1:] = sorted_values[:, 1:] != sorted_values[:, :-1]
    positions = np.broadcast_to(np.arange(n), (k, n))
    first = np.maximum.accumulate(np.where(new_group, positions, 0), axis=1)
    group_end = np.ones_like(new_group)
    group_end[:, :-1] = new_group[:, 1:]
    last = np.flip(np.minimum.accumulate(np.flip(np.where(group_end, positions, n - 1), axis=1), axis=1), axis=1)

    offsets = np.arange(k)[:, None] * n
    return _SortedColumns(
        order=(order + offsets).ravel(),
        inverse=(inverse + offsets).ravel(),
        first=(first + offsets).ravel(),
        last=(last + offsets).ravel(),
        has_ties=bool((~new_group).any()),
    )


def _gather(values: np.ndarray, flat_index: np.ndarray) -> np.ndarray:
    batch = values.shape[0]
    return np.take(values.reshape(batch, -1), flat_index, axis=1).reshape(values.shape)


def _weighted_ranks(weights: np.ndarray, columns: _SortedColumns) -> np.ndarray:
    """Return average ranks that each row would get if it were repeated `weight` times.

    `weights` has shape (b, k, n) in row order; ranks come back in row order with the same shape.
    A tie group occupying cumulative weight (start, end] gets the mean rank (start + end + 1) / 2,
    which is what `scipy.stats.rankdata` gives the expanded data.
    """
    sorted_weights = _gather(weights, columns.order)
    inclusive = np.cumsum(sorted_weights, axis=2)
    exclusive = inclusive - sorted_weights
    if columns.has_ties:
        exclusive = _gather(exclusive, columns.first)
        inclusive = _gather(inclusive, columns.last)
    exclusive += inclusive
    exclusive += 1.0
    exclusive *= 0.5
    return _gather(exclusive, columns.inverse)


def _weighted_rank_correlation(weights: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Return the weighted Pearson r over the last axis of weighted ranks shaped (b, k, n).

    Average ranks of N repeated items always have mean (N + 1) / 2, ties included.
    """
    centre = (weights.sum(axis=2, keepdims=True) + 1.0) / 2.0
    dx = x - centre
    dy = y - centre
    weighted_dx = weights * dx
    covariance = np.einsum("bkn,bkn->bk", weighted_dx, dy)
    variance_x = np.einsum("bkn,bkn->bk", weighted_dx, dx)
    variance_y = np.einsum("bkn,bkn->bk", weights * dy, dy)
    with np.errstate(invalid="ignore", divide="ignore"):
        return covariance / np.sqrt(variance_x * variance_y)


class WeightedSpearman:
    """Spearman rho of every hook on word resamples, where a pair counts count(w1) * count(w2) times.

    Sort orders of the score and cosine columns are computed once. Each call then ranks all hook
    columns of a batch of resamples at once from cumulative weights, with no re-sorting.
    """

    def __init__(self, scores: np.ndarray, cosines: np.ndarray, word1_ids: np.ndarray, word2_ids: np.ndarray, n_words: int):
        self.word1_ids = word1_ids
        self.word2_ids = word2_ids
        self.n_words = n_words
        valid = ~np.isnan(cosines)
        self.valid = valid.T.astype(float)
        self.cosine_columns = _sort_columns(cosines)

        # Hooks with the same NaN rows share one ranking of the human scores.
        masks, mask_index = np.unique(valid, axis=1, return_inverse=True)
        self.mask_index = mask_index.ravel()
        self.mask_weights = masks.T.astype(float)
        self.score_columns = _sort_columns(np.where(masks, scores[:, None], np.nan))

    def from_counts(self, word_counts: np.ndarray) -> np.ndarray:
        """Return rho of shape (n_hooks, b) for word counts of shape (b, n_words)."""
        results = []
        for begin in range(0, word_counts.shape[0], RESAMPLE_CHUNK):
            chunk = word_counts[begin : begin + RESAMPLE_CHUNK].astype(float)
            multiplicity = pair_multiplicity(chunk, self.word1_ids, self.word2_ids)[:, None, :]
            score_ranks = _weighted_ranks(multiplicity * self.mask_weights[None], self.score_columns)
            hook_weights = multiplicity * self.valid[None]
            cosine_ranks = _weighted_ranks(hook_weights, self.cosine_columns)
            results.append(_weighted_rank_correlation(hook_weights, score_ranks[:, self.mask_index], cosine_ranks))
        return np.concatenate(results, axis=0).T

    def from_draws(self, draws: np.ndarray, axis: int = -1) -> np.ndarray:
        """Return rho of shape (n_hooks, ...) for drawn word indices. This is the `scipy.stats.bootstrap` statistic."""
        draws = np.moveaxis(np.asarray(draws), axis, -1)
        batch_shape = draws.shape[:-1]
        counts = word_counts_from_draws(draws.reshape(-1, draws.shape[-1]), self.n_words)
        rho = self.from_counts(counts)
        return rho.reshape(rho.shape[0], *batch_shape)


def bootstrap_rho_ci(
    scores: np.ndarray,
    cosines: np.ndarray,
    word1_ids: np.ndarray,
    word2_ids: np.ndarray,
    n_words: int,
    n_resamples: int,
    confidence: float,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the BCa confidence interval (low, high) of Spearman rho per hook, resampling words.

    A resample draws n_words words with replacement; every pair then enters with multiplicity
    count(word1) * count(word2). BCa's acceleration comes from leave-one-word-out jackknife.
    """
    n_hooks = cosines.shape[1]
    if n_resamples == 0:
        return np.full(n_hooks, np.nan), np.full(n_hooks, np.nan)

    statistic = WeightedSpearman(scores, cosines, word1_ids, word2_ids, n_words)
    with warnings.catch_warnings():
        # A hook whose resampled rho is constant or NaN gets a NaN interval; scipy warns for it.
        warnings.simplefilter("ignore", category=stats.DegenerateDataWarning)
        warnings.simplefilter("ignore", category=RuntimeWarning)
        result = stats.bootstrap(
            (np.arange(n_words),),
            statistic.from_draws,
            n_resamples=n_resamples,
            batch=max(RESAMPLE_CHUNK * 8, 1),
            vectorized=True,
            confidence_level=confidence,
            method="BCa",
            rng=np.random.default_rng(seed),
        )
    return np.asarray(result.confidence_interval.low, float), np.asarray(result.confidence_interval.high, float)


# Permutation test and multiple comparisons


def permutation_pvalues(scores: np.ndarray, cosines: np.ndarray, n_permutations: int, seed: int) -> np.ndarray:
    """Return two-sided permutation p-values of Spearman rho per hook, permuting the human scores.

    Every hook with the same non-NaN rows is tested against the same permutations, through one
    matrix product per batch. The p-value is (k + 1) / (n_permutations + 1) as in
    `scipy.stats.permutation_test`; hooks whose rho is undefined get NaN.
    """
    pvalues = np.full(cosines.shape[1], np.nan)
    if n_permutations == 0:
        return pvalues

    valid = ~np.isnan(cosines)
    masks, mask_index = np.unique(valid, axis=1, return_inverse=True)
    mask_index = mask_index.ravel()
    for group in range(masks.shape[1]):
        rows = masks[:, group]
        columns = np.flatnonzero(mask_index == group)
        pvalues[columns] = _permutation_group(scores[rows], cosines[np.ix_(rows, columns)], n_permutations, seed)
    return pvalues


def _standardised_ranks(values: np.ndarray) -> np.ndarray:
    ranks = stats.rankdata(values, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (ranks - ranks.mean(axis=0)) / ranks.std(axis=0)


def _permutation_group(scores: np.ndarray, cosines: np.ndarray, n_permutations: int, seed: int) -> np.ndarray:
    if len(scores) < MIN_PAIRS or np.ptp(scores) == 0:
        return np.full(cosines.shape[1], np.nan)

    # Permuting scores and then ranking them equals permuting their ranks, so rank once.
    score_z = _standardised_ranks(scores)
    cosine_z = _standardised_ranks(cosines)
    defined = np.all(np.isfinite(cosine_z), axis=0)
    cosine_z = np.where(defined, cosine_z, 0.0)
    n = len(scores)

    def spearman(permuted: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.moveaxis(permuted, axis, -1) @ cosine_z / n

    result = stats.permutation_test(
        (score_z,),
        spearman,
        permutation_type="pairings",
        vectorized=True,
        n_resamples=n_permutations,
        batch=256,
        rng=np.random.default_rng(seed),
    )
    return np.where(defined, np.asarray(result.pvalue, float), np.nan)


def bh_qvalues(pvalues: np.ndarray) -> np.ndarray:
    """Return Benjamini-Hochberg q-values over the non-NaN p-values; NaN stays NaN."""
    qvalues = np.full(len(pvalues), np.nan)
    defined = ~np.isnan(pvalues)
    if defined.any():
        qvalues[defined] = stats.false_discovery_control(pvalues[defined], method="bh")
    return qvalues


# Held-out selection, anisotropy and noise ceiling


def split_words(
    word1_ids: np.ndarray, word2_ids: np.ndarray, n_words: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split the words into a seeded random half; return (word in selection half, selection rows, held-out rows).

    Selection rows have both words in the selection half, held-out rows both in the other half.
    Pairs with one word in each half belong to neither side, so the two sides share no word.
    """
    permuted = np.random.default_rng(seed).permutation(n_words)
    in_selection = np.zeros(n_words, dtype=bool)
    in_selection[permuted[: (n_words + 1) // 2]] = True
    selection_rows = in_selection[word1_ids] & in_selection[word2_ids]
    heldout_rows = ~in_selection[word1_ids] & ~in_selection[word2_ids]
    return in_selection, selection_rows, heldout_rows


def heldout_best_hook(
    scores: np.ndarray,
    cosines: np.ndarray,
    hooks: list[str],
    word1_ids: np.ndarray,
    word2_ids: np.ndarray,
    n_words: int,
    seed: int,
) -> HeldoutResult:
    """Choose the best hook by rho on one random half of the words, then score it on the other half."""
    in_selection, selection_rows, heldout_rows = split_words(word1_ids, word2_ids, n_words, seed)
    selection_rhos = spearman_columns(scores, cosines, selection_rows)
    counts = (int(selection_rows.sum()), int(heldout_rows.sum()), int(in_selection.sum()))
    if np.all(np.isnan(selection_rhos)):
        logger.warning("No hook has a defined Spearman rho on the %d selection pairs; held-out rho is NaN", counts[0])
        return HeldoutResult(None, float("nan"), float("nan"), *counts)

    best = int(np.nanargmax(selection_rhos))
    heldout_rho = spearman_columns(scores, cosines[:, [best]], heldout_rows)[0]
    return HeldoutResult(hooks[best], float(heldout_rho), float(selection_rhos[best]), *counts)


def degenerate_flags(median_cos: np.ndarray, threshold: float) -> np.ndarray:
    """Flag hooks whose median pairwise raw cosine exceeds `threshold`: most words' vectors are near-parallel.

    The median, not the mean, is compared because the cosines can be bimodal. With a word at
    position 0, single-token words all sit on the attention sink while the last sub-token of a
    longer word does not, and that minority pulls the mean down.
    """
    return np.asarray(median_cos, float) > threshold


def noise_ceiling(raters: pd.DataFrame) -> dict[str, float | int]:
    """Estimate the noise ceiling of Spearman rho from per-rater scores.

    `raters` has columns pair, rater, score. `noise_ceiling` is the mean over raters of the
    Spearman rho between a rater's scores and the mean of the other raters on the same pairs
    (leave-one-out, a lower bound). `noise_ceiling_upper` correlates each rater with the mean of
    all raters, that rater included. A rater enters only with at least MIN_PAIRS pairs that
    another rater also scored and with non-constant scores.
    """
    table = raters.pivot_table(index="pair", columns="rater", values="score", aggfunc="mean")
    matrix = table.to_numpy(float)
    rated = ~np.isnan(matrix)
    totals = np.nansum(matrix, axis=1)
    counts = rated.sum(axis=1)

    lower, upper = [], []
    for column in range(matrix.shape[1]):
        own = matrix[:, column]
        rows = rated[:, column] & (counts > 1)
        if rows.sum() < MIN_PAIRS or np.ptp(own[rows]) == 0:
            continue
        others = (totals[rows] - own[rows]) / (counts[rows] - 1)
        everyone = totals[rows] / counts[rows]
        if np.ptp(others) == 0:
            continue
        lower.append(stats.spearmanr(own[rows], others).statistic)
        if np.ptp(everyone) > 0:
            upper.append(stats.spearmanr(own[rows], everyone).statistic)

    return {
        "noise_ceiling": float(np.mean(lower)) if lower else float("nan"),
        "noise_ceiling_upper": float(np.mean(upper)) if upper else float("nan"),
        "n_raters": int(matrix.shape[1]),
        "n_raters_used": len(lower),
    }
