"""arabic_dedup: find near-duplicate Arabic documents.

>>> import arabic_dedup
>>> arabic_dedup.normalize("أَعْلَنَتْ الوزارةُ فى بيانٍ")
'اعلنت الوزاره في بيان'
"""

from ._dedup import (
    DEFAULT_THRESHOLD,
    DedupConfig,
    DedupResult,
    Pair,
    find_duplicates,
)
from ._errors import (
    ArabicDedupError,
    ConfigError,
    InputError,
    NormalizerTypeError,
    OutputDirError,
    RecordError,
    SignatureError,
)
from ._lsh import LSHIndex, optimal_params
from ._minhash import MinHasher, ShingleSets
from ._normalize import NORMALIZER_VERSION, NormalizerConfig, explain, normalize, tokens
from ._shingle import ShingleConfig, shingle_hash, shingles
from ._stream import Deduplicator, Match
from ._verify import similarity

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_THRESHOLD",
    "NORMALIZER_VERSION",
    "ArabicDedupError",
    "ConfigError",
    "DedupConfig",
    "DedupResult",
    "Deduplicator",
    "InputError",
    "LSHIndex",
    "Match",
    "MinHasher",
    "NormalizerConfig",
    "NormalizerTypeError",
    "OutputDirError",
    "Pair",
    "RecordError",
    "ShingleConfig",
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
