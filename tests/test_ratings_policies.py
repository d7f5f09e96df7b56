"""Duplicate, case and self-pair handling of the ratings readers."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from concept_sim.errors import ConfigError, RatingsError
from concept_sim.ratings import load_ratings

# WordSim-353 rows with `money cash` twice and `bank money` in both orders.
WORDSIM_DUPLICATES = (
    "Word 1,Word 2,Human (mean)\r\n"
    "bank,money,8.12\r\n"
    "money,cash,9.15\r\n"
    "tiger,tiger,10.00\r\n"
    "money,cash,9.08\r\n"
    "money,bank,8.50\r\n"
)


@pytest.fixture
def wordsim_file(tmp_path: Path) -> Path:
    path = tmp_path / "combined.csv"
    path.write_text(WORDSIM_DUPLICATES, encoding="utf-8", newline="")
    return path


def scores_by_pair(ratings) -> dict[str, float]:
    pairs = ratings.pairs
    return {f"{a}|{b}": raw for a, b, raw in zip(pairs["word1"], pairs["word2"], pairs["score_raw"])}


def test_duplicates_mean_default(wordsim_file):
    ratings = load_ratings({"source": str(wordsim_file)}, {})

    assert scores_by_pair(ratings) == pytest.approx({"bank|money": 8.31, "money|cash": 9.115, "tiger|tiger": 10.0})
    assert ratings.pairs["line"].tolist() == [2, 3, 4]
    assert ratings.report["duplicates"] == "mean"
    assert ratings.report["rows_read"] == 5
    assert ratings.report["pairs_used"] == 3


def test_duplicate_groups_reported(wordsim_file):
    ratings = load_ratings({"source": str(wordsim_file)}, {})

    assert ratings.report["duplicate_groups"] == [
        {"pair": "bank|money", "lines": [2, 6], "scores": [8.12, 8.5]},
        {"pair": "money|cash", "lines": [3, 5], "scores": [9.15, 9.08]},
    ]


def test_duplicates_logged_as_warning(wordsim_file, caplog):
    with caplog.at_level(logging.WARNING, logger="concept_sim.ratings"):
        load_ratings({"source": str(wordsim_file)}, {})

    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert f"{wordsim_file}: pair 'money|cash' appears on lines [3, 5] with scores [9.15, 9.08]; keeping the mean" in warnings
    assert len(warnings) == 2


def test_duplicates_first(wordsim_file):
    ratings = load_ratings({"source": str(wordsim_file)}, {"duplicates": "first"})

    assert scores_by_pair(ratings) == pytest.approx({"bank|money": 8.12, "money|cash": 9.15, "tiger|tiger": 10.0})
    assert ratings.report["duplicates"] == "first"


def test_duplicates_error(wordsim_file):
    with pytest.raises(RatingsError) as error:
        load_ratings({"source": str(wordsim_file)}, {"duplicates": "error"})

    message = str(error.value)
    assert message.startswith(f"{wordsim_file}:2: 2 pair(s) appear more than once: ")
    assert "'bank|money' on lines 2, 6 (scores 8.12, 8.5)" in message
    assert "'money|cash' on lines 3, 5 (scores 9.15, 9.08)" in message


def test_unknown_duplicate_policy(wordsim_file):
    with pytest.raises(ConfigError, match="prepare.duplicates is 'last'; expected one of: mean, first, error"):
        load_ratings({"source": str(wordsim_file)}, {"duplicates": "last"})


def test_self_pair_kept_and_flagged(wordsim_file):
    ratings = load_ratings({"source": str(wordsim_file)}, {})

    flagged = ratings.pairs.loc[ratings.pairs["self_pair"], ["word1", "word2", "score"]]
    assert flagged.values.tolist() == [["tiger", "tiger", 1.0]]
    assert ratings.report["self_pairs"] == [{"pair": "tiger|tiger", "line": 4}]


def test_same_words_other_pos_distinct(tmp_path):
    path = tmp_path / "pos.txt"
    path.write_text("bank#n money#n 8.0\nbank#v money#n 3.0\nrun#v run#n 5.0\n", encoding="utf-8")

    ratings = load_ratings({"source": str(path)}, {})

    assert len(ratings.pairs) == 3
    assert ratings.report["duplicate_groups"] == []
    assert ratings.pairs["self_pair"].tolist() == [False, False, False]


def test_case_keep_default(tmp_path):
    path = tmp_path / "split.txt"
    path.write_text("FBI\tfingerprint\t6.94\nfbi\tFingerprint\t7.00\n", encoding="utf-8")

    ratings = load_ratings({"source": str(path)}, {})

    assert ratings.pairs["word1"].tolist() == ["FBI", "fbi"]
    assert ratings.words == ["FBI", "Fingerprint", "fbi", "fingerprint"]
    assert ratings.report["case"] == "keep"


def test_case_lower_merges_pairs(tmp_path):
    path = tmp_path / "split.txt"
    path.write_text("FBI\tfingerprint\t6.94\nfbi\tFingerprint\t7.00\n", encoding="utf-8")

    ratings = load_ratings({"source": str(path)}, {"case": "lower"})

    assert ratings.pairs["word1"].tolist() == ["fbi"]
    assert ratings.pairs["score_raw"].tolist() == pytest.approx([6.97])
    assert ratings.words == ["fbi", "fingerprint"]
    assert ratings.report["case"] == "lower"
    assert ratings.report["duplicate_groups"] == [{"pair": "fbi|fingerprint", "lines": [1, 2], "scores": [6.94, 7.0]}]
