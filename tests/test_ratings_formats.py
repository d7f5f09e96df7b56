"""Each ratings format read from real lines of its dataset, and format detection."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import pytest

from concept_sim.errors import ConfigError, RatingsError
from concept_sim.ratings import PAIR_COLUMNS, load_ratings, resolve_source

needs_gensim = pytest.mark.skipif(importlib.util.find_spec("gensim") is None, reason="gensim is not installed")

SIMLEX_LINES = (
    "word1\tword2\tPOS\tSimLex999\tconc(w1)\tconc(w2)\tconcQ\tAssoc(USF)\tSimAssoc333\tSD(SimLex)\r\n"
    "old\tnew\tA\t1.58\t2.72\t2.81\t2\t7.25\t1\t0.41\r\n"
    "smart\tintelligent\tA\t9.2\t1.75\t2.46\t1\t7.11\t1\t0.67\r\n"
)
WORDSIM_SET1_CSV = (
    "Word 1,Word 2,Human (mean),1,2,3,4,5,6,7,8,9,10,11,12,13\r\n"
    "love,sex,6.77,9,6,8,8,7,8,8,4,7,2,6,7,8\r\n"
    "tiger,cat,7.35,9,7,8,7,8,9,8.5,5,6,9,7,5,7\r\n"
)
WORDSIM_SET1_TAB = (
    "Word 1\tWord 2\tHuman (mean)\t1\t2\t3\t4\t5\t6\t7\t8\t9\t10\t11\t12\t13\t\r\n"
    "love\tsex\t6.77\t9\t6\t8\t8\t7\t8\t8\t4\t7\t2\t6\t7\t8\t\r\n"
    "tiger\tcat\t7.35\t9\t7\t8\t7\t8\t9\t8.5\t5\t6\t9\t7\t5\t7\t\r\n"
)
GENSIM_LINES = (
    "# The WordSimilarity-353 Test Collection\n"
    "# Word 1\tWord 2\tHuman (mean)\n"
    "love\tsex\t6.77\n"
    "tiger\tcat\t7.35\n"
)
SPLIT_LINES = "tiger\tcat\t7.35\ntiger\ttiger\t10.00\nplane\tcar\t5.77\n"
MEN_NATURAL = "sun sunlight 50.000000\nautomobile car 50.000000\nriver water 49.000000\n"
MEN_LEMMA = "sun-n sunlight-n 50.000000\nabandon-v leave-v 36.000000\naerial-j sky-n 30.000000\n"
NOTEBOOK_POS = "pine#n redwood#n 4.0\npine#n oak#n 3.5\n"
NOTEBOOK_JSON = '{\n    "salmon|tuna": 0.43,\n    "salmon|haddock": 0.33\n}\n'


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def rows(ratings) -> list[tuple]:
    return list(ratings.pairs[["word1", "word2", "pos1", "pos2", "score_raw"]].itertuples(index=False, name=None))


def test_simlex999_original_columns(tmp_path):
    ratings = load_ratings({"source": str(write(tmp_path, "SimLex-999.txt", SIMLEX_LINES))}, {})

    assert ratings.format == "simlex999"
    assert ratings.scale == (0.0, 10.0)
    assert list(ratings.pairs.columns) == PAIR_COLUMNS
    assert rows(ratings) == [("old", "new", "A", "A", 1.58), ("smart", "intelligent", "A", "A", 9.2)]
    assert ratings.pairs["score"].tolist() == pytest.approx([0.158, 0.92])
    assert ratings.pairs["line"].tolist() == [2, 3]
    assert ratings.report["skipped"] == [{"line": 1, "reason": "header"}]


def test_wordsim353_csv_uses_mean_column(tmp_path):
    ratings = load_ratings({"source": str(write(tmp_path, "set1.csv", WORDSIM_SET1_CSV))}, {})

    assert ratings.format == "wordsim353"
    assert rows(ratings) == [("love", "sex", "", "", 6.77), ("tiger", "cat", "", "", 7.35)]


def test_wordsim353_tab_with_trailing_tab(tmp_path):
    ratings = load_ratings({"source": str(write(tmp_path, "set1.tab", WORDSIM_SET1_TAB))}, {})

    assert ratings.format == "wordsim353"
    assert rows(ratings) == [("love", "sex", "", "", 6.77), ("tiger", "cat", "", "", 7.35)]


def test_gensim_tsv_skips_comments(tmp_path):
    ratings = load_ratings({"source": str(write(tmp_path, "wordsim353.tsv", GENSIM_LINES))}, {})

    assert ratings.format == "gensim_tsv"
    assert rows(ratings) == [("love", "sex", "", "", 6.77), ("tiger", "cat", "", "", 7.35)]
    assert ratings.report["skipped"] == [{"line": 1, "reason": "comment"}, {"line": 2, "reason": "comment"}]
    assert ratings.report["lines_read"] == 4


def test_wordsim353_split_headerless(tmp_path):
    ratings = load_ratings({"source": str(write(tmp_path, "wordsim_similarity_goldstandard.txt", SPLIT_LINES))}, {})

    assert ratings.format == "wordsim353_split"
    assert rows(ratings)[1] == ("tiger", "tiger", "", "", 10.0)
    assert ratings.pairs["self_pair"].tolist() == [False, True, False]
    assert ratings.report["self_pairs"] == [{"pair": "tiger|tiger", "line": 2}]


def test_men_natural_form(tmp_path):
    ratings = load_ratings({"source": str(write(tmp_path, "MEN_dataset_natural_form_full", MEN_NATURAL))}, {})

    assert ratings.format == "men"
    assert ratings.scale == (0.0, 50.0)
    assert rows(ratings)[2] == ("river", "water", "", "", 49.0)
    assert ratings.pairs["score"].tolist() == pytest.approx([1.0, 1.0, 0.98])


def test_men_lemma_form_moves_tags(tmp_path):
    ratings = load_ratings({"source": str(write(tmp_path, "MEN_dataset_lemma_form_full", MEN_LEMMA))}, {})

    assert rows(ratings) == [
        ("sun", "sunlight", "n", "n", 50.0),
        ("abandon", "leave", "v", "v", 36.0),
        ("aerial", "sky", "j", "n", 30.0),
    ]
    assert ratings.report["pos_source"] == "lemma suffix -n/-v/-j"


def test_men_hyphen_word_without_tag_kept(tmp_path):
    path = write(tmp_path, "men.txt", "sun-n sunlight-n 50\nt-shirt shirt 40\n")
    ratings = load_ratings({"source": str(path), "format": "men"}, {})

    assert rows(ratings)[0] == ("sun-n", "sunlight-n", "", "", 50.0)


def test_notebook_pos_splits_hash(tmp_path):
    ratings = load_ratings({"source": str(write(tmp_path, "tree_sim_10_iter.txt", NOTEBOOK_POS))}, {})

    assert ratings.format == "notebook_pos"
    assert ratings.scale == (0.0, 10.0)
    assert rows(ratings) == [("pine", "redwood", "n", "n", 4.0), ("pine", "oak", "n", "n", 3.5)]


def test_notebook_json_lines_and_scale(tmp_path):
    ratings = load_ratings({"source": str(write(tmp_path, "fish.json", NOTEBOOK_JSON))}, {})

    assert ratings.format == "notebook_json"
    assert ratings.scale == (0.0, 1.0)
    assert rows(ratings) == [("salmon", "tuna", "", "", 0.43), ("salmon", "haddock", "", "", 0.33)]
    assert ratings.pairs["line"].tolist() == [2, 3]
    assert ratings.pairs["score"].tolist() == pytest.approx([0.43, 0.33])


def test_notebook_json_duplicate_keys_kept(tmp_path):
    path = write(tmp_path, "fish.json", '{"salmon|tuna": 0.4,\n "tuna|salmon": 0.6}')
    ratings = load_ratings({"source": str(path)}, {})

    assert ratings.pairs["score_raw"].tolist() == pytest.approx([0.5])
    assert ratings.report["duplicate_groups"] == [{"pair": "salmon|tuna", "lines": [1, 2], "scores": [0.4, 0.6]}]


def test_csv_columns_scale_and_pos(tmp_path):
    text = "first,second,tag,rating\nice cream,sorbet,n,3\ncar,automobile,n,5\n"
    dataset = {"source": str(write(tmp_path, "pairs.csv", text)), "format": "csv", "scale": [1, 5],
               "columns": {"word1": "first", "word2": "second", "score": "rating", "pos": "tag"}}
    ratings = load_ratings(dataset, {})

    assert rows(ratings) == [("ice cream", "sorbet", "n", "n", 3.0), ("car", "automobile", "n", "n", 5.0)]
    assert ratings.pairs["score"].tolist() == pytest.approx([0.5, 1.0])
    assert ratings.report["scale_source"] == "params"


def test_csv_distance_converted(tmp_path):
    text = "a\tb\td\ncat\tdog\t0.25\ncat\tcar\t1.0\n"
    dataset = {"source": str(write(tmp_path, "dist.tsv", text)), "format": "csv", "scale": [0, 1],
               "direction": "distance", "columns": {"word1": "a", "word2": "b", "score": "d"}}
    ratings = load_ratings(dataset, {})

    assert ratings.pairs["score_raw"].tolist() == pytest.approx([0.25, 1.0])
    assert ratings.pairs["score"].tolist() == pytest.approx([0.75, 0.0])
    assert ratings.report["direction"] == "distance"
    assert ratings.report["conversion"].startswith("score = 1 - (score_raw - 0) / (1 - 0)")


def test_csv_headerless_by_index(tmp_path):
    dataset = {"source": str(write(tmp_path, "p.csv", "7,cat,dog\n2,cat,car\n")), "format": "csv",
               "header": False, "scale": [0, 10], "columns": {"word1": 1, "word2": 2, "score": 0}}
    ratings = load_ratings(dataset, {})

    assert rows(ratings) == [("cat", "dog", "", "", 7.0), ("cat", "car", "", "", 2.0)]


def test_csv_without_scale_rejected(tmp_path):
    dataset = {"source": str(write(tmp_path, "p.csv", "a,b,s\ncat,dog,1\n")), "format": "csv",
               "columns": {"word1": "a", "word2": "b", "score": "s"}}

    with pytest.raises(ConfigError, match=r"format csv has no declared scale; set `scale: \[lo, hi\]`"):
        load_ratings(dataset, {})


def test_csv_unknown_column_rejected(tmp_path):
    path = write(tmp_path, "p.csv", "a,b,s\ncat,dog,1\n")
    dataset = {"source": str(path), "format": "csv", "scale": [0, 1],
               "columns": {"word1": "a", "word2": "b", "score": "sim"}}

    with pytest.raises(ConfigError, match=r"columns.score is 'sim', which is not in the header of .*; the header has: a, b, s"):
        load_ratings(dataset, {})


def test_scale_param_overrides_declared(tmp_path):
    dataset = {"source": str(write(tmp_path, "men.txt", MEN_NATURAL)), "scale": [0, 100]}
    ratings = load_ratings(dataset, {})

    assert ratings.scale == (0.0, 100.0)
    assert ratings.pairs["score"].tolist() == pytest.approx([0.5, 0.5, 0.49])


def test_format_param_skips_detection(tmp_path, caplog):
    path = write(tmp_path, "anything.dat", SPLIT_LINES)
    with caplog.at_level(logging.INFO, logger="concept_sim.ratings"):
        ratings = load_ratings({"source": str(path), "format": "gensim_tsv"}, {})

    assert ratings.format == "gensim_tsv"
    assert ratings.report["format_detected"] is False
    assert "reading as format gensim_tsv (set in params)" in caplog.text


def test_detection_logged(tmp_path, caplog):
    path = write(tmp_path, "men.txt", MEN_NATURAL)
    with caplog.at_level(logging.INFO, logger="concept_sim.ratings"):
        ratings = load_ratings({"source": str(path)}, {})

    assert ratings.report["format_detected"] is True
    assert f"{path}: detected format men" in caplog.text


def test_undetectable_file_lists_formats(tmp_path):
    path = write(tmp_path, "notes.txt", "\nsome free text here\n")

    with pytest.raises(RatingsError) as error:
        load_ratings({"source": str(path)}, {})

    message = str(error.value)
    assert message.startswith(f"{path}:2: cannot detect the format from the line 'some free text here'")
    assert "simlex999 (tab-separated header with word1, word2, POS, SimLex999)" in message
    assert "wordsim353 (header Word 1, Word 2, Human (mean), comma or tab)" in message
    assert "Set `format` for this dataset in params.yaml" in message


def test_unknown_format_param_rejected(tmp_path):
    path = write(tmp_path, "men.txt", MEN_NATURAL)

    with pytest.raises(ConfigError, match="format is 'xlsx'; expected one of: simlex999, wordsim353"):
        load_ratings({"source": str(path), "format": "xlsx"}, {})


def test_missing_source_named(tmp_path):
    missing = tmp_path / "nope.txt"

    with pytest.raises(ConfigError, match=f"ratings file not found: {missing}"):
        resolve_source(str(missing))


@needs_gensim
def test_gensim_sources_resolve():

    assert resolve_source("gensim:simlex999").name == "simlex999.txt"
    assert resolve_source("gensim:wordsim353").name == "wordsim353.tsv"
    assert resolve_source("gensim:simlex999").is_file()


def test_unknown_gensim_source_rejected():
    with pytest.raises(ConfigError, match="unknown gensim dataset 'gensim:men'"):
        resolve_source("gensim:men")
