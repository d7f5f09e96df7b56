"""prepare_dataset outputs: files, provenance sidecars, per-rater tables and non-ASCII words."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from concept_sim.ratings import PAIR_COLUMNS, RATER_COLUMNS, prepare_dataset

NON_ASCII = "café\tnaïve\t6.5\nand/or\tÜbermensch\t2.0\nçà\tcafé\t4,0\n"


def read_pairs(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8", keep_default_na=False)


@pytest.fixture
def non_ascii_file(tmp_path: Path) -> Path:
    path = tmp_path / "intl.txt"
    path.write_text(NON_ASCII, encoding="utf-8")
    return path


def test_prepare_writes_all_files(non_ascii_file, tmp_path):
    out = tmp_path / "out" / "intl"
    prepare_dataset("intl", {"source": str(non_ascii_file)}, {"decimal_comma": True}, out)

    names = sorted(path.name for path in out.iterdir())
    assert names == [
        "pair_scores.json", "pair_scores.json.provenance.json",
        "pairs.csv", "pairs.csv.provenance.json",
        "raters.csv", "raters.csv.provenance.json",
        "report.json", "report.json.provenance.json",
        "words.txt", "words.txt.provenance.json",
    ]


def test_non_ascii_round_trip(non_ascii_file, tmp_path):
    out = tmp_path / "out"
    prepare_dataset("intl", {"source": str(non_ascii_file)}, {"decimal_comma": True}, out)

    pairs = read_pairs(out / "pairs.csv")
    assert list(pairs.columns) == PAIR_COLUMNS
    assert pairs["word1"].tolist() == ["café", "and/or", "çà"]
    assert pairs["word2"].tolist() == ["naïve", "Übermensch", "café"]

    words = (out / "words.txt").read_text(encoding="utf-8").splitlines()
    assert words == sorted(["café", "naïve", "and/or", "Übermensch", "çà"])

    scores = json.loads((out / "pair_scores.json").read_text(encoding="utf-8"))
    assert scores == pytest.approx({"café|naïve": 0.65, "and/or|Übermensch": 0.2, "çà|café": 0.4})


def test_pairs_csv_values(non_ascii_file, tmp_path):
    out = tmp_path / "out"
    prepare_dataset("intl", {"source": str(non_ascii_file)}, {"decimal_comma": True}, out)

    pairs = read_pairs(out / "pairs.csv")
    assert pairs["pos1"].tolist() == ["", "", ""]
    assert pairs["score_raw"].tolist() == pytest.approx([6.5, 2.0, 4.0])
    assert pairs["line"].tolist() == [1, 2, 3]
    assert pairs["self_pair"].tolist() == [False, False, False]


def test_report_json_fields(non_ascii_file, tmp_path):
    out = tmp_path / "out"
    prepare_dataset("intl", {"source": str(non_ascii_file)}, {"decimal_comma": True}, out)

    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["dataset"] == "intl"
    assert report["source"] == str(non_ascii_file)
    assert len(report["source_sha256"]) == 64
    assert report["format"] == "wordsim353_split"
    assert report["format_detected"] is True
    assert report["scale"] == [0.0, 10.0]
    assert report["direction"] == "similarity"
    assert report["case"] == "keep"
    assert report["duplicates"] == "mean"
    assert report["lines_read"] == 3
    assert report["pairs_used"] == 3
    assert report["skipped"] == []
    assert report["duplicate_groups"] == []
    assert report["self_pairs"] == []
    assert report["n_words"] == 5
    assert "published_agreement" not in report


def test_sidecars_record_source_and_params(non_ascii_file, tmp_path):
    out = tmp_path / "out"
    dataset = {"source": str(non_ascii_file)}
    prepare_dataset("intl", dataset, {"decimal_comma": True}, out)

    sidecar = json.loads((out / "pairs.csv.provenance.json").read_text(encoding="utf-8"))
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert sidecar["stage"] == "prepare"
    assert sidecar["inputs"] == {str(non_ascii_file): report["source_sha256"]}
    assert sidecar["params"] == {"dataset": dataset, "prepare": {"decimal_comma": True}}
    assert sidecar["artifact"] == str(out / "pairs.csv")


def test_skipped_lines_reported(tmp_path):
    source = tmp_path / "ws.tsv"
    source.write_text("# WordSim-353\n\nlove\tsex\t6.77\n# Word 1\tWord 2\n", encoding="utf-8")

    ratings = prepare_dataset("ws", {"source": str(source)}, {}, tmp_path / "out")

    assert ratings.report["skipped"] == [
        {"line": 1, "reason": "comment"},
        {"line": 2, "reason": "blank line"},
        {"line": 4, "reason": "comment"},
    ]
    assert ratings.report["lines_read"] == 4


def test_raters_csv_aligned(tmp_path):
    source = tmp_path / "men.txt"
    source.write_text("sun sunlight 50\nriver water 49\nbed sleep 30\n", encoding="utf-8")
    first = tmp_path / "first.txt"
    first.write_text("water\triver\t7\t\nsun\tsunlight\t6\u00a0\nnature\ttav\t1\n", encoding="utf-8")
    second = tmp_path / "second.txt"
    second.write_text("sun\tsunlight\t7\nbed\tsleep\t4\nbed\tsleep\t6\n", encoding="utf-8")
    out = tmp_path / "out"

    ratings = prepare_dataset("men", {"source": str(source), "raters": [str(first), str(second)]}, {}, out)

    table = pd.read_csv(out / "raters.csv", encoding="utf-8")
    assert list(table.columns) == RATER_COLUMNS
    assert table.values.tolist() == [
        ["sun", "sunlight", "first", pytest.approx(5 / 6)],
        ["river", "water", "first", 1.0],
        ["sun", "sunlight", "second", 1.0],
        ["bed", "sleep", "second", pytest.approx(4 / 6)],
    ]
    assert (out / "raters.csv.provenance.json").is_file()

    summary = ratings.report["raters"]
    assert summary["first"]["scale"] == [1.0, 7.0]
    assert summary["first"]["matched_pairs"] == 2
    assert summary["first"]["unmatched_rows"] == 1
    assert summary["first"]["unmatched_examples"] == [{"line": 3, "pair": "nature|tav"}]
    assert summary["second"]["pairs_rated_more_than_once"] == 1
    assert summary["second"]["pairs_without_rating"] == 1


def test_rater_aliases_match_other_form(tmp_path):
    natural = tmp_path / "natural"
    natural.write_text("stairs staircase 49\nborn baby 40\n", encoding="utf-8")
    lemma = tmp_path / "lemma"
    lemma.write_text("stair-n staircase-n 49\nbear-v baby-n 40\n", encoding="utf-8")
    rater = tmp_path / "rater.txt"
    rater.write_text("stair\tstaircase\t7\nbear\tbaby\t5\n", encoding="utf-8")

    dataset = {"source": str(natural), "rater_aliases": str(lemma), "raters": [str(rater)]}
    ratings = prepare_dataset("men", dataset, {}, tmp_path / "out")

    assert ratings.raters["word1"].tolist() == ["stairs", "born"]
    assert ratings.report["raters"]["rater"]["matched_pairs"] == 2
    assert ratings.report["rater_aliases"] == str(lemma)
