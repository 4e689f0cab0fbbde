"""Every option of the detector, in one frozen dataclass that every path takes.

``find_duplicates``, ``Deduplicator``, the file pipeline, the CLI and Spark all build a
:class:`DedupConfig` (keyword options go through :func:`resolve_config`), so a default, a
validation rule or a derived setting (the LSH banding, the effective threshold) is written
once, here. The CLI's flags and their help are generated from the field docs below.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from ._boilerplate import RESCUE_RATIO, BoilerplateRescue, BoilerplateRule
from ._errors import ConfigError
from ._facts import FACTS_VERSION, FactRule
from ._lsh import check_banding, optimal_params
from ._minhash import MinHasher
from ._normalize import NormalizerConfig
from ._shingle import DEFAULT_K, ShingleConfig, ShingleUnit
from ._verify import SIMILARITIES, Similarity, Verifier

__all__ = [
    "DEFAULT_THRESHOLD",
    "DEFAULT_THRESHOLDS",
    "DOC_VALUES",
    "FACT_MODES",
    "LSH_AIM",
    "RUN_OPTIONS",
    "DedupConfig",
    "resolve_config",
]

# Chosen on the tuning split by benchmarks/bench_quality.py --sweep (docs/benchmarks/quality.md,
# "Sweep"): the most real syndicated copies merged for no more templates (0.285: 284 of 304
# copies, 3 of 106 templates; 0.3: 276 and 3; 0.28: 285 and 4).
DEFAULT_THRESHOLDS: dict[str, float] = {"jaccard": 0.285, "containment": 0.55}
DEFAULT_THRESHOLD = DEFAULT_THRESHOLDS["jaccard"]
# The Jaccard level LSH aims at, as a share of the threshold (DedupConfig.lsh_threshold unset).
# Verification is exact, so aiming lower only verifies more pairs; aiming at the threshold
# would lose a pair just at it with probability ~1/2. Jaccard: 0.56 (the 0.285 default bands
# at 45 x 2 and proposes a pair at 0.285 with probability 0.978; 0.7 banded it at 29 x 2,
# 0.914, and the tuning split lost 5 copies to it: docs/benchmarks/quality.md, "Sweep").
# Containment: a short text inside a long one has a low Jaccard (a third-length copy: ~0.3
# of the containment), so aim low; verification keeps only true containment.
LSH_AIM: dict[str, float] = {"jaccard": 0.56, "containment": 0.2}
# The decision options a dedup run records beside its corpus statistics (DedupConfig
# .run_options), so that compare --stats judges a pair as that run did without being told them
# again. Effective values (the threshold the default resolved to, the banding used); the
# shingles and normaliser are the statistics' own parameters (stats_params).
RUN_OPTIONS = ("threshold", "similarity", "num_perm", "seed", "bands", "rows", "facts",
               "boilerplate_rescue")  # fmt: skip
# DedupConfig.facts: off, or on with FactRule.updates set to the value.
FactMode = Literal["off", "apart", "join"]
FACT_MODES: tuple[FactMode, ...] = ("off", "apart", "join")
# Values the field docstrings below name as {placeholders}: the help text shows the code's
# own defaults, so it cannot drift from them (tests/test_cli_docs.py).
DOC_VALUES = {
    "thresholds": ", ".join(f"{v} for {k}" for k, v in DEFAULT_THRESHOLDS.items()),
    "k_defaults": ", ".join(
        f"{k} {'words' if unit == 'word' else 'characters'}" for unit, k in DEFAULT_K.items()
    ),
}


@dataclass(frozen=True)
class DedupConfig:
    """Every option of the detector; ``find_duplicates`` and ``Deduplicator`` take these as
    keyword arguments. Each field's docstring is also its ``arabic-dedup`` flag's help.

    >>> DedupConfig().cutoff, DedupConfig(similarity="containment").cutoff
    (0.285, 0.55)
    """

    threshold: float | None = None
    """Minimum verified similarity of duplicates; unset = the similarity's default
    ({thresholds})."""
    similarity: Similarity = "jaccard"
    """jaccard (mostly the same text) or containment (the shorter text mostly inside the
    longer: truncated or extended copies)."""
    num_perm: int = 128
    """MinHash permutations (recorded with every result and index)."""
    seed: int = 1
    """MinHash seed (recorded with every result and index)."""
    shingle_unit: ShingleUnit = "word"
    """Shingles of words or of characters."""
    k: int = 0
    """Shingle size; 0 = the unit's default ({k_defaults})."""
    bands: int | None = None
    """LSH bands (give with rows); unset = derived from the LSH threshold."""
    rows: int | None = None
    """LSH rows per band (give with bands); unset = derived from the LSH threshold."""
    lsh_threshold: float | None = None
    """The Jaccard level LSH aims at; unset = derived from the threshold and similarity, below
    the threshold so that pairs just above it are not lost to the S-curve."""
    max_df: float | Literal["auto"] | None = "auto"
    """Ignore shingles found in more than this many documents (a fraction if < 1) when
    comparing: boilerplate such as outlet headers, footers and template formulas; auto =
    max(30, 0.1 % of the documents); none keeps every shingle."""
    boilerplate_rescue: float | None = RESCUE_RATIO
    """Copies that share a boilerplate block: a pair under the threshold once max_df removed
    the common shingles is still a duplicate when it is at the threshold on the full shingle
    sets and the filter left it at least this share of that similarity (same-template texts
    keep little once the formula is removed); 0 (None in Python) = off. Such a pair's
    reported similarity stays the filtered one and its match kind is boilerplate."""
    facts: FactMode = "apart"
    """Fact check on candidate pairs: two texts whose shared slots hold different numbers,
    ordinals, dates or places (same formula, different events) are not joined, and an
    edited copy a little below the threshold whose facts all agree is; apart = on, an update
    (same text, one figure changed) is kept apart; join = on, an update is joined and its
    pair marked update; off = the threshold alone decides. Every engine applies it:
    find_duplicates, the file pipeline, streams and Spark."""
    normalizer: NormalizerConfig = field(default_factory=NormalizerConfig)
    """The normaliser configuration (its own flags: one per step)."""

    def __post_init__(self) -> None:
        if self.similarity not in SIMILARITIES:
            raise ConfigError(
                f"similarity must be one of {', '.join(SIMILARITIES)}, got {self.similarity!r}"
            )
        t = self.threshold
        if t is None:
            object.__setattr__(self, "threshold", DEFAULT_THRESHOLDS[self.similarity])
        elif isinstance(t, bool) or not isinstance(t, int | float) or not 0.0 < t <= 1.0:
            raise ConfigError(f"threshold must be a number in (0, 1], got {t!r}")
        if (self.bands is None) != (self.rows is None):
            raise ConfigError(
                f"give both bands and rows or neither, got bands={self.bands!r}, rows={self.rows!r}"
            )
        if self.bands is not None and self.rows is not None:
            check_banding(self.bands, self.rows, self.num_perm)
        lt = self.lsh_threshold
        if lt is not None and (
            isinstance(lt, bool) or not isinstance(lt, int | float) or not 0.0 < lt < 1.0
        ):
            raise ConfigError(f"lsh_threshold must be in (0, 1), got {lt!r}")
        if self.max_df is not None:
            BoilerplateRule.of(self.max_df)  # validates max_df
        BoilerplateRescue.of(self.boilerplate_rescue)  # validates boilerplate_rescue
        if self.facts not in FACT_MODES:
            raise ConfigError(f"facts must be one of {', '.join(FACT_MODES)}, got {self.facts!r}")
        if not isinstance(self.normalizer, NormalizerConfig):
            raise ConfigError(
                f"normalizer must be a NormalizerConfig, got {type(self.normalizer).__name__}"
            )
        ShingleConfig(unit=self.shingle_unit, k=self.k)  # validates unit and k

    @property
    def boilerplate(self) -> BoilerplateRule | None:
        """The boilerplate rule ``max_df`` stands for (None: every shingle counts)."""
        return None if self.max_df is None else BoilerplateRule.of(self.max_df)

    @property
    def rescue(self) -> BoilerplateRescue | None:
        """The boilerplate rescue in force (None: off, or no max_df: nothing is removed)."""
        if self.max_df is None:
            return None
        return BoilerplateRescue.of(self.boilerplate_rescue)

    @property
    def verifier(self) -> Verifier:
        """The verify stage's decision for these options."""
        return Verifier(self.similarity, self.cutoff, self.fact_rule, self.rescue)

    @property
    def fact_rule(self) -> FactRule | None:
        """The fact check ``facts`` stands for (None: off)."""
        return None if self.facts == "off" else FactRule(updates=self.facts)

    @property
    def cutoff(self) -> float:
        """The similarity threshold in force (``threshold``, or the similarity's default)."""
        t = self.threshold
        return DEFAULT_THRESHOLDS[self.similarity] if t is None else float(t)

    @property
    def shingle(self) -> ShingleConfig:
        return ShingleConfig(unit=self.shingle_unit, k=self.k)

    def banding(self) -> tuple[int, int]:
        if self.bands is not None and self.rows is not None:
            return self.bands, self.rows
        return optimal_params(self.effective_lsh_threshold(), self.num_perm)

    def effective_lsh_threshold(self) -> float:
        if self.lsh_threshold is not None:
            return self.lsh_threshold
        return max(0.05, round(LSH_AIM[self.similarity] * self.cutoff, 3))

    def stats_params(self) -> dict[str, Any]:
        """What a text's shingle hashes depend on: corpus statistics (``CorpusStats``) saved
        under other values do not apply to these options."""
        p = self.hasher().params
        return {k: p[k] for k in ("normalizer_version", "normalizer", "shingle_unit", "shingle_k")}

    def run_options(self) -> dict[str, Any]:
        """The ``RUN_OPTIONS`` this configuration decides with, as effective values.

        >>> DedupConfig(threshold=0.6).run_options()["threshold"]
        0.6
        >>> DedupConfig().run_options()["bands"]
        45
        """
        d = self.as_dict()
        return {k: d[k] for k in RUN_OPTIONS}

    def hasher(self) -> MinHasher:
        return MinHasher(
            num_perm=self.num_perm, seed=self.seed, shingle=self.shingle, normalizer=self.normalizer
        )

    def as_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["threshold"] = self.cutoff
        d["k"] = self.shingle.k
        d["bands"], d["rows"] = self.banding()
        d["lsh_threshold"] = self.effective_lsh_threshold()
        if self.facts != "off":  # how fingerprints are read: a stored index's were read so
            d["facts_version"] = FACTS_VERSION
        return d


def resolve_config(config: DedupConfig | None, options: dict[str, Any]) -> DedupConfig:
    """``config`` (or the defaults) with keyword ``options`` applied, every name checked."""

    if config is not None and not isinstance(config, DedupConfig):
        raise ConfigError(f"config must be a DedupConfig, got {type(config).__name__}")
    valid = {f.name for f in dataclasses.fields(DedupConfig)}
    unknown = sorted(set(options) - valid)
    if unknown:
        raise ConfigError(
            f"unknown option(s) {', '.join(unknown)}; valid options: {', '.join(sorted(valid))}"
        )
    if config is None:
        return DedupConfig(**options)
    if not options:
        return config
    if (
        "similarity" in options
        and "threshold" not in options
        and config.threshold == DEFAULT_THRESHOLDS[config.similarity]
    ):
        # A defaulted threshold follows the similarity asked for.
        options = {**options, "threshold": None}
    return dataclasses.replace(config, **options)
