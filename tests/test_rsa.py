"""Statistics of concept_sim.rsa checked against scipy and hand computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from concept_sim import rsa
from test_rsa_fixtures import make_pairs


@pytest.fixture
def pairs() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return make_pairs(n_words=40, n_pairs=90, seed=1)


def test_correlation_table_matches_scipy(pairs):
    _, _, scores = pairs
    rng = np.random.default_rng(2)
    cosines = np.column_stack([scores + rng.normal(0, 0.3, len(scores)), rng.normal(size=len(scores))])
    cosines[[4, 9], 1] = np.nan

    table = rsa.correlation_table(scores, cosines, ["a", "b"])

    for column, hook in enumerate(["a", "b"]):
        valid = ~np.isnan(cosines[:, column])
        row = table.set_index("hook").loc[hook]
        x, y = scores[valid], cosines[valid, column]
        assert row["n_pairs"] == valid.sum()
        assert row["spearman_rho"] == pytest.approx(stats.spearmanr(x, y).statistic)
        assert row["spearman_p"] == pytest.approx(stats.spearmanr(x, y).pvalue)
        assert row["pearson_r"] == pytest.approx(stats.pearsonr(x, y).statistic)
        assert row["pearson_p"] == pytest.approx(stats.pearsonr(x, y).pvalue)
        assert row["kendall_tau"] == pytest.approx(stats.kendalltau(x, y).statistic)
        assert row["kendall_p"] == pytest.approx(stats.kendalltau(x, y).pvalue)
    assert table.set_index("hook").loc["b", "n_pairs"] == len(scores) - 2


def test_constant_hook_gives_nan():
    scores = np.array([0.1, 0.5, 0.3, 0.9])
    table = rsa.correlation_table(scores, np.full((4, 1), 0.4), ["flat"])
    assert np.isnan(table.loc[0, "spearman_rho"])


def test_pair_multiplicity_tiny_case():
    word1 = np.array([0, 1, 2, 0])
    word2 = np.array([1, 2, 3, 3])
    # Word 0 drawn twice, word 1 once, word 2 never, word 3 three times.
    counts = rsa.word_counts_from_draws(np.array([[0, 3, 1, 3, 0, 3]]), n_words=4)

    assert counts.tolist() == [[2, 1, 0, 3]]
    assert rsa.pair_multiplicity(counts, word1, word2).tolist() == [[2, 0, 0, 6]]


def test_weighted_spearman_equals_expanded_data(pairs):
    word1, word2, scores = pairs
    rng = np.random.default_rng(3)
    cosines = np.column_stack([
        scores + rng.normal(0, 0.2, len(scores)),
        np.round(rng.normal(size=len(scores)), 1),  # many ties
        rng.normal(size=len(scores)),
    ])
    cosines[[0, 5, 11], 2] = np.nan
    statistic = rsa.WeightedSpearman(scores, cosines, word1, word2, n_words=40)
    counts = rsa.word_counts_from_draws(rng.integers(0, 40, size=(20, 40)), n_words=40)

    rho = statistic.from_counts(counts)

    for resample in range(20):
        multiplicity = counts[resample, word1] * counts[resample, word2]
        for column in range(cosines.shape[1]):
            keep = ~np.isnan(cosines[:, column])
            expanded_scores = np.repeat(scores[keep], multiplicity[keep])
            expanded_cosines = np.repeat(cosines[keep, column], multiplicity[keep])
            expected = stats.spearmanr(expanded_scores, expanded_cosines).statistic
            assert rho[column, resample] == pytest.approx(expected, abs=1e-12)


def test_weighted_spearman_all_words_once_is_plain_rho(pairs):
    word1, word2, scores = pairs
    cosines = np.column_stack([scores ** 2 + np.linspace(0, 0.5, len(scores)), -scores])
    statistic = rsa.WeightedSpearman(scores, cosines, word1, word2, n_words=40)

    rho = statistic.from_draws(np.arange(40))

    assert rho == pytest.approx(rsa.spearman_columns(scores, cosines), abs=1e-12)


def test_bootstrap_ci_brackets_rho_and_is_seeded(pairs):
    word1, word2, scores = pairs
    rng = np.random.default_rng(4)
    cosines = np.column_stack([scores + rng.normal(0, 0.3, len(scores)), rng.normal(size=len(scores))])
    rho = rsa.spearman_columns(scores, cosines)

    low, high = rsa.bootstrap_rho_ci(scores, cosines, word1, word2, 40, n_resamples=200, confidence=0.9, seed=7)
    again_low, again_high = rsa.bootstrap_rho_ci(scores, cosines, word1, word2, 40, n_resamples=200, confidence=0.9, seed=7)

    assert np.all(low < rho)
    assert np.all(rho < high)
    assert low[0] > 0.3
    assert low[1] < 0 < high[1]
    assert np.array_equal(low, again_low)
    assert np.array_equal(high, again_high)


def test_bootstrap_zero_resamples_gives_nan(pairs):
    word1, word2, scores = pairs
    low, high = rsa.bootstrap_rho_ci(scores, scores[:, None], word1, word2, 40, 0, 0.95, 0)
    assert np.isnan(low).all()
    assert np.isnan(high).all()


def test_permutation_separates_monotone_and_shuffled(pairs):
    _, _, scores = pairs
    shuffled = np.random.default_rng(5).permutation(scores)
    cosines = np.column_stack([np.exp(scores) - 3, shuffled])

    pvalues = rsa.permutation_pvalues(scores, cosines, n_permutations=999, seed=0)
    table = rsa.correlation_table(scores, cosines, ["monotone", "shuffled"])

    assert table.loc[0, "spearman_rho"] == pytest.approx(1.0)
    assert pvalues[0] == pytest.approx(2 / 1000)
    assert pvalues[1] > 0.2


def test_permutation_matches_scipy_permutation_test(pairs):
    _, _, scores = pairs
    cosines = (scores + np.random.default_rng(6).normal(0, 0.8, len(scores)))[:, None]

    pvalues = rsa.permutation_pvalues(scores, cosines, n_permutations=500, seed=3)
    expected = stats.permutation_test(
        (scores,),
        lambda permuted: stats.spearmanr(permuted, cosines[:, 0]).statistic,
        permutation_type="pairings",
        n_resamples=500,
        vectorized=False,
        rng=np.random.default_rng(3),
    ).pvalue

    assert pvalues[0] == pytest.approx(expected)


def test_permutation_nan_rows_dropped_per_hook(pairs):
    _, _, scores = pairs
    cosines = np.column_stack([scores + 0.0, scores + 0.0])
    cosines[:10, 1] = np.nan
    pvalues = rsa.permutation_pvalues(scores, cosines, n_permutations=99, seed=0)
    assert pvalues == pytest.approx([0.02, 0.02])


def test_bh_qvalues_equal_scipy():
    pvalues = np.array([0.001, 0.04, 0.03, np.nan, 0.5, 0.01])
    qvalues = rsa.bh_qvalues(pvalues)
    defined = ~np.isnan(pvalues)
    assert qvalues[defined] == pytest.approx(stats.false_discovery_control(pvalues[defined], method="bh"))
    assert np.isnan(qvalues[3])


def test_split_words_sides_share_no_word(pairs):
    word1, word2, _ = pairs
    in_selection, selection_rows, heldout_rows = rsa.split_words(word1, word2, 40, seed=0)

    selection_words = set(word1[selection_rows]) | set(word2[selection_rows])
    heldout_words = set(word1[heldout_rows]) | set(word2[heldout_rows])
    assert in_selection.sum() == 20
    assert selection_words.isdisjoint(heldout_words)
    assert selection_words <= set(np.flatnonzero(in_selection))
    assert not (selection_rows & heldout_rows).any()


def test_heldout_best_hook_scores_other_half(pairs):
    word1, word2, scores = pairs
    rng = np.random.default_rng(8)
    cosines = np.column_stack([rng.normal(size=len(scores)), scores + rng.normal(0, 0.1, len(scores))])

    result = rsa.heldout_best_hook(scores, cosines, ["noise", "signal"], word1, word2, 40, seed=0)

    _, selection_rows, heldout_rows = rsa.split_words(word1, word2, 40, seed=0)
    assert result.hook == "signal"
    assert result.n_selection_pairs == selection_rows.sum()
    assert result.n_heldout_pairs == heldout_rows.sum()
    expected = stats.spearmanr(scores[heldout_rows], cosines[heldout_rows, 1]).statistic
    assert result.rho == pytest.approx(expected)
    assert result.selection_rho == pytest.approx(stats.spearmanr(scores[selection_rows], cosines[selection_rows, 1]).statistic)


def test_degenerate_flags_threshold():
    flags = rsa.degenerate_flags(np.array([0.2, 0.95, 0.951, np.nan]), threshold=0.95)
    assert flags.tolist() == [False, False, True, False]


def test_noise_ceiling_by_hand():
    ratings = {
        "a": [1.0, 2.0, 3.0, 4.0],
        "b": [1.0, 3.0, 2.0, 4.0],
        "c": [2.0, 1.0, 3.0, 4.0],
    }
    raters = pd.DataFrame(
        [{"pair": f"p{index}", "rater": rater, "score": score} for rater, scores in ratings.items() for index, score in enumerate(scores)]
    )

    result = rsa.noise_ceiling(raters)

    matrix = np.array(list(ratings.values()))
    lower = [stats.spearmanr(matrix[i], np.delete(matrix, i, axis=0).mean(axis=0)).statistic for i in range(3)]
    upper = [stats.spearmanr(matrix[i], matrix.mean(axis=0)).statistic for i in range(3)]
    assert result["noise_ceiling"] == pytest.approx(np.mean(lower))
    assert result["noise_ceiling_upper"] == pytest.approx(np.mean(upper))
    assert result["n_raters"] == 3
    assert result["n_raters_used"] == 3


def test_noise_ceiling_skips_rater_without_overlap():
    raters = pd.DataFrame(
        [{"pair": f"p{i}", "rater": rater, "score": float(i * (1 if rater != "b" else -1))} for rater in "ab" for i in range(4)]
        + [{"pair": "solo", "rater": "c", "score": 1.0}]
    )
    result = rsa.noise_ceiling(raters)
    assert result["n_raters"] == 3
    assert result["n_raters_used"] == 2
    assert result["noise_ceiling"] == pytest.approx(-1.0)
