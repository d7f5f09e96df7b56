"""One reader per ratings-file format; each returns the raw rows and the skipped lines."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from concept_sim.errors import ConfigError, RatingsError
from concept_sim.ratings.model import RawRow, ReadResult
from concept_sim.ratings.options import DatasetOptions
from concept_sim.ratings.scores import check_in_scale, location
from concept_sim.ratings.tables import Layout, ScoreRules, first_content_line, header_fields, read_table

Reader = Callable[[Path, list[str], DatasetOptions, ScoreRules], ReadResult]

# MEN lemma form: every token ends in -n (noun), -v (verb) or -j (adjective), e.g. sun-n.
_MEN_LEMMA = re.compile(r"(.+)-([nvj])")
# A JSON object key followed by its colon; in a flat object these are the pair keys, in order.
_JSON_KEY = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:')

SIMLEX_COLUMNS = ("word1", "word2", "POS", "SimLex999")
WORDSIM_COLUMNS = ("Word 1", "Word 2", "Human (mean)")


def _header(path: Path, lines: list[str], expected: str) -> tuple[int, str]:
    found = first_content_line(lines)
    if found is None:
        raise RatingsError(f"{path}:1: the file has no header line; expected {expected}")
    return found


def _column_index(path: Path, number: int, names: list[str], wanted: str, expected: str) -> int:
    folded = [name.casefold() for name in names]
    if wanted.casefold() not in folded:
        raise RatingsError(f"{path}:{number}: header has no column '{wanted}'; expected {expected}")
    return folded.index(wanted.casefold())


def read_simlex999(path: Path, lines: list[str], options: DatasetOptions, rules: ScoreRules) -> ReadResult:
    """Read SimLex-999 as distributed: tab-separated with a header, score from `SimLex999`, pos1/pos2 from `POS`."""
    expected = "a tab-separated header with columns " + ", ".join(SIMLEX_COLUMNS)
    number, line = _header(path, lines, expected)
    names = header_fields(line, "\t")
    word1, word2, pos, score = (_column_index(path, number, names, name, expected) for name in SIMLEX_COLUMNS)

    layout = Layout("\t", len(names), word1, word2, score, "tab-separated " + " ".join(names),
                    pos=pos, header_line=number)
    return read_table(path, lines, layout, rules)


def read_wordsim353(path: Path, lines: list[str], options: DatasetOptions, rules: ScoreRules) -> ReadResult:
    """Read WordSim-353 combined, set1 or set2 (.csv or .tab), taking the score from the `Human (mean)` column."""
    expected = "a header with columns " + ", ".join(WORDSIM_COLUMNS)
    number, line = _header(path, lines, expected)
    separator = options.delimiter or ("\t" if "\t" in line else ",")
    names = header_fields(line, separator)
    word1, word2, score = (_column_index(path, number, names, name, expected) for name in WORDSIM_COLUMNS)

    layout = Layout(separator, len(names), word1, word2, score, ",".join(names), header_line=number)
    return read_table(path, lines, layout, rules)


def read_three_tab_columns(path: Path, lines: list[str], options: DatasetOptions, rules: ScoreRules) -> ReadResult:
    """Read headerless `word1<TAB>word2<TAB>score` lines (gensim copies, WordSim-353 similarity/relatedness split)."""
    layout = Layout("\t", 3, 0, 1, 2, "word1<TAB>word2<TAB>score")
    return read_table(path, lines, layout, rules)


def _split_suffix(row: RawRow, pattern: re.Pattern[str]) -> RawRow:
    first = pattern.fullmatch(row.word1)
    second = pattern.fullmatch(row.word2)
    return replace(row, word1=first.group(1), pos1=first.group(2), word2=second.group(1), pos2=second.group(2))


def read_men(path: Path, lines: list[str], options: DatasetOptions, rules: ScoreRules) -> ReadResult:
    """Read MEN in natural or lemma form: `word1 word2 score` separated by spaces.

    When every word carries a -n/-v/-j suffix (the lemma form), the suffix moves into pos1/pos2.
    """
    result = read_table(path, lines, Layout(" ", 3, 0, 1, 2, "word1 word2 score"), rules)

    words = [word for row in result.rows for word in (row.word1, row.word2)]
    if words and all(_MEN_LEMMA.fullmatch(word) for word in words):
        result.rows = [_split_suffix(row, _MEN_LEMMA) for row in result.rows]
        result.notes["pos_source"] = "lemma suffix -n/-v/-j"
    return result


def _split_hash(word: str) -> tuple[str, str]:
    head, sep, tail = word.rpartition("#")
    return (head, tail) if sep and head else (word, "")


def read_notebook_pos(path: Path, lines: list[str], options: DatasetOptions, rules: ScoreRules) -> ReadResult:
    """Read the notebook's `word#pos word#pos score` lines, moving the part after `#` into pos1/pos2."""
    result = read_table(path, lines, Layout(" ", 3, 0, 1, 2, "word1#pos word2#pos score"), rules)

    rows = []
    for row in result.rows:
        word1, pos1 = _split_hash(row.word1)
        word2, pos2 = _split_hash(row.word2)
        rows.append(replace(row, word1=word1, pos1=pos1, word2=word2, pos2=pos2))
    result.rows = rows
    result.notes["pos_source"] = "suffix after #"
    return result


def _json_key_lines(text: str, count: int) -> list[int]:
    matches = list(_JSON_KEY.finditer(text))
    if len(matches) != count:
        return [1] * count
    return [text.count("\n", 0, match.start()) + 1 for match in matches]


def _json_row(path: Path, line: int, key: str, value: Any, rules: ScoreRules) -> RawRow:
    where = location(path, line)
    expected = '{"word1|word2": score, ...}'
    parts = [part.strip() for part in key.split("|")]
    if len(parts) != 2:
        raise RatingsError(f"{where}: key {json.dumps(key, ensure_ascii=False)} is not of the form "
                           f"\"word1|word2\"; expected {expected}")

    for label, word in zip(("word1", "word2"), parts):
        if word == "":
            shown = json.dumps(key, ensure_ascii=False)
            raise RatingsError(f"{where}: {label} is empty in key {shown}; expected {expected}")

    if isinstance(value, bool) or not isinstance(value, (int, float)):
        shown = json.dumps(value, ensure_ascii=False)
        raise RatingsError(f"{where}: score {shown} is not a number; expected {expected}")

    check_in_scale(float(value), repr(value), where, rules.scale)
    return RawRow(parts[0], parts[1], "", "", float(value), line)


def read_notebook_json(path: Path, lines: list[str], options: DatasetOptions, rules: ScoreRules) -> ReadResult:
    """Read the notebook's JSON object `{"word1|word2": score}`, keeping repeated keys for the duplicate check."""
    text = "\n".join(lines)
    if not text.lstrip().startswith("{"):
        raise RatingsError(f'{path}:1: expected a JSON object {{"word1|word2": score, ...}}')

    try:
        items = json.loads(text, object_pairs_hook=list)
    except json.JSONDecodeError as exc:
        raise RatingsError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg} at column {exc.colno}); "
                           'expected an object {"word1|word2": score, ...}') from exc

    key_lines = _json_key_lines(text, len(items))
    rows = [_json_row(path, line, key, value, rules) for line, (key, value) in zip(key_lines, items)]
    return ReadResult(rows=rows, skipped=[], lines_read=len(lines))


def _csv_index(path: Path, names: list[str] | None, role: str, column: str | int) -> int:
    if names is None:
        if isinstance(column, bool) or not isinstance(column, int) or column < 0:
            raise ConfigError(f"columns.{role} is {column!r}, but {path} is read with header: false, "
                              "so columns must be 0-based column numbers")
        return column

    if str(column) not in names:
        raise ConfigError(f"columns.{role} is {column!r}, which is not in the header of {path}; "
                          f"the header has: {', '.join(names)}")
    return names.index(str(column))


def read_csv(path: Path, lines: list[str], options: DatasetOptions, rules: ScoreRules) -> ReadResult:
    """Read a generic comma- or tab-separated table whose columns the `columns` param names."""
    if options.columns is None:
        raise ConfigError(f"format csv needs `columns` for {path}, e.g. columns: {{word1: w1, word2: w2, score: sim}}")

    first = first_content_line(lines)
    if first is None:
        raise RatingsError(f"{path}:1: the file has no data lines")

    number, line = first
    separator = options.delimiter or ("\t" if "\t" in line else ",")
    first_fields = header_fields(line, separator)
    names = first_fields if options.header else None

    index = {role: _csv_index(path, names, role, column) for role, column in options.columns.items()}
    n_fields = len(first_fields)
    too_far = [role for role, position in index.items() if position >= n_fields]
    if too_far:
        raise ConfigError(f"columns {', '.join(too_far)} point past the {n_fields} fields of {path}:{number}")

    layout = Layout(
        separator, n_fields, index["word1"], index["word2"], index["score"],
        expected=f"{n_fields} fields with word1, word2 and score in columns "
                 f"{options.columns['word1']}, {options.columns['word2']}, {options.columns['score']}",
        pos=index.get("pos"), pos1=index.get("pos1"), pos2=index.get("pos2"),
        header_line=number if options.header else 0,
    )
    return read_table(path, lines, layout, rules)


READERS: dict[str, Reader] = {
    "simlex999": read_simlex999,
    "wordsim353": read_wordsim353,
    "wordsim353_split": read_three_tab_columns,
    "gensim_tsv": read_three_tab_columns,
    "men": read_men,
    "notebook_pos": read_notebook_pos,
    "notebook_json": read_notebook_json,
    "csv": read_csv,
}
