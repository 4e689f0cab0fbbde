"""The normaliser's configuration: one frozen field per step, validated on construction.

The steps themselves (their tables and rewrites, and the order they run in) are defined in
:mod:`._normalize_steps`; the field names here are the step names there.
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from ._errors import ConfigError, NormalizerTypeError

__all__ = [
    "FIELD_CHOICES",
    "FIELD_NAMES",
    "DaggerAlefMode",
    "HamzaMode",
    "NormalizerConfig",
    "check_text",
    "resolve_config",
]

HamzaMode = Literal["uniform", "drop", "keep"]
DaggerAlefMode = Literal["delete", "alef"]


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
        for name, allowed in FIELD_CHOICES.items():
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


#: Field name -> its allowed values ``(True, False)`` or the modes of its ``Literal``.
FIELD_CHOICES: Final = _field_choices()
FIELD_NAMES: Final = tuple(FIELD_CHOICES)
_DEFAULT_CONFIG: Final = NormalizerConfig()


def resolve_config(
    config: NormalizerConfig | None, overrides: Mapping[str, Any]
) -> NormalizerConfig:
    """``config`` (default: the defaults) with the keyword ``overrides`` applied and checked."""
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
    unknown = sorted(set(overrides) - set(FIELD_NAMES))
    if unknown:
        raise ConfigError(
            f"unknown normaliser option(s) {', '.join(map(repr, unknown))}; "
            f"valid options are: {', '.join(FIELD_NAMES)}"
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


def check_text(text: object) -> None:
    """Raise :class:`NormalizerTypeError` unless ``text`` is a ``str``."""
    if isinstance(text, str):
        return
    if isinstance(text, (bytes, bytearray, memoryview)):
        raise NormalizerTypeError(
            f"the normaliser takes str, not {type(text).__name__}; "
            'decode it first, e.g. text.decode("utf-8")'
        )
    raise NormalizerTypeError(f"the normaliser takes str, not {type(text).__name__}")
