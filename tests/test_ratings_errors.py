"""Malformed ratings files: each error reads `file:line: reason` and names the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from concept_sim.errors import RatingsError
from concept_sim.ratings import load_ratings, prepare_dataset


def write_bytes(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def write(tmp_path: Path, name: str, text: str) -> Path:
    return write_bytes(tmp_path, name, text.encode("utf-8"))


def error_message(dataset: dict, prepare: dict | None = None) -> str:
    with pytest.raises(RatingsError) as error:
        load_ratings(dataset, prepare or {})
    return str(error.value)


def test_non_numeric_score_relative_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    lines = "".join(f"word{i} other{i} {i}.0\n" for i in range(16)) + "tiger cat abc\n"
    write(tmp_path, "data/x.txt", lines)

    message = error_message({"source": "data/x.txt", "format": "men"})

    assert message == "data/x.txt:17: score 'abc' is not a number; expected word1 word2 score"


def test_wrong_field_count_tab(tmp_path):
    path = write(tmp_path, "split.txt", "tiger\tcat\t7.35\nplane\tcar\t5.77\textra\n")

    message = error_message({"source": str(path)})

    assert message == f"{path}:2: line has 4 tab-separated fields; expected 3 (word1<TAB>word2<TAB>score)"


def test_wrong_field_count_header_format(tmp_path):
    text = "Word 1,Word 2,Human (mean)\r\nlove,sex\r\n"
    path = write(tmp_path, "combined.csv", text)

    message = error_message({"source": str(path)})

    assert message == f"{path}:2: line has 2 comma-separated fields; expected 3 (Word 1,Word 2,Human (mean))"


def test_score_above_declared_scale(tmp_path):
    path = write(tmp_path, "men.txt", "sun sunlight 50.000000\nriver water 51\n")

    message = error_message({"source": str(path)})

    assert message.startswith(f"{path}:2: score 51 is outside the declared scale 0-50; ")
    assert "set `scale: [lo, hi]` for this dataset in params.yaml" in message


def test_negative_score_outside_scale(tmp_path):
    path = write(tmp_path, "fish.json", '{"salmon|tuna": 0.43,\n "salmon|eel": -0.1}')

    message = error_message({"source": str(path)})

    assert message.startswith(f"{path}:2: score -0.1 is outside the declared scale 0-1; ")


def test_empty_word(tmp_path):
    path = write(tmp_path, "split.txt", "tiger\tcat\t7.35\n\tcar\t5.77\n")

    message = error_message({"source": str(path), "format": "wordsim353_split"})

    assert message == f"{path}:2: word1 is empty; expected word1<TAB>word2<TAB>score"


def test_empty_score(tmp_path):
    path = write(tmp_path, "split.txt", "tiger\tcat\t7.35\nplane\tcar\t \n")

    message = error_message({"source": str(path), "format": "wordsim353_split"})

    assert message == f"{path}:2: score is empty; expected word1<TAB>word2<TAB>score"


def test_decimal_comma_rejected(tmp_path):
    path = write(tmp_path, "split.txt", "tiger\tcat\t7.35\nplane\tcar\t7,5\n")

    message = error_message({"source": str(path)})

    assert message == (f"{path}:2: score '7,5' uses a decimal comma; write it with a decimal point, "
                       "or set prepare.decimal_comma: true in params.yaml")


def test_decimal_comma_accepted_when_enabled(tmp_path):
    path = write(tmp_path, "split.txt", "tiger\tcat\t7.35\nplane\tcar\t7,5\n")

    ratings = load_ratings({"source": str(path)}, {"decimal_comma": True})

    assert ratings.pairs["score_raw"].tolist() == pytest.approx([7.35, 7.5])
    assert ratings.report["decimal_comma"] is True


def test_decimal_comma_in_comma_file(tmp_path):
    path = write(tmp_path, "combined.csv", "Word 1,Word 2,Human (mean)\nlove,sex,6,77\n")

    message = error_message({"source": str(path)})

    assert message == (f"{path}:2: score '6,77' uses a decimal comma, which is also this file's "
                       "separator; write it with a decimal point or quote the field")


def test_spaces_in_tab_file(tmp_path):
    path = write(tmp_path, "split.txt", "tiger\tcat\t7.35\nplane car 5.77\n")

    message = error_message({"source": str(path)})

    assert message == (f"{path}:2: line is split by spaces, but this file is tab-separated; "
                       "put tabs between the fields (word1<TAB>word2<TAB>score)")


def test_tab_in_space_file(tmp_path):
    path = write(tmp_path, "men.txt", "sun sunlight 50\nriver\twater\t49\n")

    message = error_message({"source": str(path)})

    assert message == (f"{path}:2: line contains a tab, but this file is space-separated; "
                       "put single spaces between the fields (word1 word2 score)")


def test_multiword_in_space_file(tmp_path):
    path = write(tmp_path, "men.txt", "sun sunlight 50\nice cream dessert 40\n")

    message = error_message({"source": str(path)})

    assert message.startswith(f"{path}:2: line has 4 space-separated fields; expected 3 (word1 word2 score); ")
    assert "a space-separated file cannot hold multiword items" in message


def test_multiword_in_tab_file_accepted(tmp_path):
    path = write(tmp_path, "split.txt", "ice cream\tdessert\t7.5\n")

    ratings = load_ratings({"source": str(path)}, {})

    assert ratings.pairs["word1"].tolist() == ["ice cream"]


def test_invalid_utf8_names_line_and_offset(tmp_path):
    data = "tiger\tcat\t7.35\n".encode() + b"caf\xe9\tbar\t5.0\n"
    path = write_bytes(tmp_path, "split.txt", data)

    message = error_message({"source": str(path)})

    assert message.startswith(f"{path}:2: byte 0xe9 at byte offset 18 is not valid UTF-8; ")
    assert "re-save the file as UTF-8, or set `encoding`" in message


def test_encoding_param_decodes_latin1(tmp_path):
    path = write_bytes(tmp_path, "split.txt", b"caf\xe9\tbar\t5.0\n")

    ratings = load_ratings({"source": str(path), "encoding": "latin-1"}, {})

    assert ratings.pairs["word1"].tolist() == ["café"]
    assert ratings.report["encoding"] == "latin-1"


def test_byte_order_mark_stripped(tmp_path):
    path = write_bytes(tmp_path, "combined.csv", b"\xef\xbb\xbfWord 1,Word 2,Human (mean)\r\nlove,sex,6.77\r\n")

    ratings = load_ratings({"source": str(path)}, {})

    assert ratings.format == "wordsim353"
    assert ratings.pairs["word1"].tolist() == ["love"]


def test_simlex_header_missing_column(tmp_path):
    path = write(tmp_path, "simlex.txt", "word1\tword2\tPOS\tSimLex999\n")
    text = "word1\tword2\tPOS\tscore\nold\tnew\tA\t1.58\n"
    path = write(tmp_path, "simlex.txt", text)

    message = error_message({"source": str(path), "format": "simlex999"})

    assert message == (f"{path}:1: header has no column 'SimLex999'; expected a tab-separated header "
                       "with columns word1, word2, POS, SimLex999")


def test_json_invalid_syntax(tmp_path):
    path = write(tmp_path, "fish.json", '{\n  "salmon|tuna": 0.43,\n  "salmon|eel" 0.34\n}\n')

    message = error_message({"source": str(path)})

    assert message.startswith(f"{path}:3: invalid JSON (Expecting ':' delimiter")


def test_json_string_score(tmp_path):
    path = write(tmp_path, "fish.json", '{\n  "salmon|tuna": "abc"\n}\n')

    message = error_message({"source": str(path)})

    assert message == f'{path}:2: score "abc" is not a number; expected {{"word1|word2": score, ...}}'


def test_json_key_without_separator(tmp_path):
    path = write(tmp_path, "fish.json", '{\n  "salmon tuna": 0.4\n}\n')

    message = error_message({"source": str(path)})

    assert message.startswith(f'{path}:2: key "salmon tuna" is not of the form "word1|word2"')


def test_word_with_pair_separator(tmp_path):
    path = write(tmp_path, "split.txt", "a|b\tc\t5\n")

    message = error_message({"source": str(path)})

    assert message.startswith(f"{path}:1: word 'a|b' contains '|'")


def test_duplicates_error_lists_lines(tmp_path):
    text = "Word 1,Word 2,Human (mean)\nmoney,cash,9.15\nlove,sex,6.77\nmoney,cash,9.08\ncash,money,9.00\n"
    path = write(tmp_path, "combined.csv", text)

    message = error_message({"source": str(path)}, {"duplicates": "error"})

    assert message == (f"{path}:2: 1 pair(s) appear more than once: 'money|cash' on lines 2, 4, 5 "
                       "(scores 9.15, 9.08, 9); remove the extra lines, or set prepare.duplicates "
                       "to mean or first in params.yaml")


def test_zero_pairs_rejected(tmp_path):
    path = write(tmp_path, "empty.tsv", "# only a comment\n\n")

    with pytest.raises(RatingsError) as error:
        prepare_dataset("empty", {"source": str(path), "format": "gensim_tsv"}, {}, tmp_path / "out")

    assert str(error.value).startswith(f"{path}:1: no usable pairs (lines read: 2, all skipped)")
    assert not (tmp_path / "out").exists()


def test_empty_file_detection(tmp_path):
    path = write(tmp_path, "empty.txt", "")

    message = error_message({"source": str(path)})

    assert message.startswith(f"{path}:1: the file has no data lines; expected one of: ")
