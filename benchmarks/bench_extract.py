"""Time activation extraction three ways and measure the peak memory of `extract_store`.

All timings use the SimLex-999 words (1,028, from gensim's copy) and the embedded
SmolLM2-135M-Instruct (fp32, 30 layers, d_model 576) on the CPU, or on CUDA when present.
Model loading is never timed. Each rate is words per second of wall-clock time:

- notebook: the original notebook's loop. One forward pass per word on `" " + word` without BOS,
  `run_with_cache` with no names filter (every hook cached), and the last-token vector of
  resid_pre, attn_out, mlp_out and resid_post of every layer kept in a Python dict. It runs on a
  seeded random sample of the words (`--sample`) because it is slow.
- hf: plain Hugging Face forward passes with `output_hidden_states=True` over the default
  method's templated inputs. Each input is BOS plus the whole templated text, not cut after the
  word. Batches hold the same number of words as `extract_store`'s, sorted by length and
  right-padded. Nothing is pooled, and every hidden state is only moved to a CPU numpy array.
- extract_store: the product's extract stage with the default method from params.yaml,
  timed from the call to the finished HDF5 store in a temporary folder. That includes
  tokenising, the start-up guards, pooling and writing.

The speedups are extract_store's rate over the notebook's and over hf's. A notebook speedup
above 1 means the product is faster than the notebook. An hf ratio near 1 means the product adds
little over a bare forward pass. Its inputs are cut after the word, so it can pass 1.

Peak RSS runs `extract_store` once per word count (`--rss-words`), each in a fresh subprocess, so
each peak belongs to one size. The words are a seeded sample of alphabetic vocabulary tokens
that follow a space, and the method has one template (word_quoted). `rss_10k_over_1k` is the
largest count's peak over the smallest's. A value near 1 means memory does not grow with the
number of words. About 570 MiB of each peak is the loaded model. Most of the rest is the
activations of one batch, so the peak follows the batch's padded length, not the word count.

CPU timings depend on the thread count and on other load on the machine. The script prints the
load average before and after each step, so compare runs only under similar load.
The last line reads `speedup_vs_notebook=X speedup_vs_hf=Y rss_10k_over_1k=Z`.

    python benchmarks/bench_extract.py [--sample N] [--batch-size N] [--device auto|cpu|cuda]
                                       [--rss-words 1000,10000] [--quick]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from concept_sim.config import ExtractMethod, ModelConfig, Params, RunSettings
from concept_sim.extraction.batching import pad_right
from concept_sim.extraction.runner import extract_store
from concept_sim.extraction.templating import bos_token_id, render
from concept_sim.models import LoadedModel, load_model, resolve_device
from concept_sim.provenance import sha256_text
from concept_sim.ratings import load_ratings

logger = logging.getLogger("bench_extract")

REPO_ROOT = Path(__file__).resolve().parents[1]
MODEL = ModelConfig(id="embedded:smollm2-135m-instruct")
NOTEBOOK_COMPONENTS = ("resid_pre", "attn_out", "mlp_out", "resid_post")
RSS_METHOD = ExtractMethod(templates=["word_quoted"], pooling="last", bos="auto")
QUICK_WORDS = 128
QUICK_SAMPLE = 10
QUICK_RSS_WORDS = "100,300"


def load_words(limit: int | None) -> list[str]:
    """Return the SimLex-999 words, or the first `limit` of them."""
    words = load_ratings({"source": "gensim:simlex999", "format": "auto"}, {}).words
    return words[:limit] if limit else words


def default_method() -> ExtractMethod:
    """Return the extract settings of params.yaml's `default` method."""
    return Params.load(REPO_ROOT / "params.yaml").method("default").extract


def load_average() -> str:
    return "/".join(f"{value:.2f}" for value in os.getloadavg())


def warm_up(model: LoadedModel) -> None:
    """Run one bridge and one Hugging Face forward pass, so no timing pays for first-call set-up."""
    ids = torch.tensor([model.tokenizer(" warm", add_special_tokens=False)["input_ids"]], device=model.device)
    with torch.inference_mode():
        model.bridge.run_with_cache(ids)
        model.hf_model(ids, output_hidden_states=True)


def notebook_vectors(model: LoadedModel, word: str) -> dict[str, np.ndarray]:
    """Run one word as the notebook did and return its last-token vector per `component@layer`."""
    ids = model.tokenizer(" " + word, add_special_tokens=False)["input_ids"]
    tokens = torch.tensor([ids], device=model.device)
    _, cache = model.bridge.run_with_cache(tokens)
    vectors = {}
    for component in NOTEBOOK_COMPONENTS:
        for layer in range(model.n_layers):
            activation = cache[f"blocks.{layer}.hook_{component}"][0, -1]
            vectors[f"{component}@{layer}"] = activation.detach().float().cpu().numpy()
    return vectors


def time_notebook(model: LoadedModel, words: list[str]) -> float:
    """Return the notebook loop's words per second over `words`."""
    word_vectors: dict[str, dict[str, np.ndarray]] = {}
    started = time.perf_counter()
    with torch.inference_mode():
        for word in words:
            word_vectors[word] = notebook_vectors(model, word)
    seconds = time.perf_counter() - started
    logger.info("notebook: %d words in %.1f s", len(words), seconds)
    return len(words) / seconds


def full_template_ids(model: LoadedModel, words: list[str], method: ExtractMethod) -> list[list[list[int]]]:
    """Tokenise every word in every template as whole texts, with BOS under the method's policy."""
    bos_id = bos_token_id(model.native_bos_id, method.bos)
    prefix = [bos_id] if bos_id is not None else []
    per_word = []
    for word in words:
        texts = [render(template, word)[0] for template in method.template_texts]
        per_word.append([prefix + model.tokenizer(text, add_special_tokens=False)["input_ids"] for text in texts])
    return per_word


def time_hf(model: LoadedModel, words: list[str], method: ExtractMethod, batch_size: int) -> float:
    """Return plain Hugging Face forward passes' words per second, tokenising excluded."""
    per_word = full_template_ids(model, words, method)
    per_word.sort(key=lambda inputs: max(len(ids) for ids in inputs))
    pad_id = model.tokenizer.pad_token_id if model.tokenizer.pad_token_id is not None else 0

    started = time.perf_counter()
    with torch.inference_mode():
        for start in range(0, len(per_word), batch_size):
            sequences = [ids for inputs in per_word[start : start + batch_size] for ids in inputs]
            input_ids, mask = pad_right(sequences, pad_id)
            output = model.hf_model(
                input_ids.to(model.device), attention_mask=mask.to(model.device), output_hidden_states=True
            )
            hidden = [state.cpu().numpy() for state in output.hidden_states]
            del output, hidden
    seconds = time.perf_counter() - started
    logger.info("hf: %d words in %.1f s", len(words), seconds)
    return len(words) / seconds


def run_extract(model: LoadedModel, words: list[str], method: ExtractMethod, run: RunSettings) -> float:
    """Run `extract_store` into a temporary folder and return its wall-clock seconds."""
    inputs = {"benchmark words": sha256_text("\n".join(words))}
    with tempfile.TemporaryDirectory(prefix="bench_extract_") as folder:
        started = time.perf_counter()
        extract_store(words, model, method, run, Path(folder) / "store.h5", inputs)
        return time.perf_counter() - started


def vocabulary_words(model: LoadedModel, count: int, seed: int) -> list[str]:
    """Return `count` distinct alphabetic ASCII words that the tokenizer has as one token after a space."""
    words = set()
    for token in model.tokenizer.get_vocab():
        if not token.startswith("\u0120"):  # byte-level BPE's marker for a leading space
            continue
        word = model.tokenizer.convert_tokens_to_string([token]).strip()
        if word.isascii() and word.isalpha():
            words.add(word)
    if len(words) < count:
        raise SystemExit(f"--rss-words asks for {count} words but the vocabulary has only {len(words)}; use fewer")
    return random.Random(seed).sample(sorted(words), count)


def reset_peak_rss() -> bool:
    """Reset this process's peak RSS (VmHWM) to its current RSS, returning False when that fails.

    Loading the model can peak above extraction, so without the reset the peak could measure
    loading. Writing 5 to /proc/self/clear_refs resets VmHWM on Linux.
    """
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError as error:
        logger.warning("Failed to reset the peak RSS (%s), so the peak includes model loading", error)
        return False
    return True


def peak_rss_kib() -> int:
    """Return VmHWM from /proc/self/status, or ru_maxrss where /proc is absent; both in KiB."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def rss_child(count: int, device_name: str, batch_size: int, seed: int) -> None:
    """Extract `count` vocabulary words in this process and print its peak RSS as one JSON line."""
    model = load_model(MODEL, resolve_device(device_name))
    words = vocabulary_words(model, count, seed)
    load_peak = peak_rss_kib()
    reset = reset_peak_rss()
    start_rss = peak_rss_kib()
    seconds = run_extract(model, words, RSS_METHOD, RunSettings(batch_size=batch_size, device=device_name))
    measured = {"words": count, "seconds": seconds, "load_peak_kib": load_peak, "start_kib": start_rss,
                "peak_kib": peak_rss_kib(), "peak_reset": reset}  # fmt: skip
    print(json.dumps(measured))


def measure_rss(count: int, args: argparse.Namespace) -> dict[str, float]:
    """Run `rss_child` in a fresh interpreter and return what it measured."""
    command = [sys.executable, __file__, "--rss-child", str(count), "--device", args.device,
               "--batch-size", str(args.batch_size), "--seed", str(args.seed)]  # fmt: skip
    logger.info("RSS run with %d words (load average %s)", count, load_average())
    result = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"the RSS run with {count} words failed with exit status {result.returncode}; see its log above")
    return json.loads(result.stdout.strip().splitlines()[-1])


def parse_counts(text: str) -> list[int]:
    try:
        counts = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise SystemExit(f"--rss-words is {text!r}; expected comma-separated word counts such as 1000,10000") from None
    if len(counts) < 2 or counts[0] < 1:
        raise SystemExit(f"--rss-words is {text!r}; give at least two distinct positive word counts")
    return counts


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=100, help="words in the notebook method's random sample")
    parser.add_argument("--batch-size", type=int, default=64, help="words per forward pass for hf and extract_store")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="device for every run")
    parser.add_argument("--rss-words", default="1000,10000", help="comma-separated word counts for the peak RSS runs")
    parser.add_argument("--seed", type=int, default=0, help="seed of the notebook sample and the RSS word lists")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run: {QUICK_WORDS} SimLex words, a notebook sample of {QUICK_SAMPLE}, "
                             f"RSS at {QUICK_RSS_WORDS} words")  # fmt: skip
    parser.add_argument("--rss-child", type=int, default=None, help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if args.rss_child is not None:
        rss_child(args.rss_child, args.device, args.batch_size, args.seed)
        return
    if args.quick:
        args.sample, args.rss_words = QUICK_SAMPLE, QUICK_RSS_WORDS
    counts = parse_counts(args.rss_words)

    device = resolve_device(args.device)
    words = load_words(QUICK_WORDS if args.quick else None)
    method = default_method()
    run = RunSettings(batch_size=args.batch_size, device=args.device)
    model = load_model(MODEL, device)
    warm_up(model)
    print(f"device={device} torch_threads={torch.get_num_threads()} cpu_count={os.cpu_count()} "
          f"words={len(words)} templates={','.join(method.templates)} batch_size={args.batch_size}")  # fmt: skip

    sample = random.Random(args.seed).sample(words, min(args.sample, len(words)))
    print(f"load_average_before={load_average()}")
    notebook_rate = time_notebook(model, sample)
    print(f"notebook_words_per_s={notebook_rate:.2f} (random sample of {len(sample)} words, seed {args.seed}) "
          f"load_average={load_average()}")  # fmt: skip
    hf_rate = time_hf(model, words, method, args.batch_size)
    print(f"hf_words_per_s={hf_rate:.2f} (all {len(words)} words) load_average={load_average()}")
    extract_rate = len(words) / run_extract(model, words, method, run)
    print(f"extract_store_words_per_s={extract_rate:.2f} (all {len(words)} words) load_average={load_average()}")
    del model

    peaks = {}
    for count in counts:
        measured = measure_rss(count, args)
        peaks[count] = measured["peak_kib"]
        print(f"rss_words={count} peak_rss_mib={measured['peak_kib'] / 1024:.1f} "
              f"rss_at_start_mib={measured['start_kib'] / 1024:.1f} "
              f"load_peak_rss_mib={measured['load_peak_kib'] / 1024:.1f} peak_reset={measured['peak_reset']} "
              f"extract_seconds={measured['seconds']:.1f} load_average={load_average()}")  # fmt: skip

    rss_ratio = peaks[counts[-1]] / peaks[counts[0]]
    print(f"speedup_vs_notebook={extract_rate / notebook_rate:.2f} "
          f"speedup_vs_hf={extract_rate / hf_rate:.2f} rss_10k_over_1k={rss_ratio:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
