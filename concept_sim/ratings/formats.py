"""Declared scales of the known formats and format detection from a file's header and extension."""

from __future__ import annotations

from pathlib import Path

from concept_sim.errors import RatingsError
from concept_sim.ratings.scores import looks_numeric
from concept_sim.ratings.tables import first_content_line, header_fields
from concept_sim.ratings.text import is_comment, split_fields

# Rating scales as the datasets' own documentation states them. SimLex-999 annotator means were
# mapped from 0-6 to 0-10 by its authors. WordSim-353 raters used 0-10. A MEN score counts how
# often a pair won among 50 comparisons. The notebook files are written on 0-10 and 0-1.
DECLARED_SCALES: dict[str, tuple[float, float]] = {
    "simlex999": (0.0, 10.0),
    "wordsim353": (0.0, 10.0),
    "wordsim353_split": (0.0, 10.0),
    "gensim_tsv": (0.0, 10.0),
    "men": (0.0, 50.0),
    "notebook_pos": (0.0, 10.0),
    "notebook_json": (0.0, 1.0),
}

EXPECTED_FORMATS = (
    "simlex999 (tab-separated header with word1, word2, POS, SimLex999), "
    "wordsim353 (header Word 1, Word 2, Human (mean), comma or tab), "
    "gensim_tsv ('#' comment lines, then word1<TAB>word2<TAB>score), "
    "wordsim353_split (word1<TAB>word2<TAB>score, no header), "
    "men (word1 word2 score separated by spaces), "
    "notebook_pos (word#pos word#pos score), "
    'notebook_json ({"word1|word2": score}); '
    "other tables need format: csv with `columns` and `scale`"
)


def _header_names(line: str) -> set[str]:
    separator = "\t" if "\t" in line else ","
    return {name.casefold() for name in split_fields(line, separator)}


def _is_pair_line(fields: list[str]) -> bool:
    return len(fields) == 3 and fields[0] != "" and fields[1] != "" and looks_numeric(fields[2])


def detect_format(path: Path, lines: list[str]) -> str:
    """Return the format name that the file's extension, header or first data line matches.

    Raise RatingsError listing the expected formats when none matches.
    """
    if path.suffix.lower() == ".json" or "\n".join(lines).lstrip().startswith("{"):
        return "notebook_json"

    found = first_content_line(lines)
    if found is None:
        raise RatingsError(f"{path}:1: the file has no data lines; expected one of: {EXPECTED_FORMATS}")
    number, line = found

    names = _header_names(line)
    if "simlex999" in names:
        return "simlex999"
    if {"word 1", "word 2", "human (mean)"} <= names:
        return "wordsim353"

    if "\t" in line:
        if _is_pair_line(header_fields(line, "\t")):
            has_comments = any(is_comment(earlier) for earlier in lines[: number - 1])
            return "gensim_tsv" if has_comments else "wordsim353_split"
    else:
        fields = header_fields(line, " ")
        if _is_pair_line(fields):
            return "notebook_pos" if "#" in fields[0] and "#" in fields[1] else "men"

    raise RatingsError(f"{path}:{number}: cannot detect the format from the line {line[:80]!r}; "
                       f"expected one of: {EXPECTED_FORMATS}. Set `format` for this dataset in params.yaml")
