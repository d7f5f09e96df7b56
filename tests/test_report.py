"""The markdown report, plot tables and figures of the rsa stage."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from concept_sim.analysis import run_rsa_stage
from concept_sim.report import figures
from concept_sim.report.markdown import flatten_settings, format_value, markdown_table
from concept_sim.report.plot_data import parse_hook_name, rho_by_layer
from test_rsa_fixtures import SETTINGS, write_similarity_dir

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("report")
    similarity_dir = write_similarity_dir(root / "similarity")
    params = {"bootstrap": 30, "permutations": 49, "top_n": 4}
    run_rsa_stage(similarity_dir, root / "rsa", root / "metrics.json", params, labels={"dataset": "toy"})
    return root / "rsa"


def test_report_quotes_every_setting(report_dir):
    report = (report_dir / "report.md").read_text()
    for key, value in flatten_settings(SETTINGS):
        assert f"| {key} | {format_value(value)} |" in report, key


def test_report_links_existing_figures(report_dir):
    report = (report_dir / "report.md").read_text()
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report)
    assert sorted(links) == ["heatmap.png", "rho_by_layer.png", "scatter.png"]
    for link in links:
        assert (report_dir / link).read_bytes()[:8] == PNG_SIGNATURE


def test_report_top_hooks_and_result(report_dir):
    report = (report_dir / "report.md").read_text()
    table = pd.read_csv(report_dir / "rsa.csv")
    top_section = report.split("## Top 4 hooks")[1].split("## Figures")[0]

    assert top_section.count("\n| ") == 1 + 4
    assert f"best hook (in-sample): `{table.loc[0, 'hook']}`" in report
    assert "held-out: `" in report
    assert "# Representational similarity: toy on test-org/tiny-model" in report
    assert "no noise ceiling is given" in report


def test_flatten_settings_nested():
    assert flatten_settings({"a": 1, "b": {"c": "x", "d": {"e": [1, 2]}}, "f": {}}) == [
        ("a", 1), ("b.c", "x"), ("b.d.e", [1, 2]), ("f", {}),
    ]  # fmt: skip


def test_markdown_table_formats_cells():
    frame = pd.DataFrame({"hook": ["a|b"], "rho": [0.123456], "p": [0.00001], "flag": [True], "ci": [np.nan]})
    lines = markdown_table(frame).splitlines()
    assert lines[0] == "| hook | rho | p | flag | ci |"
    assert lines[2] == "| a\\|b | 0.123 | 1.00e-05 | yes | n/a |"


@pytest.mark.parametrize(
    ("name", "expected"),
    [("hook_embed", (0, "embed")), ("blocks.12.hook_mlp_out", (12, "mlp_out")), ("ln_final.hook_normalized", None)],
)
def test_parse_hook_name(name, expected):
    assert parse_hook_name(name) == expected


def test_rho_by_layer_orders_components():
    table = pd.DataFrame(
        {
            "hook": ["blocks.1.hook_resid_pre", "hook_embed", "blocks.0.hook_mlp_out"],
            "layer": [1, 0, 0], "component": ["resid_pre", "embed", "mlp_out"],
            "aliases": ["blocks.0.hook_resid_post;ln.odd_name", "", ""],
            "spearman_rho": [0.5, 0.1, 0.3], "rho_ci_low": [0.4, 0.0, 0.2], "rho_ci_high": [0.6, 0.2, 0.4],
            "degenerate": [False, True, False],
        }
    )  # fmt: skip
    layers = rho_by_layer(table)
    assert layers["component"].tolist() == ["embed", "resid_pre", "mlp_out", "resid_post"]
    assert layers.loc[3, "hook"] == "blocks.0.hook_resid_post"
    assert layers.loc[3, "spearman_rho"] == 0.5


def test_heatmap_with_single_component(tmp_path):
    layers = pd.DataFrame(
        {"layer": [0, 1], "component": ["mlp_out", "mlp_out"], "hook": ["x", "y"], "spearman_rho": [np.nan, 0.2],
         "rho_ci_low": [np.nan, 0.1], "rho_ci_high": [np.nan, 0.3], "degenerate": [False, False]}
    )  # fmt: skip
    path = figures.plot_heatmap(layers, tmp_path / "heatmap.png")
    assert path.read_bytes()[:8] == PNG_SIGNATURE
