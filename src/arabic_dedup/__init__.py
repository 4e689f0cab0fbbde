"""arabic_dedup: find near-duplicate Arabic documents.

>>> import arabic_dedup
>>> arabic_dedup.normalize("أَعْلَنَتْ الوزارةُ فى بيانٍ")
'اعلنت الوزاره في بيان'
"""

from ._dedup import (
    DEFAULT_THRESHOLD,
    DEFAULT_THRESHOLDS,
    DedupConfig,
    DedupResult,
    Pair,
    Pairs,
    find_duplicates,
)
from ._errors import (
    ArabicDedupError,
    ConfigError,
    IndexBusyError,
    IndexMismatchError,
    InputError,
    NormalizerTypeError,
    OutputDirError,
    RecordError,
    RunInterrupted,
    SignatureError,
)
from ._lsh import LSHIndex, optimal_params
from ._minhash import MinHasher, ShingleSets
from ._normalize import (
    NORMALIZER_VERSION,
    Change,
    Explanation,
    NormalizerConfig,
    explain,
    normalize,
    tokens,
)
from ._shingle import ShingleConfig, ShingleHasher, shingle_hash, shingles
from ._stream import Deduplicator, IndexStats, Match
from ._verify import similarity

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_THRESHOLD",
    "DEFAULT_THRESHOLDS",
    "NORMALIZER_VERSION",
    "ArabicDedupError",
    "Change",
    "ConfigError",
    "DedupConfig",
    "DedupResult",
    "Deduplicator",
    "Explanation",
    "IndexBusyError",
    "IndexMismatchError",
    "IndexStats",
    "InputError",
    "LSHIndex",
    "Match",
    "MinHasher",
    "NormalizerConfig",
    "NormalizerTypeError",
    "OutputDirError",
    "Pair",
    "Pairs",
    "RecordError",
    "RunInterrupted",
    "ShingleConfig",
    "ShingleHasher",
    "ShingleSets",
    "SignatureError",
    "__version__",
    "explain",
    "find_duplicates",
    "normalize",
    "optimal_params",
    "shingle_hash",
    "shingles",
    "similarity",
    "tokens",
]
