"""The Arabic normaliser: fold spelling habits so copies of one text produce the same tokens.

The output is for hashing and comparison only; callers keep their original text. Every step of
``shared/NORMALIZATION.md`` is a field of :class:`NormalizerConfig` with the same name
(:mod:`._normalize_config`), and is defined once in :mod:`._normalize_steps`: all enabled
character steps are compiled into one closed table (:func:`compile_table`), so the order of
steps cannot create bugs and one pass over the text is enough.

>>> normalize("قال المسئول فى «الرياض»: إنَّ الاتفاقَ نهائى")
'قال المسءول في "الرياض": ان الاتفاق نهاءي'
>>> tokens("ﺍﻟﺴﻼﻡ عليكم")
['السلام', 'عليكم']

Two engines run the table pass, RapidFuzz style (:mod:`._normalize_engines`): a reference one
(``str.translate`` and a regex, obviously correct) and a fast one (NumPy gathers over UTF-32).
Hypothesis tests prove them equal. This module is the one place that chooses: texts shorter
than :data:`FAST_PATH_MIN_CHARS` use the reference, longer ones and batches the fast engine;
the environment variable ``ARABIC_DEDUP_IMPL``, read at every call, forces one of them
everywhere (``reference`` or ``fast``; ``auto`` is the default). :func:`explain` walks the
same steps, keeping track of which one changed which character (:mod:`._normalize_explain`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from . import _chardata
from ._engine import setting
from ._errors import NormalizerTypeError
from ._normalize_config import NormalizerConfig, check_text, resolve_config
from ._normalize_engines import ENGINES, FAST, REFERENCE, Engine
from ._normalize_explain import Change, Explanation, trace
from ._normalize_steps import STEPS, CharTable, after_table, before_table, compile_table, run
from ._normalize_steps import has_trigger as has_trigger

__all__ = [
    "BATCH_CHARS",
    "FAST_PATH_MIN_CHARS",
    "NORMALIZER_VERSION",
    "STEPS",
    "Change",
    "CharTable",
    "Explanation",
    "NormalizerConfig",
    "compile_table",
    "explain",
    "normalize",
    "normalize_many",
    "tokens",
]

#: Recorded with every signature/index: a different version may give different tokens.
NORMALIZER_VERSION: Final[str] = f"{_chardata.TABLES_VERSION}+unicode{_chardata.UNIDATA_VERSION}"

#: Below this many code points the reference engine is faster than NumPy's per-call overhead.
FAST_PATH_MIN_CHARS: Final[int] = 256

#: normalize_many concatenates about this many code points per vectorised pass.
BATCH_CHARS: Final[int] = 1 << 18


# ---------------------------------------------------------------------------------------------
# Choosing the engine
# ---------------------------------------------------------------------------------------------


def engine_for(size: int | None) -> Engine:
    """The engine for ``size`` code points (``None``: a batch), as ``ARABIC_DEDUP_IMPL`` says."""
    impl = setting()  # the package-wide switch (arabic_dedup._engine)
    if impl == "auto":
        return REFERENCE if size is not None and size < FAST_PATH_MIN_CHARS else FAST
    return ENGINES[impl]


# ---------------------------------------------------------------------------------------------
# Running the steps with a given engine
# ---------------------------------------------------------------------------------------------


def normalize_with(text: str, config: NormalizerConfig, engine: Engine) -> str:
    """:func:`normalize` with this engine, whatever the text length or environment."""
    return run(text, compile_table(config), engine)


def tokens_with(text: str, config: NormalizerConfig, engine: Engine) -> list[str]:
    """:func:`tokens` with this engine, whatever the text length or environment."""
    table = compile_table(config)
    return engine.split(run(text, table, engine), table)


def normalize_many_with(texts: list[str], config: NormalizerConfig, engine: Engine) -> list[str]:
    """:func:`normalize_many` with this engine: one table pass per chunk of texts."""
    table = compile_table(config)
    results: list[str] = []
    chunk: list[str] = []
    size = 0
    for text in texts:
        chunk.append(text)
        size += len(text)
        if size >= BATCH_CHARS:
            results.extend(_normalize_chunk(chunk, table, engine))
            chunk, size = [], 0
    results.extend(_normalize_chunk(chunk, table, engine))
    return results


def _normalize_chunk(texts: list[str], table: CharTable, engine: Engine) -> list[str]:
    if table.config.compose and has_trigger("".join(texts)):  # rare: skip the per-text scan
        texts = [before_table(text, table, engine) for text in texts]
    outs = engine.table_many(texts, table)
    return [after_table(out, table, engine) for out in outs]


def _normalize_reference(text: str, config: NormalizerConfig) -> str:
    """The reference normaliser, whatever the environment says (for the benchmarks)."""
    return normalize_with(text, config, REFERENCE)


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def normalize(text: str, /, *, config: NormalizerConfig | None = None, **overrides: Any) -> str:
    """Normalise Arabic ``text`` for comparison (never for display).

    ``config`` defaults to :class:`NormalizerConfig`; keyword ``overrides`` name its fields.
    Every ``str`` is accepted, and ``normalize(normalize(x)) == normalize(x)``.

    >>> normalize("مسئولى شئون الأمن")
    'مسءولي شءون الامن'
    >>> normalize("مسئول", hamza="drop")
    'مسيول'
    >>> normalize("  ﷲ   أكبر ")
    'الله اكبر'
    """
    cfg = resolve_config(config, overrides)
    check_text(text)
    return normalize_with(text, cfg, engine_for(len(text)))


def normalize_many(
    texts: Iterable[str], /, *, config: NormalizerConfig | None = None, **overrides: Any
) -> list[str]:
    """Normalise many texts with few vectorised passes; same result as ``normalize`` on each.

    Use it for batches: the texts are concatenated (in chunks of about
    :data:`BATCH_CHARS` code points, which keeps the arrays in cache) so NumPy's per-call
    setup is paid once per chunk instead of once per text.

    >>> normalize_many(["فى", "أَنَا", ""])
    ['في', 'انا', '']
    """
    cfg = resolve_config(config, overrides)
    items = list(texts)
    for index, text in enumerate(items):
        if not isinstance(text, str):
            try:
                check_text(text)
            except NormalizerTypeError as error:
                raise NormalizerTypeError(f"texts[{index}]: {error}") from None
    return normalize_many_with(items, cfg, engine_for(None))


def tokens(text: str, /, *, config: NormalizerConfig | None = None, **overrides: Any) -> list[str]:
    """Normalise ``text`` and split it into tokens: runs of letters, marks and digits.

    Every punctuation, symbol, space and control character separates tokens; no token is
    empty.

    >>> tokens("قالَ: «الإتفاقُ» نهائىٌّ!")
    ['قال', 'الاتفاق', 'نهاءي']
    """
    cfg = resolve_config(config, overrides)
    check_text(text)
    return tokens_with(text, cfg, engine_for(len(text)))


def explain(
    text: str, /, *, config: NormalizerConfig | None = None, **overrides: Any
) -> Explanation:
    """Say which step changed which input characters, and what they became.

    Each changed character (or composed cluster) is attributed to the first step, in
    :data:`STEPS` order, that changes it; ``position`` indexes the input.

    >>> result = explain("مسئولى  ﻻ")
    >>> result.normalized
    'مسءولي لا'
    >>> print(result)
    hamza               pos 2  'ئ' U+0626 -> 'ء' U+0621
    alef_maksura        pos 5  'ى' U+0649 -> 'ي' U+064A
    whitespace          pos 7  ' ' U+0020 -> '' (deleted)
    presentation_forms  pos 8  'ﻻ' U+FEFB -> 'لا' U+0644 U+0627
    """
    cfg = resolve_config(config, overrides)
    check_text(text)
    changes = trace(text, compile_table(cfg))
    return Explanation(text=text, normalized=normalize(text, config=cfg), changes=changes)
