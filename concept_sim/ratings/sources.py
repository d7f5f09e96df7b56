"""Resolution of a dataset `source` to a file on disk."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from concept_sim.errors import ConfigError

# Files that gensim ships under gensim/test/test_data (checked in gensim 4.3).
GENSIM_FILES = {
    "simlex999": "simlex999.txt",
    "wordsim353": "wordsim353.tsv",
}


def _gensim_file(name: str) -> Path:
    if name not in GENSIM_FILES:
        raise ConfigError(f"unknown gensim dataset 'gensim:{name}'; expected one of: "
                          + ", ".join(f"gensim:{key}" for key in GENSIM_FILES))

    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"source 'gensim:{name}' needs the gensim package; install it with "
                          "`pip install gensim` (or `pip install concept-sim[datasets]`)")

    path = Path(spec.submodule_search_locations[0]) / "test" / "test_data" / GENSIM_FILES[name]
    if not path.is_file():
        raise ConfigError(f"source 'gensim:{name}': {path} is missing from the installed gensim; "
                          "reinstall it with `pip install --force-reinstall gensim`")
    return path


def resolve_source(source: str) -> Path:
    """Return the file behind a `source`.

    `gensim:<name>` points inside the installed gensim package, and anything else is a file path.
    """
    if source.startswith("gensim:"):
        return _gensim_file(source.removeprefix("gensim:"))

    path = Path(source)
    if not path.is_file():
        raise ConfigError(f"ratings file not found: {source}; check `source` in params.yaml "
                          "(relative paths start at the directory the command runs in)")
    return path
