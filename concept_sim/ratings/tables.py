"""A line-by-line reader for delimited ratings files, driven by a column layout."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from concept_sim.errors import RatingsError
from concept_sim.ratings.model import RawRow, ReadResult, Skipped
from concept_sim.ratings.scores import check_in_scale, location, parse_score
from concept_sim.ratings.text import SEPARATOR_NAMES, drop_trailing_empty, is_blank, is_comment, split_fields


@dataclass(frozen=True)
class Layout:
    """Column positions of a pair's fields in each data line of a delimited file.

    Lines up to and including `header_line` are skipped as header. `pos` fills both pos1 and pos2
    from one column, as in SimLex-999.
    """

    separator: str
    n_fields: int
    word1: int
    word2: int
    score: int
    expected: str
    pos: int | None = None
    pos1: int | None = None
    pos2: int | None = None
    header_line: int = 0


@dataclass(frozen=True)
class ScoreRules:
    """Rules for parsing and range-checking score fields."""

    scale: tuple[float, float]
    decimal_comma: bool


def _field_count_error(path: Path, number: int, line: str, fields: list[str], layout: Layout) -> RatingsError:
    where = location(path, number)
    name = SEPARATOR_NAMES[layout.separator]
    whitespace_fields = line.split()

    if layout.separator == "\t" and len(whitespace_fields) == layout.n_fields:
        return RatingsError(f"{where}: line is split by spaces, but this file is tab-separated; "
                            f"put tabs between the fields ({layout.expected})")

    if layout.separator == "," and len(fields) == layout.n_fields + 1:
        joined = f"{fields[layout.score]},{fields[layout.score + 1]}"
        return RatingsError(f"{where}: score '{joined}' uses a decimal comma, which is also this "
                            "file's separator; write it with a decimal point or quote the field")

    hint = ""
    if layout.separator == " " and len(fields) > layout.n_fields:
        hint = ("; a space-separated file cannot hold multiword items, so join them "
                "(e.g. ice_cream) or convert the file to tab-separated")
    return RatingsError(f"{where}: line has {len(fields)} {name}-separated fields; expected "
                        f"{layout.n_fields} ({layout.expected}){hint}")


def _check_separator(path: Path, number: int, line: str, layout: Layout) -> None:
    if layout.separator == " " and "\t" in line:
        raise RatingsError(f"{location(path, number)}: line contains a tab, but this file is "
                           f"space-separated; put single spaces between the fields ({layout.expected})")


def _word(fields: list[str], index: int, label: str, where: str, layout: Layout) -> str:
    word = fields[index]
    if word == "":
        raise RatingsError(f"{where}: {label} is empty; expected {layout.expected}")
    return word


def _optional(fields: list[str], index: int | None) -> str:
    return "" if index is None else fields[index]


def parse_row(path: Path, number: int, line: str, layout: Layout, rules: ScoreRules) -> RawRow:
    """Parse one data line into a RawRow, raising RatingsError `file:line: reason` on any defect."""
    _check_separator(path, number, line, layout)

    fields = split_fields(line, layout.separator)
    if layout.separator in ("\t", " "):
        fields = drop_trailing_empty(fields, layout.n_fields)
    if len(fields) != layout.n_fields:
        raise _field_count_error(path, number, line, fields, layout)

    where = location(path, number)
    word1 = _word(fields, layout.word1, "word1", where, layout)
    word2 = _word(fields, layout.word2, "word2", where, layout)

    score_text = fields[layout.score]
    score = parse_score(score_text, where, layout.expected, rules.decimal_comma)
    check_in_scale(score, score_text, where, rules.scale)

    pos1 = _optional(fields, layout.pos if layout.pos is not None else layout.pos1)
    pos2 = _optional(fields, layout.pos if layout.pos is not None else layout.pos2)
    return RawRow(word1, word2, pos1, pos2, score, number)


def _header_area_reason(number: int, line: str, layout: Layout) -> str:
    if number == layout.header_line:
        return "header"
    if is_blank(line):
        return "blank line"
    return "comment"


def read_table(path: Path, lines: list[str], layout: Layout, rules: ScoreRules) -> ReadResult:
    """Read every data line; header, `#` comment and blank lines are recorded as skipped."""
    rows: list[RawRow] = []
    skipped: list[Skipped] = []

    for number, line in enumerate(lines, start=1):
        if number <= layout.header_line:
            skipped.append(Skipped(number, _header_area_reason(number, line, layout)))
        elif is_blank(line):
            skipped.append(Skipped(number, "blank line"))
        elif is_comment(line):
            skipped.append(Skipped(number, "comment"))
        else:
            rows.append(parse_row(path, number, line, layout, rules))

    return ReadResult(rows=rows, skipped=skipped, lines_read=len(lines))


def header_fields(line: str, separator: str) -> list[str]:
    """Split a header line; a trailing tab (as in WordSim-353 set1.tab) adds no column."""
    return drop_trailing_empty(split_fields(line, separator), 1)


def first_content_line(lines: list[str]) -> tuple[int, str] | None:
    """Return (line number, text) of the first line that is neither blank nor a `#` comment."""
    for number, line in enumerate(lines, start=1):
        if not is_blank(line) and not is_comment(line):
            return number, line
    return None
