"""Markdown text of the rsa report and the compare report."""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

from concept_sim.rsa import HeldoutResult

TOP_COLUMNS = [
    "hook", "aliases", "n_pairs", "spearman_rho", "rho_ci_low", "rho_ci_high",
    "permutation_p", "q_value", "pearson_r", "kendall_tau", "mean_cos", "median_cos", "degenerate",
]  # fmt: skip


def format_value(value: Any) -> str:
    """Format one table cell: floats to 3 decimals, small p-values in scientific notation."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        if value != 0 and abs(value) < 1e-3:
            return f"{value:.2e}"
        return f"{value:.3f}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(frame: pd.DataFrame) -> str:
    """Render a DataFrame as a GitHub-flavoured markdown table."""
    header = "| " + " | ".join(_escape(str(column)) for column in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = [
        "| " + " | ".join(_escape(format_value(_python(value))) for value in record) + " |"
        for record in frame.itertuples(index=False)
    ]
    return "\n".join([header, rule, *rows])


def _python(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def flatten_settings(settings: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Return (dotted key, value) for every leaf of a nested settings dict."""
    items: list[tuple[str, Any]] = []
    for key, value in settings.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            items.extend(flatten_settings(value, prefix=f"{name}."))
        else:
            items.append((name, value))
    return items


def _settings_table(settings: dict[str, Any]) -> str:
    rows = pd.DataFrame(flatten_settings(settings), columns=["setting", "value"])
    return markdown_table(rows) if not rows.empty else "settings.json lists no settings."


def _agreement_section(noise: dict[str, Any] | None, published: dict[str, Any] | None) -> list[str]:
    lines = ["## Human agreement", ""]
    if noise is not None:
        lines += [
            f"Noise ceiling from {noise['n_raters_used']} of {noise['n_raters']} raters:",
            "",
            f"- lower bound (each rater against the mean of the other raters, averaged): {format_value(noise['noise_ceiling'])}",
            f"- upper bound (each rater against the mean of all raters, averaged): {format_value(noise['noise_ceiling_upper'])}",
            "",
        ]
    if published:
        lines += ["Published inter-rater agreement of the dataset, recorded as a reference and not recomputed:", ""]
        lines += [f"- {key}: {format_value(value)}" for key, value in published.items()]
        lines.append("")
    if noise is None and not published:
        lines += ["No per-rater scores and no published agreement were available, so no noise ceiling is given.", ""]
    return lines


def render_rsa_report(
    table: pd.DataFrame,
    metrics: dict[str, Any],
    settings: dict[str, Any],
    params: dict[str, Any],
    heldout: HeldoutResult,
    noise: dict[str, Any] | None,
    published: dict[str, Any] | None,
) -> str:
    """Return the markdown report of one rsa run; figure links are relative to the report."""
    dataset = metrics.get("dataset") or settings.get("dataset") or "unspecified"
    model = metrics.get("model") or "unspecified"
    confidence = f"{params['confidence']:.0%}"
    degenerate = table[table["degenerate"]]

    lines = [
        f"# Representational similarity: {dataset} on {model}",
        "",
        f"- dataset: {dataset}",
        f"- model: {model}",
        f"- method: {metrics.get('method') or 'unspecified'}",
        f"- {metrics['n_pairs']} word pairs over {metrics['n_words']} words, {metrics['n_hooks']} distinct hooks",
        "",
        "## Result",
        "",
        f"- best hook (in-sample): `{metrics['best_hook']}`, Spearman rho {format_value(metrics['best_rho'])} "
        f"({confidence} CI {format_value(metrics['best_rho_ci_low'])} to {format_value(metrics['best_rho_ci_high'])}), "
        f"permutation p {format_value(metrics['best_permutation_p'])}, BH q {format_value(metrics['best_q_value'])}",
        f"- held-out: `{heldout.hook}` chosen on {heldout.n_selection_words} words "
        f"({heldout.n_selection_pairs} pairs, rho {format_value(heldout.selection_rho)}) scores rho "
        f"{format_value(heldout.rho)} on {heldout.n_heldout_pairs} pairs of the other words",
        f"- degenerate hooks (median pairwise cosine above {params['degenerate_median_cos']}): {len(degenerate)}",
        "",
        "The in-sample best rho is chosen as the maximum over all hooks and is biased upwards. "
        "The held-out rho is not, but it rests on fewer pairs.",
        "",
        *_agreement_section(noise, published),
        f"## Top {min(params['top_n'], len(table))} hooks",
        "",
        markdown_table(table[TOP_COLUMNS].head(params["top_n"])),
        "",
        "## Figures",
        "",
        "![Spearman rho by layer](rho_by_layer.png)",
        "",
        "![Spearman rho by component and layer](heatmap.png)",
        "",
        f"![Human score against cosine at {metrics['best_hook']}](scatter.png)",
        "",
    ]
    if not degenerate.empty:
        lines += ["## Degenerate hooks", "", markdown_table(degenerate[["hook", "mean_cos", "median_cos", "sd_cos", "max_median_ratio", "spearman_rho"]]), ""]
    lines += [
        "## Method",
        "",
        f"- Spearman rho is primary; Pearson r and Kendall tau-b come from scipy.stats. Pairs with a NaN cosine are dropped per hook.",
        f"- CI: BCa bootstrap with {params['bootstrap']} resamples of words (seed {params['seed']}). "
        "A resampled word brings all its pairs, so a pair enters count(word1) * count(word2) times.",
        f"- Permutation p: two-sided, {params['permutations']} permutations of the human scores shared by all hooks, so "
        f"the smallest reachable p is {2 / (params['permutations'] + 1):.2g}. q: Benjamini-Hochberg over the distinct hooks.",
        "- Held-out: a seeded random half of the words selects the hook; pairs with both words in the other half score it.",
        "",
        "## Settings",
        "",
        _settings_table(settings),
        "",
        "## Stage parameters",
        "",
        *[f"- {key}: {format_value(value)}" for key, value in params.items()],
        "",
    ]
    return "\n".join(lines)


def render_compare_report(table: pd.DataFrame) -> str:
    """Return the markdown report of a comparison across runs."""
    return "\n".join(
        [
            "# Comparison of runs",
            "",
            "Best hook per run by in-sample Spearman rho with its bootstrap CI, and the held-out rho.",
            "",
            markdown_table(table),
            "",
            "![Best rho per run](compare.png)",
            "",
        ]
    )
