"""arabic_dedup: find near-duplicate Arabic documents.

>>> import arabic_dedup
>>> arabic_dedup.normalize("أَعْلَنَتْ الوزارةُ فى بيانٍ")
'اعلنت الوزاره في بيان'
"""

from ._boilerplate import (
    RESCUE_RATIO,
    BoilerplateRescue,
    BoilerplateRule,
    CorpusStats,
    WindowFilter,
)
from ._config import DEFAULT_THRESHOLD, DEFAULT_THRESHOLDS, DedupConfig
from ._dedup import DedupResult, Pair, Pairs, find_duplicates
from ._errors import (
    ArabicDedupError,
    ConfigError,
    IndexBusyError,
    IndexClosedError,
    IndexCorruptError,
    IndexFullError,
    IndexMismatchError,
    IndexUnavailableError,
    InputError,
    KernelError,
    NormalizerTypeError,
    OutputDirError,
    RecordError,
    RunInterrupted,
    SignatureError,
    SpillError,
    UsageError,
)
from ._facts import MATCH_KINDS, FactRule
from ._keep import KeepRule
from ._lsh import optimal_params
from ._memory import MemoryPlan, parse_memory_limit
from ._minhash import MinHasher
from ._normalize import (
    NORMALIZER_VERSION,
    Change,
    Explanation,
    NormalizerConfig,
    explain,
    normalize,
    tokens,
)
from ._shingle import ShingleConfig, ShingleHasher, ShingleSets, shingle_hash, shingles
from ._stream import Deduplicator, IndexStats, Match
from ._verify import Verifier, similarity
from .stores import IndexCorruptWarning, MemoryOptions, RedisOptions, SQLiteOptions

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_THRESHOLD",
    "DEFAULT_THRESHOLDS",
    "MATCH_KINDS",
    "NORMALIZER_VERSION",
    "RESCUE_RATIO",
    "ArabicDedupError",
    "BoilerplateRescue",
    "BoilerplateRule",
    "Change",
    "ConfigError",
    "CorpusStats",
    "DedupConfig",
    "DedupResult",
    "Deduplicator",
    "Explanation",
    "FactRule",
    "IndexBusyError",
    "IndexClosedError",
    "IndexCorruptError",
    "IndexCorruptWarning",
    "IndexFullError",
    "IndexMismatchError",
    "IndexStats",
    "IndexUnavailableError",
    "InputError",
    "KeepRule",
    "KernelError",
    "Match",
    "MemoryOptions",
    "MemoryPlan",
    "MinHasher",
    "NormalizerConfig",
    "NormalizerTypeError",
    "OutputDirError",
    "Pair",
    "Pairs",
    "RecordError",
    "RedisOptions",
    "RunInterrupted",
    "SQLiteOptions",
    "ShingleConfig",
    "ShingleHasher",
    "ShingleSets",
    "SignatureError",
    "SpillError",
    "UsageError",
    "Verifier",
    "WindowFilter",
    "__version__",
    "explain",
    "find_duplicates",
    "normalize",
    "optimal_params",
    "parse_memory_limit",
    "shingle_hash",
    "shingles",
    "similarity",
    "tokens",
]


def __getattr__(name: str) -> object:
    # Deprecated in 0.2.0 (CHANGELOG.md): LSHIndex was exported but used by nothing in the
    # package; Deduplicator is the streaming index. It goes in 0.3.0.
    if name == "LSHIndex":
        import warnings

        from ._lsh import LSHIndex

        warnings.warn(
            "arabic_dedup.LSHIndex is deprecated and will be removed in 0.3.0; use "
            "arabic_dedup.Deduplicator (a verified streaming index), or datasketch.MinHashLSH "
            "with MinHasher.to_lean_minhash for raw LSH",
            DeprecationWarning,
            stacklevel=2,
        )
        return LSHIndex
    raise AttributeError(f"module 'arabic_dedup' has no attribute {name!r}")
