"""Decoding a ratings file into lines, and splitting lines into fields."""

from __future__ import annotations

import codecs
import csv
import re
from pathlib import Path

from concept_sim.errors import RatingsError

SEPARATOR_NAMES = {"\t": "tab", ",": "comma", " ": "space", ";": "semicolon"}
_SPACES = re.compile(r" +")


def decode_text(path: Path, data: bytes, encoding: str | None) -> str:
    """Decode file bytes as UTF-8 (or `encoding` when given) and drop a byte-order mark.

    Invalid UTF-8 raises RatingsError with the line and byte offset, so that no byte is
    silently replaced.
    """
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise RatingsError(f"{path}:1: unknown encoding {encoding!r} in params.yaml; "
                               "use a Python codec name such as utf-8, cp1252 or latin-1") from exc

    try:
        text = data.decode(encoding or "utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start:exc.end].hex()
        raise RatingsError(
            f"{path}:{line}: byte 0x{bad} at byte offset {exc.start} is not valid "
            f"{encoding or 'UTF-8'}; re-save the file as UTF-8, or set `encoding` "
            "(e.g. cp1252 or latin-1) for this dataset in params.yaml"
        ) from exc

    return text.removeprefix("\ufeff")


def read_lines(path: Path, encoding: str | None = None) -> list[str]:
    """Return the file's lines without line endings; LF and CRLF both end a line.

    A final line ending does not start an extra empty line.
    """
    text = decode_text(path, path.read_bytes(), encoding)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def split_fields(line: str, separator: str) -> list[str]:
    """Split one line at `separator` and strip each field; fields keep their inner spaces.

    A space separator also matches runs of spaces. Comma and semicolon lines follow CSV quoting.
    """
    if separator in (",", ";"):
        fields = next(csv.reader([line], delimiter=separator), [""])
        return [field.strip() for field in fields]

    fields = _SPACES.split(line.strip(" ")) if separator == " " else line.split(separator)
    return [field.strip() for field in fields]


def drop_trailing_empty(fields: list[str], keep: int) -> list[str]:
    """Drop empty fields left by separators at the end of the line, keeping at least `keep` fields."""
    fields = list(fields)
    while len(fields) > keep and fields[-1] == "":
        fields.pop()
    return fields


def is_blank(line: str) -> bool:
    return line.strip() == ""


def is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")
