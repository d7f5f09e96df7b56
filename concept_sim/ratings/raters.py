"""Per-rater rating files, parsed and aligned to the dataset's pairs for noise-ceiling estimates."""

from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path
from statistics import fmean
from typing import Any

import pandas as pd

from concept_sim.errors import ConfigError, RatingsError
from concept_sim.provenance import sha256_file
from concept_sim.ratings.model import RATER_COLUMNS, RawRow
from concept_sim.ratings.scores import check_in_scale, location, parse_score, rescale
from concept_sim.ratings.sources import resolve_source
from concept_sim.ratings.text import is_blank, is_comment, read_lines, split_fields

logger = logging.getLogger(__name__)

# Default scales of the per-rater files that ship with the datasets. The MEN agreement files hold
# two authors' 1-7 Likert ratings. The WordSim-353 annotator files hold the 0-10 WordSim means.
DEFAULT_RATER_SCALES: dict[str, tuple[float, float]] = {
    "men": (1.0, 7.0),
    "wordsim353": (0.0, 10.0),
    "wordsim353_split": (0.0, 10.0),
}
_EXPECTED = "word1<TAB>word2<TAB>rating, or label<TAB>word1<TAB>word2<TAB>rating"
_MAX_LISTED_UNMATCHED = 10

PairKey = tuple[str, str]


def rater_scale(fmt: str, configured: tuple[float, float] | None) -> tuple[float, float]:
    """Return the rating scale of the per-rater files: `rater_scale` from params, else the format's default."""
    if configured is not None:
        return configured
    if fmt in DEFAULT_RATER_SCALES:
        return DEFAULT_RATER_SCALES[fmt]
    raise ConfigError(f"format {fmt} has no default scale for per-rater files; set `rater_scale: [lo, hi]` "
                      "for this dataset in params.yaml")


def _parse_rater_line(path: Path, number: int, line: str, scale: tuple[float, float],
                      decimal_comma: bool) -> RawRow:
    # Trailing tabs and a trailing non-breaking space occur in the MEN agreement files.
    text = line.strip()
    fields = split_fields(text, "\t" if "\t" in text else " ")
    where = location(path, number)

    if len(fields) not in (3, 4):
        raise RatingsError(f"{where}: line has {len(fields)} fields; expected {_EXPECTED}")

    word1, word2, score_text = fields[-3:]
    for label, word in (("word1", word1), ("word2", word2)):
        if word == "":
            raise RatingsError(f"{where}: {label} is empty; expected {_EXPECTED}")

    score = parse_score(score_text, where, _EXPECTED, decimal_comma)
    check_in_scale(score, score_text, where, scale)
    return RawRow(word1, word2, "", "", score, number)


def read_rater_file(path: Path, scale: tuple[float, float], decimal_comma: bool) -> list[RawRow]:
    """Read one rater's file; `#` comment and blank lines are skipped."""
    rows = []
    for number, line in enumerate(read_lines(path), start=1):
        if is_blank(line) or is_comment(line):
            continue
        rows.append(_parse_rater_line(path, number, line, scale, decimal_comma))
    return rows


def _word_key(word1: str, word2: str) -> PairKey:
    first, second = sorted((word1, word2))
    return first, second


def _rater_names(paths: list[Path]) -> list[str]:
    names: list[str] = []
    for path in paths:
        name = path.stem if path.suffix else path.name
        names.append(name if name not in names else f"{name}-{len(names) + 1}")
    return names


def pair_lookup(pairs: pd.DataFrame, aliases: list[RawRow]) -> dict[PairKey, int]:
    """Map the unordered words of each pair, and of each alias row on the same source line, to the pair's row index."""
    lookup: dict[PairKey, int] = {}
    by_line = {int(line): i for i, line in enumerate(pairs["line"])}
    for row in aliases:
        if row.line in by_line:
            lookup.setdefault(_word_key(row.word1, row.word2), by_line[row.line])

    for i, (word1, word2) in enumerate(zip(pairs["word1"], pairs["word2"])):
        lookup[_word_key(word1, word2)] = i
    return lookup


def _align_one(name: str, path: Path, rows: list[RawRow], pairs: pd.DataFrame, pair_index: dict[PairKey, int],
               case: str, scale: tuple[float, float], direction: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    ratings: dict[int, list[float]] = defaultdict(list)
    unmatched: list[dict[str, Any]] = []
    for row in rows:
        word1, word2 = (row.word1.lower(), row.word2.lower()) if case == "lower" else (row.word1, row.word2)
        index = pair_index.get(_word_key(word1, word2))
        if index is None:
            unmatched.append({"line": row.line, "pair": f"{row.word1}|{row.word2}"})
        else:
            ratings[index].append(row.score_raw)

    first_words = pairs["word1"].tolist()
    second_words = pairs["word2"].tolist()
    records = [
        {"word1": first_words[i], "word2": second_words[i], "rater": name,
         "score": rescale(fmean(ratings[i]), scale, direction)}
        for i in sorted(ratings)
    ]
    summary = {
        "path": str(path),
        "sha256": sha256_file(path),
        "scale": list(scale),
        "rows": len(rows),
        "matched_pairs": len(ratings),
        "pairs_rated_more_than_once": sum(len(values) > 1 for values in ratings.values()),
        "pairs_without_rating": len(pairs) - len(ratings),
        "unmatched_rows": len(unmatched),
        "unmatched_examples": unmatched[:_MAX_LISTED_UNMATCHED],
    }
    if unmatched:
        logger.warning("%s: %d of %d rated pairs match no pair of the dataset, e.g. line %d '%s'",
                       path, len(unmatched), len(rows), unmatched[0]["line"], unmatched[0]["pair"])
    return records, summary


def _flag_identical(table: pd.DataFrame, summaries: dict[str, dict[str, Any]]) -> None:
    wide = table.pivot_table(index=["word1", "word2"], columns="rater", values="score")
    names = list(wide.columns)
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            both = wide[[first, second]].dropna()
            if len(both) and (both[first] == both[second]).all():
                logger.warning("raters %s and %s give identical scores on all %d shared pairs; "
                               "they cannot measure agreement", first, second, len(both))
                summaries[first].setdefault("identical_to", []).append(second)
                summaries[second].setdefault("identical_to", []).append(first)


def align_raters(sources: list[str], pairs: pd.DataFrame, fmt: str, configured_scale: tuple[float, float] | None,
                 case: str, direction: str, decimal_comma: bool,
                 aliases: list[RawRow] | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Return the long table (word1, word2, rater, score rescaled to 0-1) and a summary per rater.

    A rater row matches a dataset pair by its two words in either order, after the case policy.
    `aliases` are the rows of a file with the same pairs on the same lines in other word forms.
    A rater row that matches an alias row counts for the pair on that line. Repeated ratings of
    one pair by one rater are averaged.
    """
    scale = rater_scale(fmt, configured_scale)
    paths = [resolve_source(source) for source in sources]
    pair_index = pair_lookup(pairs, aliases or [])

    records: list[dict[str, Any]] = []
    summaries: dict[str, dict[str, Any]] = {}
    for name, path in zip(_rater_names(paths), paths):
        rows = read_rater_file(path, scale, decimal_comma)
        rater_records, summaries[name] = _align_one(name, path, rows, pairs, pair_index, case, scale, direction)
        records.extend(rater_records)

    table = pd.DataFrame(records, columns=RATER_COLUMNS)
    if len(summaries) > 1 and len(table):
        _flag_identical(table, summaries)
    return table, summaries
