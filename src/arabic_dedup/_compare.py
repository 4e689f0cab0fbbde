"""``arabic-dedup compare``: what the detector sees in two texts, as data and as text.

The same stages as a ``dedup`` run (normaliser, shingles, the corpus statistics ``dedup``
saved with ``--stats``, the verifier, the fact check), applied to one pair.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._atomic import STATS_FILE
from ._boilerplate import CorpusStats
from ._config import RUN_OPTIONS, DedupConfig
from ._errors import RecordError, UsageError
from ._facts_explain import explain_pair
from ._normalize import NormalizerConfig, explain, tokens
from ._verify import similarity

__all__ = ["compare_config", "compare_report", "print_compare", "read_text", "stats_path"]


def read_text(name: str) -> str:
    """A compare input file as text, or a clear error naming it and the bad line."""
    path = Path(name)
    if not path.is_file():
        raise UsageError(f"input {name!r} does not exist or is not a file (use --text for texts)")
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise RecordError(name, line, "invalid UTF-8") from exc


# Options that set the banding the run used: given any of them here, the run's bands and
# rows no longer say what LSH would do at the options asked for.
_BANDING_INPUTS = ("threshold", "similarity", "num_perm", "lsh_threshold", "bands", "rows")


def stats_path(where: str) -> Path:
    """The corpus statistics a dedup run saved: its output folder or the file itself."""
    path = Path(where)
    if path.is_dir():
        if not (path / STATS_FILE).is_file():
            raise UsageError(
                f"no {STATS_FILE} in {where!r}: dedup writes it only with a boilerplate rule "
                "(not with --max-df none, where nothing is removed: compare without --stats, "
                "with the run's options)"
            )
        path = path / STATS_FILE
    if not path.is_file():
        raise UsageError(
            f"no corpus statistics at {where!r}: give a dedup output folder or its {STATS_FILE}"
        )
    return path


def compare_config(
    where: str, given: dict[str, Any], normalizer_given: dict[str, Any]
) -> tuple[DedupConfig, CorpusStats, dict[str, Any]]:
    """The options ``compare --stats`` judges with: the run's own (recorded beside its
    statistics: ``RUN_OPTIONS``, the shingles and the normaliser), each replaced by one
    ``given`` on the command line. Returns the config, the statistics and what the report
    says of the options: ``from_run`` (the run recorded them), ``given`` (the names given
    here, which make the verdict another than the run's when they differ from it)."""
    path = stats_path(where)
    stats = CorpusStats.read(path)
    run = {k: v for k, v in (stats.run or {}).items() if k in RUN_OPTIONS}
    if any(k in given for k in _BANDING_INPUTS):
        for k in ("bands", "rows"):
            run.pop(k, None)
    params = stats.params or {}
    shingle: dict[str, Any] = {}
    if "shingle_unit" in params and "shingle_k" in params:
        shingle = {"shingle_unit": params["shingle_unit"], "k": params["shingle_k"]}
    stored_norm = params.get("normalizer")
    norm = {**(stored_norm if isinstance(stored_norm, dict) else {}), **normalizer_given}
    try:
        config = DedupConfig(normalizer=NormalizerConfig(**norm), **{**run, **shingle, **given})
    except TypeError as exc:  # a field this version does not know: an older or newer file
        raise UsageError(
            f"corpus statistics {str(path)!r} record options this version cannot read ({exc})"
        ) from None
    stats.check(str(path), config.stats_params())
    now = config.run_options()
    differ = {k: run[k] for k in sorted(given) if k in run and run[k] != now.get(k)}
    options = {"from_run": stats.run is not None, "given": sorted(given), "differ": differ}
    return config, stats, options


def compare_report(
    texts: Sequence[str],
    config: DedupConfig,
    stats: CorpusStats | None,
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything ``compare`` says about two texts, as data (``--json`` prints it as is);
    ``options``: what :func:`compare_config` says of them, with ``--stats``."""
    hasher = config.hasher()
    raw = hasher.shingle_sets(list(texts))
    sets = raw if stats is None else stats.filter(raw)
    a, b = sets[0], sets[1]
    shared = int(np.intersect1d(a, b, assume_unique=True).size)
    union = a.size + b.size - shared
    smaller = min(a.size, b.size)
    jac = shared / union if union else 0.0
    con = shared / smaller if smaller else 0.0
    score = jac if config.similarity == "jaccard" else con
    bands, rows = config.banding()
    toks = [tokens(t, config=config.normalizer) for t in texts]
    # With --facts on the fact check decides (as in dedup); off, it is shown for review only.
    decides = config.fact_rule is not None
    joined, kind, why = explain_pair(
        toks[0], toks[1], score, threshold=config.cutoff,
        containment=config.similarity == "containment", normalizer=config.normalizer,
        rule=config.fact_rule,
    )  # fmt: skip
    if decides:
        accepted = bool(union) and joined
    else:
        accepted = bool(union) and bool(config.verifier.accept(np.array([score]))[0])
    # The boilerplate rescue, as Verifier.rescued applies it: only with corpus statistics
    # (without them nothing was removed, the full sets are the compared ones).
    rescue = None if stats is None else config.rescue
    full = similarity(raw[0], raw[1], config.similarity)
    rescued = False
    if rescue is not None and not accepted and (not decides or kind == "different"):
        f, g = np.array([score]), np.array([full])
        rescued = bool(rescue.asks(f, config.cutoff)[0] & rescue.accepts(f, g, config.cutoff)[0])
        if rescued and decides:  # judged again on the full similarity, as in dedup
            rescued, kind, why = explain_pair(
                toks[0], toks[1], full, threshold=config.cutoff,
                containment=config.similarity == "containment", normalizer=config.normalizer,
                rule=config.fact_rule,
            )  # fmt: skip
        accepted = rescued
    sides = []
    for text, r, f in zip(texts, (raw[0], raw[1]), (a, b), strict=True):
        changes = explain(text, config=config.normalizer).changes
        sides.append({
            "characters": len(text), "changes": [str(c) for c in changes],
            "changes_by_step": dict(Counter(c.step for c in changes)),
            "shingles": int(r.size), "boilerplate_shingles": int(r.size - f.size),
        })  # fmt: skip
    return {
        "a": sides[0], "b": sides[1],
        "shingle": {"unit": config.shingle.unit, "k": config.shingle.k},
        "corpus_stats": None if stats is None else {
            "documents": stats.n_docs, "common_shingles": int(stats.common.size),
            "max_df_limit": stats.rule.limit(stats.n_docs),
        },
        "shared": shared, "union": int(union), "jaccard": jac, "containment": con,
        "similarity": config.similarity, "threshold": config.cutoff,
        "options": {"facts": config.facts, "boilerplate_rescue": config.boilerplate_rescue,
                    **(options or {"from_run": False, "given": [], "differ": {}})},
        "verdict": "duplicates" if accepted else "not duplicates",
        "boilerplate_rescue": None if rescue is None else {
            "ratio": rescue.ratio, "full_similarity": full,
            "kept_share": score / full if full else 0.0, "rescued": rescued,
        },
        "facts": {"kind": kind, "explanation": why, "decides": decides},
        "lsh": {"bands": bands, "rows": rows,
                "probability": 1 - (1 - jac**rows) ** bands},
    }  # fmt: skip


def print_compare(rep: dict[str, Any], max_changes: int) -> None:
    for label in "ab":
        side = rep[label]
        steps = ", ".join(f"{k} {v}" for k, v in side["changes_by_step"].items())
        print(f"{label.upper()}: {side['characters']:,} characters, "
              f"{len(side['changes']):,} normalisation changes"
              + (f" ({steps})" if steps else ""))  # fmt: skip
        for ch in side["changes"][:max_changes]:
            print(f"    {ch}")
        if len(side["changes"]) > max_changes:
            print(f"    ... and {len(side['changes']) - max_changes:,} more")
    cs = rep["corpus_stats"]
    if cs is None:
        print("boilerplate  no corpus statistics: every shingle counts (a dedup run ignores "
              "its corpus's common shingles; give --stats DIR to judge as it did)")  # fmt: skip
    else:
        lost = [rep[x]["boilerplate_shingles"] for x in "ab"]
        print(f"boilerplate  {cs['common_shingles']:,} shingles common in {cs['documents']:,} "
              f"documents (> {cs['max_df_limit']:g}) ignored: "
              f"A {lost[0]:,}, B {lost[1]:,}")  # fmt: skip
    sh = rep["shingle"]
    a_n = rep["a"]["shingles"] - rep["a"]["boilerplate_shingles"]
    b_n = rep["b"]["shingles"] - rep["b"]["boilerplate_shingles"]
    print(f"shingles ({sh['k']}-{sh['unit']}): A {a_n:,}, B {b_n:,}, shared {rep['shared']:,}, "
          f"union {rep['union']:,}")  # fmt: skip
    wordless = [x.upper() for x in "ab" if rep[x]["shingles"] == 0]
    if wordless:
        print(f"             {' and '.join(wordless)} "
              f"{'has' if len(wordless) == 1 else 'have'} no words after normalisation (empty, "
              "or only emoji, punctuation or symbols): such a text joins nothing, not even "
              "the same text")  # fmt: skip
    print(f"jaccard      {rep['jaccard']:.4f}")
    print(f"containment  {rep['containment']:.4f}")
    score = rep[rep["similarity"]]
    facts = rep["facts"]
    resc = rep["boilerplate_rescue"]
    if resc is not None:
        how = (
            "joins the pair (copies sharing a boilerplate block)" if resc["rescued"]
            else "does not apply" if score >= rep["threshold"]
            else "does not join the pair"
        )  # fmt: skip
        print(f"rescue       {rep['similarity']} on the full shingle sets "
              f"{resc['full_similarity']:.4f}, the filter keeps {resc['kept_share']:.0%} of it "
              f"(rescue at >= threshold "
              f"{rep['threshold']} and >= {resc['ratio']:.0%}): {how}")  # fmt: skip
    print(f"options      {_options_line(rep)}")
    by_rescue = ", joined by the boilerplate rescue" if resc and resc["rescued"] else ""
    if facts["decides"]:
        print(f"verdict      {rep['verdict']} (fact check: {facts['kind']}; {rep['similarity']} "
              f"{score:.4f}, threshold {rep['threshold']}{by_rescue})")  # fmt: skip
        print(f"facts        {facts['explanation']}")
    else:
        op = ">=" if score >= rep["threshold"] else "<"
        print(f"verdict      {rep['verdict']} ({rep['similarity']} {score:.4f} {op} threshold "
              f"{rep['threshold']}{by_rescue})")  # fmt: skip
        print(f"facts        (not deciding: --facts off) {facts['explanation']}")
    lsh = rep["lsh"]
    print(f"LSH ({lsh['bands']} bands x {lsh['rows']} rows) proposes a pair this similar with "
          f"probability {lsh['probability']:.3f}")  # fmt: skip


def _options_line(rep: dict[str, Any]) -> str:
    """Whose options judged the pair: the dedup run's (``--stats``), with any given here."""
    o = rep["options"]
    rescue = o["boilerplate_rescue"]
    used = (f"{rep['similarity']}, threshold {rep['threshold']}, facts {o['facts']}, "
            f"boilerplate rescue {'off' if rescue is None else rescue}")  # fmt: skip
    if rep["corpus_stats"] is None:
        return f"{used} (this command's; --stats DIR takes a dedup run's)"
    if not o["from_run"]:
        return (f"{used} (this command's: these statistics do not record the run's options; "
                "give them as the run had them)")  # fmt: skip
    if not o["differ"]:
        return f"{used}, as the dedup run decided"
    was = ", ".join(f"{k} {v}" for k, v in o["differ"].items())
    return f"{used}; given here, the run had {was}: not the run's verdict"
