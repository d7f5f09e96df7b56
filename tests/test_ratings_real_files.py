"""The distributed SimLex-999, WordSim-353, MEN and notebook files parse to their documented counts."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path

import pytest

from concept_sim.ratings import PUBLISHED_AGREEMENT, load_ratings, prepare_dataset

needs_gensim = pytest.mark.skipif(importlib.util.find_spec("gensim") is None, reason="gensim is not installed")
REPO = Path(__file__).resolve().parents[1]
RAW = Path(__file__).resolve().parents[2] / "shared" / "data" / "raw"

needs_raw = pytest.mark.skipif(not RAW.is_dir(), reason=f"the raw rating files are not present at {RAW}")
MEN_RATERS = [str(RAW / "MEN" / "agreement" / name) for name in ("elias-men-ratings.txt", "marcos-men-ratings.txt")]


def load(path: Path | str, prepare: dict | None = None, **options):
    return load_ratings({"source": str(path), **options}, prepare or {})


@needs_raw
def test_simlex999_original_counts():
    ratings = load(RAW / "SimLex-999" / "SimLex-999.txt")

    assert ratings.format == "simlex999"
    assert ratings.report["lines_read"] == 1000
    assert ratings.report["rows_read"] == 999
    assert ratings.report["pairs_used"] == 998
    assert ratings.report["n_words"] == 1028
    assert ratings.report["self_pairs"] == []
    assert ratings.report["duplicate_groups"] == [{"pair": "sly|strange", "lines": [103, 104], "scores": [1.97, 2.07]}]


@needs_raw
def test_simlex999_pos_column():
    ratings = load(RAW / "SimLex-999" / "SimLex-999.txt", {"duplicates": "first"})

    assert Counter(ratings.pairs["pos1"]) == {"N": 666, "V": 222, "A": 110}
    assert (ratings.pairs["pos1"] == ratings.pairs["pos2"]).all()
    assert ratings.pairs["score_raw"].min() == pytest.approx(0.23)
    assert ratings.pairs["score_raw"].max() == pytest.approx(9.8)


@needs_raw
@pytest.mark.parametrize("name", ["combined.csv", "combined.tab"])
def test_wordsim353_combined_counts(name):
    ratings = load(RAW / "WordSim-353" / name)

    assert ratings.format == "wordsim353"
    assert ratings.report["lines_read"] == 354
    assert ratings.report["rows_read"] == 353
    assert ratings.report["pairs_used"] == 351
    assert ratings.report["n_words"] == 437
    assert [group["pair"] for group in ratings.report["duplicate_groups"]] == ["bank|money", "money|cash"]
    assert ratings.report["self_pairs"] == [{"pair": "tiger|tiger", "line": 4}]


@needs_raw
@pytest.mark.parametrize(
    ("name", "rows", "words"),
    [("set1.csv", 153, 173), ("set1.tab", 153, 173), ("set2.csv", 200, 286), ("set2.tab", 200, 286)],
)
def test_wordsim353_sets(name, rows, words):
    ratings = load(RAW / "WordSim-353" / name)

    assert ratings.report["rows_read"] == rows
    assert ratings.report["n_words"] == words


@needs_raw
def test_wordsim353_case_kept():
    ratings = load(RAW / "WordSim-353" / "combined.csv")

    capitalised = [word for word in ratings.words if word[0].isupper()]
    assert len(capitalised) == 18
    assert "OPEC" in capitalised


@needs_raw
@pytest.mark.parametrize(
    ("name", "rows", "pairs", "words"),
    [("wordsim_similarity_goldstandard.txt", 203, 203, 277), ("wordsim_relatedness_goldstandard.txt", 252, 251, 346)],
)
def test_wordsim353_split_counts(name, rows, pairs, words):
    ratings = load(RAW / "WordSim-353-SimRel" / name)

    assert ratings.format == "wordsim353_split"
    assert ratings.report["rows_read"] == rows
    assert ratings.report["pairs_used"] == pairs
    assert ratings.report["n_words"] == words


@needs_raw
def test_men_natural_counts():
    ratings = load(RAW / "MEN" / "MEN_dataset_natural_form_full")

    assert ratings.format == "men"
    assert ratings.report["pairs_used"] == 3000
    assert ratings.report["n_words"] == 751
    assert ratings.report["duplicate_groups"] == []
    assert ratings.pairs["score"].between(0, 1).all()


@needs_raw
def test_men_lemma_counts_and_tags():
    ratings = load(RAW / "MEN" / "MEN_dataset_lemma_form_full")

    tags = dict(zip(ratings.pairs["word1"], ratings.pairs["pos1"])) | dict(zip(ratings.pairs["word2"], ratings.pairs["pos2"]))
    assert ratings.report["pairs_used"] == 3000
    assert ratings.report["n_words"] == 751
    assert Counter(tags.values()) == {"n": 656, "j": 57, "v": 38}


@needs_raw
def test_men_splits_counts():
    dev = load(RAW / "MEN" / "MEN_dataset_lemma_form.dev")
    test = load(RAW / "MEN" / "MEN_dataset_lemma_form.test")

    assert (dev.report["pairs_used"], dev.report["n_words"]) == (2000, 722)
    assert (test.report["pairs_used"], test.report["n_words"]) == (1000, 639)


@needs_raw
def test_men_raters_with_lemma_aliases(tmp_path):
    dataset = {
        "source": str(RAW / "MEN" / "MEN_dataset_natural_form_full"),
        "rater_aliases": str(RAW / "MEN" / "MEN_dataset_lemma_form_full"),
        "raters": MEN_RATERS,
    }
    ratings = prepare_dataset("men", dataset, {}, tmp_path)

    summary = ratings.report["raters"]
    assert summary["elias-men-ratings"]["matched_pairs"] == 2999
    assert summary["elias-men-ratings"]["unmatched_examples"] == [{"line": 2859, "pair": "nature|tav"}]
    assert summary["marcos-men-ratings"]["matched_pairs"] == 3000
    assert len(ratings.raters) == 5999
    assert (tmp_path / "raters.csv").is_file()


@needs_raw
def test_men_marco_reproduces_published_correlation():
    dataset = {"rater_aliases": str(RAW / "MEN" / "MEN_dataset_lemma_form_full"), "raters": MEN_RATERS}
    ratings = load(RAW / "MEN" / "MEN_dataset_natural_form_full", **dataset)

    marco = ratings.raters[ratings.raters["rater"] == "marcos-men-ratings"]
    table = marco.merge(ratings.pairs, on=["word1", "word2"], suffixes=("_rater", "_men"))
    # Spearman's rho is Pearson's r of the average ranks; ranking here avoids importing scipy.stats (slow).
    rho = table["score_rater"].rank().corr(table["score_men"].rank())
    assert rho == pytest.approx(PUBLISHED_AGREEMENT["men"]["correlation_matrix"]["men"]["marco"], abs=1e-6)


@needs_raw
def test_men_report_has_published_agreement():
    ratings = load(RAW / "MEN" / "MEN_dataset_lemma_form.test")

    assert ratings.report["published_agreement"]["spearman_between_raters"] == 0.68
    assert ratings.report["published_agreement"]["correlation_rater_mean_vs_dataset"] == 0.84


@needs_raw
def test_wordsim_annotators_flagged_identical():
    raters = [str(RAW / "WordSim-353-SimRel" / f"wordsim353_annotator{i}.txt") for i in (1, 2)]
    ratings = load(RAW / "WordSim-353" / "combined.csv", raters=raters)

    summary = ratings.report["raters"]
    assert summary["wordsim353_annotator1"]["rows"] == 352
    assert summary["wordsim353_annotator1"]["matched_pairs"] == 351
    assert summary["wordsim353_annotator1"]["identical_to"] == ["wordsim353_annotator2"]


@needs_gensim
def test_gensim_simlex999_copy():
    ratings = load("gensim:simlex999")

    assert ratings.format == "gensim_tsv"
    assert ratings.report["rows_read"] == 999
    assert ratings.report["pairs_used"] == 998
    assert ratings.report["n_words"] == 1028


@needs_gensim
def test_gensim_wordsim353_copy():
    ratings = load("gensim:wordsim353")

    assert ratings.report["rows_read"] == 353
    assert ratings.report["pairs_used"] == 351
    assert ratings.report["skipped"] == [{"line": 1, "reason": "comment"}, {"line": 2, "reason": "comment"}]


def test_notebook_tree_file():
    ratings = load(REPO / "data" / "tree_sim_10_iter.txt")

    assert ratings.format == "notebook_pos"
    assert ratings.report["pairs_used"] == 15
    assert ratings.words == ["birch", "maple", "oak", "pine", "redwood", "willow"]
    assert set(ratings.pairs["pos1"]) == {"n"}


def test_notebook_fish_file(tmp_path):
    source = REPO / "data" / "fish_n_pair_similarities.json"
    prepare_dataset("fish", {"source": str(source)}, {}, tmp_path)

    written = json.loads((tmp_path / "pair_scores.json").read_text(encoding="utf-8"))
    assert written == json.loads(source.read_text(encoding="utf-8"))
