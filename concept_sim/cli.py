"""The `concept-sim` command line: one subcommand per pipeline stage, plus store tools."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from concept_sim import paths
from concept_sim.config import Params
from concept_sim.errors import ConceptSimError

logger = logging.getLogger("concept_sim")

app = typer.Typer(help="Find where inside a language model its concepts line up with human similarity ratings.", no_args_is_help=True)
store_app = typer.Typer(help="Inspect and check HDF5 activation stores.", no_args_is_help=True)
app.add_typer(store_app, name="store")

ParamsOption = typer.Option(Path("params.yaml"), "--params", help="Path of the params file.")
DatasetOption = typer.Option(..., "--dataset", "-d", help="Dataset name, a key of `datasets` in params.")
ModelOption = typer.Option(..., "--model", "-m", help="Model name, a key of `models` in params.")
MethodOption = typer.Option("default", "--method", help="Method name, a key of `methods` in params.")
ArtifactsOption = typer.Option(paths.ARTIFACTS, "--artifacts", help="Root folder of the pipeline's outputs.")


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug messages.")) -> None:
    # CONCEPT_SIM_LOG_LEVEL sets the level where the command line cannot, as in dvc.yaml stages.
    level = "DEBUG" if verbose else os.environ.get("CONCEPT_SIM_LOG_LEVEL", "INFO").upper()
    if level not in logging.getLevelNamesMapping():
        level = "INFO"
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn a ConceptSimError into its message on stderr and exit status 1."""
    try:
        yield
    except ConceptSimError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=1) from None


@app.command()
def prepare(
    dataset: str = DatasetOption,
    params: Path = ParamsOption,
    artifacts: Path = ArtifactsOption,
) -> None:
    """Read a ratings file into a pairs table, a word list and a prepare report."""
    from concept_sim.ratings import prepare_dataset

    with _user_errors():
        loaded = Params.load(params)
        result = prepare_dataset(dataset, loaded.dataset(dataset), loaded.section("prepare"), paths.prepared_dir(dataset, artifacts))
    typer.echo(f"{dataset}: {len(result.pairs)} pairs, {len(result.words)} words ({result.format})")


@app.command()
def extract(
    dataset: str = DatasetOption,
    model: str = ModelOption,
    method: str = MethodOption,
    params: Path = ParamsOption,
    artifacts: Path = ArtifactsOption,
) -> None:
    """Run every word through the model and store one pooled vector per word per hook."""
    from concept_sim.extraction.runner import extract_store
    from concept_sim.models import load_model, resolve_device
    from concept_sim.provenance import describe_inputs

    with _user_errors():
        loaded = Params.load(params)
        model_config = loaded.model(model)
        extract_method = loaded.method(method).extract
        run_settings = loaded.run_settings()
        words_path = paths.prepared_dir(dataset, artifacts) / "words.txt"
        words = _read_words(words_path)
        device = resolve_device(run_settings.device)
        bundle = load_model(model_config, device)
        out = extract_store(words, bundle, extract_method, run_settings, paths.store_path(dataset, model, method, artifacts), describe_inputs([words_path]))
    typer.echo(f"wrote {out}")


def _read_words(path: Path) -> list[str]:
    if not path.exists():
        raise ConceptSimError(f"{path}: word list not found; run `concept-sim prepare` first")
    words = [line for line in path.read_text(encoding="utf-8").split("\n") if line]
    if not words:
        raise ConceptSimError(f"{path}: word list is empty")
    return words


@app.command()
def similarity(
    dataset: str = DatasetOption,
    model: str = ModelOption,
    method: str = MethodOption,
    params: Path = ParamsOption,
    artifacts: Path = ArtifactsOption,
) -> None:
    """Compute the cosine similarity of every pair at every hook."""
    from concept_sim.similarity import compute_similarity

    with _user_errors():
        loaded = Params.load(params)
        similarity_method = loaded.method(method).similarity.method
        table = compute_similarity(
            paths.store_path(dataset, model, method, artifacts),
            paths.prepared_dir(dataset, artifacts) / "pairs.csv",
            paths.similarity_dir(dataset, model, method, artifacts),
            similarity_method,
        )
    typer.echo(f"{len(table)} pairs x {table.shape[1] - 3} hooks")


@app.command()
def rsa(
    dataset: str = DatasetOption,
    model: str = ModelOption,
    method: str = MethodOption,
    params: Path = ParamsOption,
    artifacts: Path = ArtifactsOption,
) -> None:
    """Correlate each hook's cosines with the human scores; write tables, metrics and figures."""
    from concept_sim.analysis import run_rsa_stage

    with _user_errors():
        loaded = Params.load(params)
        rsa_params = dict(loaded.section("rsa"))
        top_n = int(rsa_params.get("top_n", 10))
        table = run_rsa_stage(
            paths.similarity_dir(dataset, model, method, artifacts),
            paths.rsa_dir(dataset, model, method, artifacts),
            paths.metrics_path(dataset, model, method, artifacts),
            rsa_params,
            ratings_dir=paths.prepared_dir(dataset, artifacts),
            labels={"dataset": dataset, "model": model, "method": method},
        )
    typer.echo(f"Top {top_n} hooks by Spearman rho ({dataset}, {model}, {method}):")
    for rank, row in enumerate(table.head(top_n).itertuples(), start=1):
        typer.echo(f"{rank:3d}  {row.hook:32s} rho={row.spearman_rho:+.4f}  r={row.pearson_r:+.4f}  n={row.n_pairs}")


@app.command()
def compare(
    metrics: list[Path] = typer.Argument(None, help="metrics.json files to compare; default: every run listed in params."),
    out: Path = typer.Option(Path("reports/compare"), "--out", help="Folder for compare.csv, compare.png and compare.md."),
    params: Path = ParamsOption,
    artifacts: Path = ArtifactsOption,
) -> None:
    """Tabulate and plot the best hook and its rho with CI across datasets, models and methods."""
    from concept_sim.compare import compare_runs

    with _user_errors():
        files = list(metrics) if metrics else _metrics_from_params(Params.load(params), artifacts)
        table = compare_runs(files, out)
    typer.echo(table.to_string(index=False))


def _metrics_from_params(params: Params, artifacts: Path) -> list[Path]:
    run = params.section("run")
    return [
        paths.metrics_path(dataset, model, method, artifacts)
        for dataset in run.get("datasets", [])
        for model in run.get("models", [])
        for method in run.get("methods", [])
    ]


@store_app.command("info")
def store_info(path: Path = typer.Argument(..., help="Path of an HDF5 activation store.")) -> None:
    """Show a store's layout, settings, completeness and size."""
    from concept_sim.store_check import describe_store

    with _user_errors():
        typer.echo(describe_store(path))


@store_app.command("validate")
def store_validate(path: Path = typer.Argument(..., help="Path of an HDF5 activation store.")) -> None:
    """Check a store for completeness, NaN and inf; exit 1 when it is not usable."""
    from concept_sim.store_check import validate_store

    with _user_errors():
        problems = validate_store(path)
    if problems:
        for problem in problems:
            typer.echo(f"invalid: {problem}", err=True)
        raise typer.Exit(code=1)
    typer.echo(f"{path}: valid")


@app.command()
def audit(
    artifact: Path = typer.Argument(..., help="An artifact file or folder, e.g. artifacts/<dataset>/<model>/<method>/rsa/rsa.csv."),
    strict: bool = typer.Option(False, "--strict", help="Also exit 1 when a hash is recorded nowhere or cannot be recomputed here."),
) -> None:
    """Trace an artifact back to its ratings file and model, recheck every hash; exit 1 on drift."""
    from concept_sim.audit import audit_artifact, format_report

    with _user_errors():
        report = audit_artifact(artifact)
    typer.echo(format_report(report))
    for problem in report.problems:
        typer.echo(f"drift: {problem}", err=True)
    if not report.ok or (strict and report.unverified):
        raise typer.Exit(code=1)


if __name__ == "__main__":
    app()
