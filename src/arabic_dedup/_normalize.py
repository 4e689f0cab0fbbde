"""The Arabic normaliser: fold spelling habits so copies of one text produce the same tokens.

The output is for hashing and comparison only; callers keep their original text. Every step of
``shared/NORMALIZATION.md`` is a field of :class:`NormalizerConfig` with the same name, and all
enabled character steps are compiled into one closed table (:func:`compile_table`), so the
order of steps cannot create bugs and one pass over the text is enough.

>>> normalize("قال المسئول فى «الرياض»: إنَّ الاتفاقَ نهائى")
'قال المسءول في "الرياض": ان الاتفاق نهاءي'
>>> tokens("ﺍﻟﺴﻼﻡ عليكم")
['السلام', 'عليكم']

Two implementations of the table pass live side by side, RapidFuzz style: a reference one
(``str.translate`` and a regex, obviously correct) and a fast one (NumPy gathers over UTF-32).
Hypothesis tests prove them equal. Texts shorter than :data:`FAST_PATH_MIN_CHARS` use the
reference, longer ones the fast path; the environment variable ``ARABIC_DEDUP_IMPL``, read at
every call, forces one of them everywhere (``reference`` or ``fast``; ``auto`` is the default).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
import typing
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt

from arabic_dedup import _chardata
from arabic_dedup._errors import ConfigError, NormalizerTypeError

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

#: Below this many code points the reference path is faster than NumPy's per-call overhead.
FAST_PATH_MIN_CHARS: Final[int] = 256

#: normalize_many concatenates about this many code points per vectorised pass.
BATCH_CHARS: Final[int] = 1 << 18

#: Every step, in the order it is applied (and the order ``explain`` attributes changes in).
STEPS: Final[tuple[str, ...]] = (
    "compose",
    "presentation_forms",
    "nfkc",
    "dagger_alef",
    "diacritics",
    "tatweel",
    "invisibles",
    "whitespace",
    "alef",
    "hamza",
    "alef_maksura",
    "teh_marbuta",
    "lookalikes",
    "persian_letters",
    "digits",
    "punctuation",
    "case",
    "mask_numbers",
    "squeeze_repeats",
)
_STEP_RANK: Final[dict[str, int]] = {step: rank for rank, step in enumerate(STEPS)}

HamzaMode = Literal["uniform", "drop", "keep"]
DaggerAlefMode = Literal["delete", "alef"]

_IMPL_ENV: Final = "ARABIC_DEDUP_IMPL"
_IMPLS: Final = ("auto", "reference", "fast")
_SPACE: Final = 0x20
_MAX_CODE_POINT: Final = 0x10FFFF
_N_CODE_POINTS: Final = 0x110000
# Markers in CharTable.single where the output is not one code point: one gather then tells
# the fast path whether a text has deletions (max == _DELETED) or expansions (max == _EXPANDS).
_DELETED: Final = 0xFFFFFFFE
_EXPANDS: Final = 0xFFFFFFFF
_NO_GROWTH: Final = np.zeros(0, dtype=np.int64)
_NO_POSITIONS: Final = np.zeros(0, dtype=np.intp)


# ---------------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NormalizerConfig:
    """Which normalisation steps run; one field per step, named as in the spec.

    The defaults fold everything that differs between copies of one text (recall first).
    Fields are validated on construction.

    >>> NormalizerConfig(hamza="drop").hamza
    'drop'
    >>> NormalizerConfig(diacritics=False) == NormalizerConfig()
    False
    """

    compose: bool = True
    """NFC only around combining madda/hamza U+0653–0655, so decomposed آ أ إ ؤ ئ compose."""
    presentation_forms: bool = True
    """Presentation forms and Arabic math letters -> letters (ﻻ -> لا, ﷲ -> الله)."""
    diacritics: bool = True
    """Delete harakat, tanween, shadda, sukun, dagger alef, Quranic and generic marks."""
    tatweel: bool = True
    """Delete kashida U+0640."""
    invisibles: bool = True
    """Delete ZWNJ/ZWJ/ZWSP, bidi controls, soft hyphen, BOM, variation selectors."""
    whitespace: bool = True
    """Every Unicode space/line break -> one ASCII space; runs collapse; ends stripped."""
    alef: bool = True
    """آ أ إ ٱ ٲ ٳ ٵ -> ا."""
    hamza: HamzaMode = "uniform"
    """Hamza on a carrier: "uniform" (ؤ ئ -> ء), "drop" (ؤ -> و, ئ -> ي) or "keep"."""
    alef_maksura: bool = True
    """ى -> ي."""
    teh_marbuta: bool = True
    """ة ۃ -> ه."""
    lookalikes: bool = True
    """Persian/Urdu keyboard letters (ی ک ە ...) and dotless forms -> Arabic letters."""
    digits: bool = True
    """Every decimal digit -> ASCII; ٫ ٬ ٪ -> . , %."""
    punctuation: bool = True
    """Arabic punctuation and quotes -> ASCII (، -> , ؟ -> ? « » -> ")."""
    case: bool = True
    """Casefold ("CNN" -> "cnn")."""
    persian_letters: bool = False
    """Opt-in: پ چ ژ گ ڤ ٹ ڈ ڑ -> ب ج ز ك ف ت د ر (changes meaning in Persian)."""
    mask_numbers: bool = False
    """Opt-in: every number (12, 3.5, 1,000) -> "0"."""
    nfkc: bool = False
    """Opt-in: per-character NFKC (fullwidth Latin, superscripts, ﬁ)."""
    dagger_alef: DaggerAlefMode = "delete"
    """Dagger alef U+0670: "delete" (with the diacritics) or "alef" (-> ا, Uthmani text)."""
    squeeze_repeats: bool = False
    """Opt-in: a run of 3+ identical letters -> one letter (ههههه -> ه)."""

    def __post_init__(self) -> None:
        for name, allowed in _FIELD_CHOICES.items():
            value = getattr(self, name)
            if allowed == (True, False):
                if not isinstance(value, bool):
                    raise ConfigError(
                        f"NormalizerConfig.{name} must be a bool (True or False); "
                        f"got {value!r} ({type(value).__name__})"
                    )
            elif not (isinstance(value, str) and value in allowed):
                choices = ", ".join(repr(choice) for choice in allowed)
                raise ConfigError(
                    f"NormalizerConfig.{name} must be one of {choices}; got {value!r}"
                )


def _field_choices() -> dict[str, tuple[object, ...]]:
    """Allowed values per field, read from the annotations so they cannot drift apart."""
    hints = typing.get_type_hints(NormalizerConfig)
    choices: dict[str, tuple[object, ...]] = {}
    for field in dataclasses.fields(NormalizerConfig):
        hint = hints[field.name]
        if hint is bool:
            choices[field.name] = (True, False)
        else:
            choices[field.name] = typing.get_args(hint)
    return choices


_FIELD_CHOICES: Final = _field_choices()
_FIELD_NAMES: Final = tuple(_FIELD_CHOICES)
_DEFAULT_CONFIG: Final = NormalizerConfig()


def _resolve_config(
    config: NormalizerConfig | None, overrides: Mapping[str, Any]
) -> NormalizerConfig:
    if config is None:
        base = _DEFAULT_CONFIG
    elif isinstance(config, NormalizerConfig):
        base = config
    else:
        raise ConfigError(
            f"config must be a NormalizerConfig or None; got {type(config).__name__}. "
            "Build one with NormalizerConfig(...) or pass steps as keywords, e.g. hamza='keep'"
        )
    if not overrides:
        return base
    unknown = sorted(set(overrides) - set(_FIELD_NAMES))
    if unknown:
        raise ConfigError(
            f"unknown normaliser option(s) {', '.join(map(repr, unknown))}; "
            f"valid options are: {', '.join(_FIELD_NAMES)}"
        )
    # The type is part of the key: 1 == True, but alef=1 must still be rejected.
    key = tuple((name, type(value), value) for name, value in sorted(overrides.items()))
    try:
        return _replace_cached(base, key)
    except TypeError:  # an unhashable override value; let validation name it
        return dataclasses.replace(base, **overrides)


@functools.lru_cache(maxsize=256)
def _replace_cached(
    base: NormalizerConfig, key: tuple[tuple[str, type, Any], ...]
) -> NormalizerConfig:
    return dataclasses.replace(base, **{name: value for name, _, value in key})


def _check_text(text: object) -> None:
    if isinstance(text, str):
        return
    if isinstance(text, (bytes, bytearray, memoryview)):
        raise NormalizerTypeError(
            f"the normaliser takes str, not {type(text).__name__}; "
            'decode it first, e.g. text.decode("utf-8")'
        )
    raise NormalizerTypeError(f"the normaliser takes str, not {type(text).__name__}")


# ---------------------------------------------------------------------------------------------
# Compiled table
# ---------------------------------------------------------------------------------------------

U8Array = npt.NDArray[np.uint8]
U32Array = npt.NDArray[np.uint32]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class CharTable:
    """One config's character steps, closed under themselves: each code point -> final output.

    ``mapping`` feeds ``str.translate`` (reference path); the arrays, indexed by code point,
    feed the NumPy path and the later fused kernels. Arrays are read-only and shared.
    """

    lengths: U8Array
    """Output length per code point: 0 deletes, 1 maps to ``single``, >= 2 expands."""
    single: U32Array
    """The output code point where the length is 1 (identity for untouched code points);
    0xFFFFFFFE where the code point is deleted and 0xFFFFFFFF where it expands."""
    exp_offsets: U32Array
    """Where the expansion of a code point starts in ``exp_data`` (length >= 2 only)."""
    exp_data: U32Array
    """All expansions, back to back."""
    is_sep: BoolArray
    """True for output code points that separate tokens (Z*, P*, S*, Cc)."""
    mapping: dict[int, str]
    """Code point -> output for every code point the config changes."""
    config: NormalizerConfig


def _table_steps(config: NormalizerConfig) -> list[tuple[str, dict[int, str]]]:
    """The enabled character tables, in application order."""
    tables = _chardata.STEP_TABLES
    wanted: list[tuple[str, str]] = [
        ("presentation_forms", "presentation_forms"),
        ("nfkc", "nfkc"),
        ("dagger_alef", "dagger_alef"),
        ("diacritics", "diacritics"),
        ("tatweel", "tatweel"),
        ("invisibles", "invisibles"),
        ("whitespace", "whitespace"),
        ("alef", "alef"),
        ("hamza", f"hamza_{config.hamza}"),
        ("alef_maksura", "alef_maksura"),
        ("teh_marbuta", "teh_marbuta"),
        ("lookalikes", "lookalikes"),
        ("persian_letters", "persian_letters"),
        ("digits", "digits"),
        ("punctuation", "punctuation"),
        ("case", "case"),
    ]
    steps: list[tuple[str, dict[int, str]]] = []
    for step, table_name in wanted:
        value = getattr(config, step)
        # dagger_alef="delete" has no table of its own: the diacritics step deletes U+0670.
        enabled = value == "alef" if step == "dagger_alef" else value not in (False, "keep")
        if enabled:
            steps.append((step, tables[table_name]))
    return steps


def _closure(steps: list[tuple[str, dict[int, str]]]) -> dict[int, str]:
    """Run every touched code point through all steps, repeatedly, until its output is stable.

    So ﻷ -> لأ -> لا and ﷺ -> صلى الله عليه وسلم -> صلي الله عليه وسلم whatever the step order.
    """
    touched: set[int] = set()
    for _, table in steps:
        touched.update(table)
    tables = [table for _, table in steps]

    def one_pass(text: str) -> str:
        for table in tables:
            text = text.translate(table)
        return text

    mapping: dict[int, str] = {}
    for cp in sorted(touched):
        out = chr(cp)
        for _ in range(16):
            nxt = one_pass(out)
            if nxt == out:
                break
            out = nxt
        else:  # pragma: no cover - would mean two steps undo each other
            raise RuntimeError(f"normaliser tables do not converge for U+{cp:04X}")
        if out != chr(cp):
            mapping[cp] = out
    return mapping


@functools.cache
def _separator_mask() -> BoolArray:
    mask = np.zeros(_N_CODE_POINTS, dtype=np.bool_)
    for first, last in _chardata.SEPARATOR_RANGES:
        mask[first : last + 1] = True
    mask.flags.writeable = False
    return mask


@functools.lru_cache(maxsize=16)
def compile_table(config: NormalizerConfig) -> CharTable:
    """Compile the enabled character steps of ``config`` into one closed table (cached).

    >>> table = compile_table(NormalizerConfig())
    >>> table.mapping[ord("ﻷ")]
    'لا'
    >>> int(table.lengths[ord("َ")]), chr(table.single[ord("ى")])
    (0, 'ي')
    """
    if not isinstance(config, NormalizerConfig):
        raise ConfigError(f"compile_table needs a NormalizerConfig; got {type(config).__name__}")
    mapping = _closure(_table_steps(config))

    lengths = np.ones(_N_CODE_POINTS, dtype=np.uint8)
    single = np.arange(_N_CODE_POINTS, dtype=np.uint32)
    exp_offsets = np.zeros(_N_CODE_POINTS, dtype=np.uint32)
    keys = np.fromiter(mapping.keys(), dtype=np.int64, count=len(mapping))
    out_lengths = np.fromiter(map(len, mapping.values()), dtype=np.int64, count=len(mapping))
    if out_lengths.size and out_lengths.max() > 255:  # pragma: no cover - uint8 lengths
        raise RuntimeError("a normaliser expansion is longer than 255 code points")
    lengths[keys] = out_lengths
    single[keys[out_lengths == 0]] = _DELETED
    single[keys[out_lengths >= 2]] = _EXPANDS
    ones = out_lengths == 1
    single[keys[ones]] = [ord(out) for out in mapping.values() if len(out) == 1]
    expansions = [out for out in mapping.values() if len(out) >= 2]
    exp_keys = keys[out_lengths >= 2]
    exp_lengths = out_lengths[out_lengths >= 2]
    exp_offsets[exp_keys] = np.cumsum(exp_lengths) - exp_lengths
    exp_data = np.fromiter(
        (ord(ch) for out in expansions for ch in out), dtype=np.uint32, count=int(exp_lengths.sum())
    )
    for array in (lengths, single, exp_offsets, exp_data):
        array.flags.writeable = False
    return CharTable(
        lengths=lengths,
        single=single,
        exp_offsets=exp_offsets,
        exp_data=exp_data,
        is_sep=_separator_mask(),
        mapping=mapping,
        config=config,
    )


# ---------------------------------------------------------------------------------------------
# Regexes over the pinned character classes
# ---------------------------------------------------------------------------------------------


def _char_class(ranges: Iterable[tuple[int, int]]) -> str:
    return "".join(f"\\U{first:08x}-\\U{last:08x}" for first, last in ranges)


_TRIGGERS: Final = tuple(chr(cp) for cp in _chardata.COMPOSE_TRIGGERS)
_COMBINING: Final = _char_class(_chardata.COMBINING_RANGES)
# A cluster = an optional base + its maximal run of combining marks. Matching every cluster
# and testing for U+0653–0655 afterwards keeps the scan linear; a pattern that demanded the
# trigger inside the run would backtrack quadratically on long runs of other marks.
_CLUSTER_RE: Final = re.compile(f"[^{_COMBINING}]?[{_COMBINING}]+")
_SPACE_RUN_RE: Final = re.compile(" {2,}")


@functools.cache
def _number_re() -> re.Pattern[str]:
    digit = f"[{_char_class(_chardata.DECIMAL_RANGES)}]"
    return re.compile(f"{digit}+(?:[.,\u066b\u066c]{digit}+)*")


@functools.cache
def _repeat_re() -> re.Pattern[str]:
    return re.compile(f"([{_char_class(_chardata.LETTER_RANGES)}])\\1{{2,}}")


def _has_trigger(text: str) -> bool:
    return any(trigger in text for trigger in _TRIGGERS)


has_trigger = _has_trigger  # what the fused shingle kernel needs (see _shingle.shingle_sets)


def _compose_cluster(match: re.Match[str]) -> str:
    cluster = match.group()
    return unicodedata.normalize("NFC", cluster) if _has_trigger(cluster) else cluster


def _compose(text: str) -> str:
    """NFC the clusters that hold a combining madda/hamza; leave every other character alone."""
    if not _has_trigger(text):
        return text
    return _CLUSTER_RE.sub(_compose_cluster, text)


# ---------------------------------------------------------------------------------------------
# The table pass: reference and fast implementations (they must agree exactly)
# ---------------------------------------------------------------------------------------------

TranslateFn = Callable[[str, CharTable, bool], str]


def _translate_reference(text: str, table: CharTable, collapse: bool) -> str:
    """Apply the table with ``str.translate``; collapse and strip ASCII spaces if asked."""
    out = text.translate(table.mapping)
    if collapse:
        out = _SPACE_RUN_RE.sub(" ", out).strip(" ")
    return out


def _code_points(text: str) -> U32Array:
    # surrogatepass: lone surrogates are valid str content and must round-trip.
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")


def _from_code_points(cps: U32Array) -> str:
    # Decoding straight from the array's buffer skips a bytes copy of the whole text.
    buffer: Any = np.ascontiguousarray(cps, dtype="<u4")
    return str(memoryview(buffer).cast("B"), "utf-32-le", "surrogatepass")


def _apply_table(
    cps: U32Array, table: CharTable, *, track: bool = False
) -> tuple[U32Array, npt.NDArray[np.intp], npt.NDArray[np.int64]]:
    """Map code points through the table with one full-size gather.

    Returns the output, the input positions whose output is not exactly one code point
    (sorted), and the running total of (output length - 1) over those positions, so callers
    can move input positions to output positions cheaply. The last two are only computed
    when ``track`` is set or some code point expands.
    """
    out: U32Array = table.single[cps]
    top = int(out.max()) if out.size else 0
    if top <= _MAX_CODE_POINT:  # nothing deleted or expanded
        return out, _NO_POSITIONS, _NO_GROWTH
    if top == _DELETED and not track:  # deletions only: the usual case for Arabic text
        return out[out <= _MAX_CODE_POINT], _NO_POSITIONS, _NO_GROWTH
    odd = np.flatnonzero(out > _MAX_CODE_POINT)
    odd_cps = cps[odd]
    odd_lengths = table.lengths[odd_cps].astype(np.int64)
    growth = np.cumsum(odd_lengths - 1)
    if top == _DELETED:
        return out[out <= _MAX_CODE_POINT], odd, growth
    is_exp = odd_lengths > 1
    exp = odd[is_exp]
    exp_lengths = odd_lengths[is_exp]
    offsets = table.exp_offsets[odd_cps[is_exp]].astype(np.int64)
    out[exp] = table.exp_data[offsets]  # the first output code point takes the slot
    rest = exp_lengths - 1
    rest_starts = np.cumsum(rest) - rest
    within = np.arange(int(rest.sum()), dtype=np.int64) - np.repeat(rest_starts, rest)
    tail = table.exp_data[np.repeat(offsets + 1, rest) + within]
    gone = odd[~is_exp]
    out = np.insert(out, np.repeat(exp + 1, rest), tail)
    # Deleted positions, moved past the expansions inserted before them.
    gone = gone + np.concatenate(([0], np.cumsum(rest)))[np.searchsorted(exp, gone)]
    return _without(out, gone), odd, growth


def _without(values: U32Array, positions: npt.NDArray[np.intp]) -> U32Array:
    """``np.delete`` for sorted positions, minus its argument handling."""
    if positions.size == 0:
        return values
    keep = np.ones(values.size, dtype=np.bool_)
    keep[positions] = False
    return values[keep]


def _output_positions(
    positions: npt.NDArray[np.int64], odd: npt.NDArray[np.intp], growth: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Where input positions (each the start of an input span) land in the output."""
    if odd.size == 0:
        return positions
    before = np.searchsorted(odd, positions)  # odd positions strictly before each position
    return positions + np.concatenate(([0], growth))[before]


def _double_spaces(out: U32Array) -> npt.NDArray[np.intp]:
    """Positions of spaces that directly follow a space (collapse keeps the first)."""
    spaces = out == _SPACE
    return np.flatnonzero(spaces[1:] & spaces[:-1]) + 1


def _translate_fast(text: str, table: CharTable, collapse: bool) -> str:
    """NumPy version of :func:`_translate_reference` for one text."""
    out, _, _ = _apply_table(_code_points(text), table)
    if not collapse:
        return _from_code_points(out)
    spaces = out == _SPACE
    doubles = spaces[1:] & spaces[:-1]  # a space right after a space
    if doubles.any():
        keep = np.ones(out.size, dtype=np.bool_)
        keep[1:] = ~doubles
        out = out[keep]
    # After the collapse at most one space is left at each end.
    return _from_code_points(out).strip(" ")


def _translate_fast_many(texts: list[str], table: CharTable, collapse: bool) -> list[str]:
    """One vectorised pass over many texts; boundaries are tracked, so no sentinel is needed."""
    if not texts:
        return []
    bounds = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)), out=bounds[1:])
    out, odd, growth = _apply_table(_code_points("".join(texts)), table, track=True)
    bounds = _output_positions(bounds, odd, growth)
    if collapse:
        # A run straddling two texts only loses spaces that are leading in the later text,
        # which the per-text strip below removes anyway; so runs may be collapsed globally.
        doubles = _double_spaces(out)
        if doubles.size:
            out = _without(out, doubles)
            bounds = bounds - np.searchsorted(doubles, bounds)
    joined = _from_code_points(out)
    edges = bounds.tolist()
    if collapse:
        return [joined[edges[i] : edges[i + 1]].strip(" ") for i in range(len(texts))]
    return [joined[edges[i] : edges[i + 1]] for i in range(len(texts))]


# ---------------------------------------------------------------------------------------------
# The pipeline around the table pass
# ---------------------------------------------------------------------------------------------


def _fold_cluster(cluster: str, mapping: Mapping[int, str]) -> str:
    """Compose a cluster's base with its combining madda/hamza, mapping each result at once.

    The composition rules of NFC (marks in canonical order; a mark is blocked by an earlier
    uncomposed mark of the same class), except that every composed letter goes through the
    table before the next mark is tried: ا + U+0654 + U+0654 gives أ -> ا, then أ -> ا again,
    in one pass instead of one pass per hamza.
    """
    if not _has_trigger(cluster) or unicodedata.combining(cluster[0]):
        return cluster
    base = cluster[0]
    kept: list[str] = []
    blocking = 0  # highest combining class among the marks left uncomposed so far
    for mark in sorted(cluster[1:], key=unicodedata.combining):  # stable: canonical order
        ccc = unicodedata.combining(mark)
        if blocking < ccc:
            pair = unicodedata.normalize("NFC", base + mark)
            if len(pair) == 1:
                letter = mapping.get(ord(pair), pair)
                if len(letter) != 1 or unicodedata.combining(letter):
                    return cluster  # not a plain letter: leave it to the general loop
                base = letter
                continue
        kept.append(mark)
        blocking = max(blocking, ccc)
    return base + "".join(kept)


def _settle_compose(text: str, table: CharTable, translate: TranslateFn) -> str:
    """Compose and map again until nothing composes (the output must be idempotent).

    Only reachable when combining madda/hamza survive the table (diacritics off) and a base
    that composes with them stands in front. :func:`_fold_cluster` settles every cluster in
    one linear pass; the loop after it is a safety net that normally checks once and stops
    (each round composes at least one pair, so it terminates).
    """
    collapse = table.config.whitespace
    folded = _CLUSTER_RE.sub(lambda m: _fold_cluster(m.group(), table.mapping), text)
    if folded != text:
        text = translate(folded, table, collapse)
    for _ in range(len(text) + 1):
        composed = _compose(text)
        if composed == text:
            break
        text = translate(composed, table, collapse)
    return text


def _post_steps(text: str, config: NormalizerConfig) -> str:
    """Opt-in whole-text steps; they never create anything the earlier steps would change."""
    if config.mask_numbers:
        text = _number_re().sub("0", text)
    if config.squeeze_repeats:
        text = _repeat_re().sub(r"\1", text)
    return text


def _normalize_with(text: str, config: NormalizerConfig, translate: TranslateFn) -> str:
    table = compile_table(config)
    out = translate(_compose(text) if config.compose else text, table, config.whitespace)
    if config.compose and _has_trigger(out):
        out = _settle_compose(out, table, translate)
    return _post_steps(out, config)


def _impl() -> str:
    value = os.environ.get(_IMPL_ENV, "auto").strip().lower() or "auto"
    if value not in _IMPLS:
        raise ConfigError(
            f"{_IMPL_ENV} must be one of {', '.join(_IMPLS)}; got {value!r}. "
            f"Unset it to let the normaliser choose."
        )
    return value


def _choose(text: str) -> TranslateFn:
    impl = _impl()
    if impl == "reference" or (impl == "auto" and len(text) < FAST_PATH_MIN_CHARS):
        return _translate_reference
    return _translate_fast


def _normalize_reference(text: str, config: NormalizerConfig) -> str:
    """The reference normaliser (``str.translate``), whatever the environment says."""
    return _normalize_with(text, config, _translate_reference)


def _normalize_fast(text: str, config: NormalizerConfig) -> str:
    """The NumPy normaliser, whatever the text length or environment."""
    return _normalize_with(text, config, _translate_fast)


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
    cfg = _resolve_config(config, overrides)
    _check_text(text)
    return _normalize_with(text, cfg, _choose(text))


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
    cfg = _resolve_config(config, overrides)
    items = list(texts)
    for index, text in enumerate(items):
        if not isinstance(text, str):
            try:
                _check_text(text)
            except NormalizerTypeError as error:
                raise NormalizerTypeError(f"texts[{index}]: {error}") from None
    if _impl() == "reference":
        return [_normalize_reference(text, cfg) for text in items]
    table = compile_table(cfg)
    results: list[str] = []
    chunk: list[str] = []
    size = 0
    for text in items:
        chunk.append(text)
        size += len(text)
        if size >= BATCH_CHARS:
            results.extend(_normalize_chunk(chunk, table))
            chunk, size = [], 0
    results.extend(_normalize_chunk(chunk, table))
    return results


def _normalize_chunk(texts: list[str], table: CharTable) -> list[str]:
    cfg = table.config
    compose = cfg.compose and _has_trigger("".join(texts))
    if compose:
        texts = [_compose(text) for text in texts]
    outs = _translate_fast_many(texts, table, cfg.whitespace)
    post = cfg.mask_numbers or cfg.squeeze_repeats
    if compose or post:
        for index, out in enumerate(outs):
            if compose and _has_trigger(out):
                out = _settle_compose(out, table, _translate_fast)
            outs[index] = _post_steps(out, cfg)
    return outs


@functools.cache
def _separators_to_space() -> dict[int, int]:
    return {
        cp: _SPACE for first, last in _chardata.SEPARATOR_RANGES for cp in range(first, last + 1)
    }


def _split_reference(text: str) -> list[str]:
    return [token for token in text.translate(_separators_to_space()).split(" ") if token]


def _split_fast(text: str, is_sep: BoolArray) -> list[str]:
    if not text:
        return []
    inside = np.zeros(len(text) + 2, dtype=np.int8)
    inside[1:-1] = ~is_sep[_code_points(text)]
    edges = np.diff(inside)
    starts = np.flatnonzero(edges == 1).tolist()
    stops = np.flatnonzero(edges == -1).tolist()
    return [text[a:b] for a, b in zip(starts, stops, strict=True)]


def tokens(text: str, /, *, config: NormalizerConfig | None = None, **overrides: Any) -> list[str]:
    """Normalise ``text`` and split it into tokens: runs of letters, marks and digits.

    Every punctuation, symbol, space and control character separates tokens; no token is
    empty.

    >>> tokens("قالَ: «الإتفاقُ» نهائىٌّ!")
    ['قال', 'الاتفاق', 'نهاءي']
    """
    cfg = _resolve_config(config, overrides)
    _check_text(text)
    translate = _choose(text)
    normalized = _normalize_with(text, cfg, translate)
    if translate is _translate_reference:
        return _split_reference(normalized)
    return _split_fast(normalized, compile_table(cfg).is_sep)


def _tokens_reference(text: str, config: NormalizerConfig) -> list[str]:
    return _split_reference(_normalize_reference(text, config))


def _tokens_fast(text: str, config: NormalizerConfig) -> list[str]:
    return _split_fast(_normalize_fast(text, config), compile_table(config).is_sep)


# ---------------------------------------------------------------------------------------------
# explain()
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    """One input character (or composed cluster) that the normaliser changed."""

    step: str
    """The first step, in :data:`STEPS` order, that changed it."""
    position: int
    """Index of the first changed code point in the input text."""
    original: str
    """The input code point(s)."""
    replacement: str
    """What they became in the normalised text ("" = deleted)."""

    def __str__(self) -> str:
        before, after = _show(self.original), _show(self.replacement)
        return f"{self.step}  pos {self.position}  {before} -> {after}"


def _show(text: str) -> str:
    if not text:
        return "'' (deleted)"
    if len(text) > 4:
        return repr(text)
    return f"{text!r} " + " ".join(f"U+{ord(ch):04X}" for ch in text)


@dataclass(frozen=True, slots=True)
class Explanation:
    """What :func:`explain` found: the input, its normal form, and every change."""

    text: str
    normalized: str
    changes: list[Change]

    def __str__(self) -> str:
        if not self.changes:
            return "no changes"
        step_width = max(len(change.step) for change in self.changes)
        pos_width = max(len(str(change.position)) for change in self.changes)
        return "\n".join(
            f"{change.step:<{step_width}}  pos {change.position:<{pos_width}}  "
            f"{_show(change.original)} -> {_show(change.replacement)}"
            for change in self.changes
        )


@dataclass(slots=True)
class _Segment:
    """Input code points [start, end) and what they have become so far."""

    start: int
    end: int
    out: str
    steps: set[str]


@functools.lru_cache(maxsize=16)
def _first_steps(config: NormalizerConfig) -> dict[int, str]:
    """For each code point the config changes, the first step (in order) that changes it."""
    first: dict[int, str] = {}
    for step, table in _table_steps(config):
        for cp, out in table.items():
            if out != chr(cp):
                first.setdefault(cp, step)
    return first


def _edit(segments: list[_Segment], edits: list[tuple[int, int, str]], step: str) -> list[_Segment]:
    """Replace spans of the current output; a span crossing segments merges them.

    Builds a new list in one pass (edits sorted, non-overlapping), so explaining a long text
    with many edits stays linear.
    """
    if not edits:
        return segments
    owner: list[int] = []
    starts: list[int] = []
    for index, segment in enumerate(segments):
        starts.append(len(owner))
        owner.extend([index] * len(segment.out))
    groups: list[tuple[int, int, list[tuple[int, int, str]]]] = []
    for edit in sorted(edits):
        first, last = owner[edit[0]], owner[edit[1] - 1]
        if groups and first <= groups[-1][1]:
            group_first, group_last, group_edits = groups[-1]
            group_edits.append(edit)
            groups[-1] = (group_first, max(group_last, last), group_edits)
        else:
            groups.append((first, last, [edit]))
    result: list[_Segment] = []
    cursor = 0
    for first, last, group_edits in groups:
        result.extend(segments[cursor:first])
        merged = segments[first : last + 1]
        base = starts[first]
        out = "".join(segment.out for segment in merged)
        for start, stop, replacement in reversed(group_edits):
            out = out[: start - base] + replacement + out[stop - base :]
        steps = {step}.union(*(segment.steps for segment in merged))
        result.append(_Segment(merged[0].start, merged[-1].end, out, steps))
        cursor = last + 1
    result.extend(segments[cursor:])
    return result


def _explain_compose(
    segments: list[_Segment], fold: Mapping[int, str] | None = None
) -> tuple[list[_Segment], bool]:
    """Compose like :func:`_compose` (or fold like :func:`_fold_cluster` given the mapping)."""
    current = "".join(segment.out for segment in segments)
    if not _has_trigger(current):
        return segments, False
    edits = []
    for match in _CLUSTER_RE.finditer(current):
        if fold is None:
            composed = _compose_cluster(match)
        else:
            composed = _fold_cluster(match.group(), fold)
        if composed != match.group():
            edits.append((match.start(), match.end(), composed))
    return _edit(segments, edits, "compose"), bool(edits)


def _explain_table(segments: list[_Segment], config: NormalizerConfig) -> list[_Segment]:
    mapping = compile_table(config).mapping
    first = _first_steps(config)
    for segment in segments:
        changed = [ch for ch in segment.out if ord(ch) in mapping]
        if changed:
            segment.steps.add(min((first[ord(ch)] for ch in changed), key=_STEP_RANK.__getitem__))
            segment.out = segment.out.translate(mapping)
    if config.whitespace:
        current = "".join(segment.out for segment in segments)
        body = current.strip(" ")
        lead = len(current) - len(current.lstrip(" "))
        stop = lead + len(body)
        drops = [
            i
            for i, ch in enumerate(current)
            if ch == " " and (i < lead or i >= stop or current[i - 1] == " ")
        ]
        segments = _edit(segments, [(i, i + 1, "") for i in drops], "whitespace")
    return segments


def _explain_regex(
    segments: list[_Segment], pattern: re.Pattern[str], step: str, keep: str | None
) -> list[_Segment]:
    """Rewrite each match as its first character (or ``keep``) and delete the rest."""
    current = "".join(segment.out for segment in segments)
    edits: list[tuple[int, int, str]] = []
    for match in pattern.finditer(current):
        head = match.group()[0] if keep is None else keep
        if head != current[match.start()]:
            edits.append((match.start(), match.start() + 1, head))
        edits.extend((i, i + 1, "") for i in range(match.start() + 1, match.end()))
    return _edit(segments, edits, step)


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
    cfg = _resolve_config(config, overrides)
    _check_text(text)
    segments = [_Segment(i, i + 1, ch, set()) for i, ch in enumerate(text)]
    if cfg.compose:
        segments, _ = _explain_compose(segments)
    segments = _explain_table(segments, cfg)
    if cfg.compose and _has_trigger("".join(segment.out for segment in segments)):
        # The same settling as _settle_compose: one folding pass, then the safety loop.
        segments, folded = _explain_compose(segments, compile_table(cfg).mapping)
        if folded:
            segments = _explain_table(segments, cfg)
        for _ in range(len(text) + 1):
            segments, composed = _explain_compose(segments)
            if not composed:
                break
            segments = _explain_table(segments, cfg)
    if cfg.mask_numbers:
        segments = _explain_regex(segments, _number_re(), "mask_numbers", "0")
    if cfg.squeeze_repeats:
        segments = _explain_regex(segments, _repeat_re(), "squeeze_repeats", None)
    changes = [
        Change(
            step=min(segment.steps, key=_STEP_RANK.__getitem__) if segment.steps else "compose",
            position=segment.start,
            original=text[segment.start : segment.end],
            replacement=segment.out,
        )
        for segment in segments
        if segment.out != text[segment.start : segment.end]
    ]
    return Explanation(text=text, normalized=normalize(text, config=cfg), changes=changes)
