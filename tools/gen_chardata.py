#!/usr/bin/env python3
"""Generate ``src/arabic_dedup/_chardata.py``, the normaliser's pinned character tables.

The normaliser must give the same output on every machine, so it never asks the running
Python's Unicode database at normalisation time. This script asks it once, here, and writes
the answers into a Python module (``\\uXXXX`` escapes only, sorted, one entry per line so a
table change shows up as a readable diff). The module records ``unicodedata.unidata_version``;
bump ``TABLES_VERSION`` whenever the output changes, because stored signatures depend on it.

Usage::

    python tools/gen_chardata.py              # rewrite src/arabic_dedup/_chardata.py
    python tools/gen_chardata.py -o out.py    # write elsewhere (the freshness test does this)
    python tools/gen_chardata.py --check      # exit 1 if the committed file is stale

The spec for every table is ``shared/NORMALIZATION.md``; each builder below cites its row.
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

# Bump when any generated table changes (and say why in docs/normalizer.md).
TABLES_VERSION = "1.0.0"

DEFAULT_OUTPUT = Path(__file__).resolve().parents[1] / "src" / "arabic_dedup" / "_chardata.py"

MAX_CODE_POINT = 0x110000
ALEF = "\u0627"
YEH = "\u064a"
KAF = "\u0643"
HEH = "\u0647"
WAW = "\u0648"
HAMZA = "\u0621"


def _span(first: int, last: int) -> range:
    """Inclusive code point range, as the spec writes them (U+064B–065F)."""
    return range(first, last + 1)


def _cps(*parts: int | range) -> list[int]:
    out: list[int] = []
    for part in parts:
        out.extend(part if isinstance(part, range) else [part])
    return out


def _assigned(cp: int) -> bool:
    return unicodedata.category(chr(cp)) != "Cn"


def _nfkc(cp: int) -> str:
    return unicodedata.normalize("NFKC", chr(cp))


def _all_code_points() -> Iterator[int]:
    # Surrogates have no NFKC/casefold of their own; skipping them keeps every table clean.
    for cp in range(MAX_CODE_POINT):
        if not 0xD800 <= cp <= 0xDFFF:
            yield cp


# ---------------------------------------------------------------------------------------------
# One builder per step. Each returns {code point: replacement} ("" = delete), identity omitted.
# ---------------------------------------------------------------------------------------------


def presentation_forms() -> dict[int, str]:
    """Presentation Forms A/B and Arabic math letters -> per-code-point NFKC, with exceptions."""
    table: dict[int, str] = {}
    for cp in _cps(_span(0xFB50, 0xFDFF), _span(0xFE70, 0xFEFF), _span(0x1EE00, 0x1EEFF)):
        if not _assigned(cp):
            continue
        if 0xFE70 <= cp <= 0xFE7F or 0xFC5E <= cp <= 0xFC63:
            # Isolated harakat: NFKC gives space + mark, which would split the word.
            table[cp] = ""
            continue
        folded = _nfkc(cp)
        if folded != chr(cp):
            table[cp] = folded
    # NFKC leaves the bismillah ligature alone and gives a Persian yeh for the rial sign.
    table[0xFDFD] = (
        "\u0628\u0633\u0645 \u0627\u0644\u0644\u0647 \u0627\u0644\u0631\u062d\u0645\u0646 \u0627\u0644\u0631\u062d\u064a\u0645"  # noqa: E501
    )
    table[0xFDFC] = "\u0631\u064a\u0627\u0644"
    return table


def nfkc() -> dict[int, str]:
    """Opt-in: every code point whose own NFKC differs from it."""
    table: dict[int, str] = {}
    for cp in _all_code_points():
        folded = _nfkc(cp)
        if folded != chr(cp):
            table[cp] = folded
    return table


def dagger_alef() -> dict[int, str]:
    """Opt-in mode "alef": superscript (dagger) alef U+0670 -> alef, for Uthmani sources."""
    return {0x0670: ALEF}


DIACRITIC_RANGES = (
    _span(0x064B, 0x065F),  # harakat, tanween, shadda, sukun, combining madda/hamza
    _span(0x0670, 0x0670),  # dagger alef
    _span(0x0610, 0x061A),  # Quranic honorifics and small letters
    _span(0x06D6, 0x06DC),
    _span(0x06DF, 0x06E8),
    _span(0x06EA, 0x06ED),
    _span(0x0898, 0x089F),  # Arabic Extended-B marks
    _span(0x08CA, 0x08E1),  # Arabic Extended-A marks
    _span(0x08E3, 0x08FF),
    _span(0x0300, 0x036F),  # generic combining marks
    _span(0x1AB0, 0x1AFF),
    _span(0x1DC0, 0x1DFF),
    _span(0x20D0, 0x20FF),
    _span(0xFE20, 0xFE2F),
)


def diacritics() -> dict[int, str]:
    """Delete every code point of the listed mark ranges.

    Whole ranges, assigned or not: they are blocks reserved for combining marks, so a mark that
    a later Unicode version adds there is already deleted and the table does not change.
    """
    return {cp: "" for rng in DIACRITIC_RANGES for cp in rng}


def tatweel() -> dict[int, str]:
    return {0x0640: ""}


def invisibles() -> dict[int, str]:
    cps = _cps(
        _span(0x200B, 0x200F),  # ZWSP, ZWNJ, ZWJ, LRM, RLM
        0x061C,  # Arabic letter mark
        _span(0x202A, 0x202E),  # bidi embeddings/overrides
        _span(0x2060, 0x2064),  # word joiner, invisible operators
        _span(0x2066, 0x206F),  # bidi isolates, deprecated format chars
        0x00AD,  # soft hyphen
        0xFEFF,  # BOM / ZWNBSP
        _span(0xFE00, 0xFE0F),  # variation selectors
        0x180E,  # Mongolian vowel separator
        _span(0x0600, 0x0605),  # prepended concatenation marks
        0x06DD,
        _span(0x0890, 0x0891),
        0x08E2,
    )
    return {cp: "" for cp in cps}


def whitespace() -> dict[int, str]:
    """Every character Python calls whitespace -> one ASCII space (runs collapse later)."""
    return {cp: " " for cp in _all_code_points() if chr(cp).isspace() and cp != 0x20}


def alef() -> dict[int, str]:
    return {cp: ALEF for cp in (0x0622, 0x0623, 0x0625, 0x0671, 0x0672, 0x0673, 0x0675)}


def hamza_uniform() -> dict[int, str]:
    """Hamza on a carrier -> bare hamza, so مسؤول and مسئول meet."""
    return {cp: HAMZA for cp in (0x0624, 0x0626, 0x0674, 0x0676, 0x0678, 0x06D3)}


def hamza_drop() -> dict[int, str]:
    """Hamza on a carrier -> the carrier. The carrierless high hamza U+0674 -> bare hamza."""
    return {
        0x0624: WAW,  # ؤ
        0x0626: YEH,  # ئ
        0x0674: HAMZA,  # ٴ has no carrier to keep
        0x0676: WAW,  # ٶ
        0x0678: YEH,  # ٸ
        0x06D3: "\u06d2",  # ۓ -> ے (lookalikes then folds it to ي)
    }


def alef_maksura() -> dict[int, str]:
    return {0x0649: YEH}


def teh_marbuta() -> dict[int, str]:
    return {0x0629: HEH, 0x06C3: HEH}


def lookalikes() -> dict[int, str]:
    """Persian/Urdu keyboard letters and dotless archaic forms -> the Arabic letter."""
    table: dict[int, str] = {}
    groups: list[tuple[str, list[int]]] = [
        (
            YEH,
            _cps(
                0x06CC,
                0x06CD,
                0x06CE,
                0x06D0,
                0x06D1,
                0x06D2,
                0x0620,
                _span(0x063D, 0x063F),
                0x0777,
            ),
        ),
        (KAF, _cps(0x06A9, 0x06AA, 0x06AB, _span(0x06AC, 0x06AE), 0x063B, 0x063C)),
        (HEH, _cps(0x06BE, 0x06C0, 0x06C1, 0x06C2, 0x06D5, 0x06FF)),
        (WAW, _cps(_span(0x06C4, 0x06CB), 0x06CF, 0x0677)),
        ("\u0628", [0x066E]),  # dotless beh
        ("\u0642", [0x066F]),  # dotless qaf
        ("\u0641", [0x06A1]),  # dotless feh
        ("\u0646", [0x06BA]),  # noon ghunna
    ]
    for target, cps in groups:
        for cp in cps:
            table[cp] = target
    return table


def persian_letters() -> dict[int, str]:
    """Opt-in: Persian/Urdu phonetic letters -> nearest Arabic letter (changes meaning)."""
    return {
        0x067E: "\u0628",  # پ -> ب
        0x0686: "\u062c",  # چ -> ج
        0x0698: "\u0632",  # ژ -> ز
        0x06AF: KAF,  # گ -> ك
        0x06A4: "\u0641",  # ڤ -> ف
        0x0679: "\u062a",  # ٹ -> ت
        0x0688: "\u062f",  # ڈ -> د
        0x0691: "\u0631",  # ڑ -> ر
    }


def digits() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in _all_code_points():
        ch = chr(cp)
        if unicodedata.category(ch) == "Nd":
            ascii_digit = str(unicodedata.decimal(ch))
            if ascii_digit != ch:
                table[cp] = ascii_digit
    table[0x066B] = "."  # ٫ Arabic decimal separator
    table[0x066C] = ","  # ٬ Arabic thousands separator
    table[0x066A] = "%"  # ٪
    return table


def punctuation() -> dict[int, str]:
    return {
        0x060C: ",",  # ،
        0x061B: ";",  # ؛
        0x061F: "?",  # ؟
        0x06D4: ".",  # ۔
        0x00AB: '"',  # «
        0x00BB: '"',  # »
        0x201C: '"',  # “
        0x201D: '"',  # ”
        0x2018: "'",  # ‘
        0x2019: "'",  # ’
    }


def case() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in _all_code_points():
        folded = chr(cp).casefold()
        if folded != chr(cp):
            table[cp] = folded
    return table


# Order matters only for the layout of the generated file; the normaliser applies steps in
# its own documented order.
TABLE_BUILDERS = {
    "presentation_forms": presentation_forms,
    "nfkc": nfkc,
    "dagger_alef": dagger_alef,
    "diacritics": diacritics,
    "tatweel": tatweel,
    "invisibles": invisibles,
    "whitespace": whitespace,
    "alef": alef,
    "hamza_uniform": hamza_uniform,
    "hamza_drop": hamza_drop,
    "alef_maksura": alef_maksura,
    "teh_marbuta": teh_marbuta,
    "lookalikes": lookalikes,
    "persian_letters": persian_letters,
    "digits": digits,
    "punctuation": punctuation,
    "case": case,
}


# ---------------------------------------------------------------------------------------------
# Character classes, written as sorted inclusive (first, last) ranges.
# ---------------------------------------------------------------------------------------------


def _ranges(cps: Iterable[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for cp in sorted(cps):
        if out and out[-1][1] == cp - 1:
            out[-1] = (out[-1][0], cp)
        else:
            out.append((cp, cp))
    return out


def separator_ranges() -> list[tuple[int, int]]:
    """Z*, P*, S* and Cc: after normalisation these separate tokens."""
    return _ranges(
        cp
        for cp in range(MAX_CODE_POINT)
        if unicodedata.category(chr(cp))[0] in "ZPS" or unicodedata.category(chr(cp)) == "Cc"
    )


def combining_ranges() -> list[tuple[int, int]]:
    """Canonical combining class > 0: the marks that follow a base in an NFC cluster."""
    return _ranges(cp for cp in range(MAX_CODE_POINT) if unicodedata.combining(chr(cp)))


def letter_ranges() -> list[tuple[int, int]]:
    """General category L*: what squeeze_repeats may squeeze."""
    return _ranges(cp for cp in range(MAX_CODE_POINT) if unicodedata.category(chr(cp))[0] == "L")


def decimal_ranges() -> list[tuple[int, int]]:
    """General category Nd (ASCII included): what mask_numbers treats as a digit."""
    return _ranges(cp for cp in range(MAX_CODE_POINT) if unicodedata.category(chr(cp)) == "Nd")


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------


def _escape(text: str) -> str:
    """A double-quoted Python literal: printable ASCII as is, everything else escaped."""
    parts = ['"']
    for ch in text:
        cp = ord(ch)
        if ch in '"\\':
            parts.append("\\" + ch)
        elif 0x20 <= cp < 0x7F:
            parts.append(ch)
        elif cp <= 0xFFFF:
            parts.append(f"\\u{cp:04x}")
        else:
            parts.append(f"\\U{cp:08x}")
    parts.append('"')
    return "".join(parts)


def _name(cp: int) -> str:
    return unicodedata.name(chr(cp), f"<U+{cp:04X}>")


def _const(step: str) -> str:
    return step.upper()


def render() -> str:
    lines = [
        "# GENERATED FILE - DO NOT EDIT BY HAND.",
        "# Generated by tools/gen_chardata.py from the Unicode database of the Python that ran it.",
        "# Regenerate with:  .venv/bin/python tools/gen_chardata.py",
        "# (tests/test_normalize.py checks that this file matches the generator.)",
        '# Spec: shared/NORMALIZATION.md. Tables map code point -> replacement ("" deletes).',
        '"""Pinned character tables for the Arabic normaliser (generated; see the header)."""',
        "",
        "from __future__ import annotations",
        "",
        f'TABLES_VERSION = "{TABLES_VERSION}"',
        f'UNIDATA_VERSION = "{unicodedata.unidata_version}"',
        "",
        "# Combining madda / hamza above / hamza below: their presence triggers the compose step.",
        "COMPOSE_TRIGGERS: tuple[int, ...] = (0x0653, 0x0654, 0x0655)",
        "",
    ]
    for step, builder in TABLE_BUILDERS.items():
        table = builder()
        lines.append(f"{_const(step)}: dict[int, str] = {{")
        for cp in sorted(table):
            lines.append(f"    0x{cp:04X}: {_escape(table[cp])},  # {_name(cp)}")
        lines.append("}")
        lines.append("")
    lines.append("STEP_TABLES: dict[str, dict[int, str]] = {")
    for step in TABLE_BUILDERS:
        lines.append(f'    "{step}": {_const(step)},')
    lines.append("}")
    lines.append("")
    classes = {
        "SEPARATOR_RANGES": separator_ranges,
        "COMBINING_RANGES": combining_ranges,
        "LETTER_RANGES": letter_ranges,
        "DECIMAL_RANGES": decimal_ranges,
    }
    for const, ranges_of in classes.items():
        doc = (ranges_of.__doc__ or "").strip().splitlines()[0]
        lines.append(f"# {doc}")
        lines.append(f"{const}: tuple[tuple[int, int], ...] = (")
        for first, last in ranges_of():
            lines.append(f"    (0x{first:04X}, 0x{last:04X}),")
        lines.append(")")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true", help="exit 1 if the output is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is stale; run tools/gen_chardata.py", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
