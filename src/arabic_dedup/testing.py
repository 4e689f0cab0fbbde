"""Synthetic syndication: make the copies that newsrooms make of one article.

Used by the quality benchmark, the demo and the tests. :func:`syndicate` applies a chosen set
of named transforms to a base article and returns the copy; every transform imitates something
seen in real Arabic news syndication (outlet prefixes and footers, related-headline lists,
truncation, spelling habits, PDF presentation forms, HTML remnants, ...).

>>> import random
>>> copy = syndicate("قال وزير الصحة إن المستشفى الجديد سيفتح أبوابه قريباً.", ["prefix"],
...                  rng=random.Random(1))
>>> copy.endswith("قال وزير الصحة إن المستشفى الجديد سيفتح أبوابه قريباً.")
True
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable, Sequence

__all__ = [
    "TRANSFORMS",
    "random_transforms",
    "split_sentences",
    "syndicate",
    "to_presentation_forms",
]

PREFIXES = [
    "عين اليوم – ",
    "سبق- الرياض: ",
    "الرياض - واس: ",
    "جدة – المدينة: ",
    "الوئام – متابعات: ",
    "واس - الرياض\n",
    "متابعات - ",
    "(واس) ",
    "الدمام - اليوم\n",
]
FOOTERS = [
    "\n\nرابط الخبر بصحيفة الوئام: {title}",
    "\n\nشارك من خلال تويتر\nشارك من خلال فيسبوك",
    "\n// انتهى //",
    "\n\nالمصدر: وكالة الأنباء السعودية",
    "\n\nاقرأ أيضاً على الموقع",
    "\n\nجميع الحقوق محفوظة ©",
]
_SENT_END = re.compile(r"(?<=[.!؟?:])\s+|\n+")


def split_sentences(text: str) -> list[str]:
    """Split on sentence punctuation and line breaks, keeping the punctuation."""
    return [s for s in (p.strip() for p in _SENT_END.split(text)) if s]


def _words(text: str, rng: random.Random, p: float, fn: Callable[[str], str]) -> str:
    return re.sub(r"\S+", lambda m: fn(m.group()) if rng.random() < p else m.group(), text)


def _prefix(t: str, rng: random.Random, ctx: dict[str, str]) -> str:
    return rng.choice(PREFIXES) + t


def _footer(t: str, rng: random.Random, ctx: dict[str, str]) -> str:
    return t + rng.choice(FOOTERS).format(title=ctx.get("title", ""))


def _related(t: str, rng: random.Random, ctx: dict[str, str]) -> str:
    heads = ctx.get("related", "").split("\n")
    heads = [h for h in heads if h][:4]
    if not heads:
        return t
    return t + "\n\nأخبار ذات صلة\n" + "\n".join(heads)


def _truncate(t: str, rng: random.Random, ctx: dict[str, str]) -> str:
    s = split_sentences(t)
    if len(s) < 3:
        return t
    keep = max(2, int(len(s) * rng.uniform(0.7, 0.9)))
    return " ".join(s[:keep])


def _drop_sentence(t: str, rng: random.Random, ctx: dict[str, str]) -> str:
    s = split_sentences(t)
    if len(s) < 4:
        return t
    del s[rng.randrange(1, len(s) - 1)]
    return " ".join(s)


def _add_sentence(t: str, rng: random.Random, ctx: dict[str, str]) -> str:
    s = split_sentences(t)
    extra = ctx.get("extra") or "وأكد المسؤول أن العمل مستمر لتحقيق الأهداف المرسومة."
    s.insert(rng.randrange(1, len(s) + 1) if s else 0, extra)
    return " ".join(s)


def _alef_maksura(t: str, rng: random.Random, ctx: dict[str, str]) -> str:
    # Egyptian habit: final ي written ى (فى، على stays).
    return re.sub(r"ي(?=\s|$|[.,،])", "ى", t)


def _teh_marbuta(t: str, rng: random.Random, ctx: dict[str, str]) -> str:
    return re.sub(r"ة(?=\s|$|[.,،])", "ه", t)


def _hamza_drop(t: str, rng: random.Random, ctx: dict[str, str]) -> str:
    return t.translate(str.maketrans("أإآ", "ااا"))


def _hamza_seat(t: str, rng: random.Random, ctx: dict[str, str]) -> str:
    # مسؤول -> مسئول, شؤون -> شئون
    return t.replace("ؤو", "ئو").replace("ؤ", "ئ")


def _kashida(t: str, rng: random.Random, ctx: dict[str, str]) -> str:
    def stretch(w: str) -> str:
        joinable = [i for i in range(1, len(w)) if w[i - 1] in "بتثجحخسشصضطظعغفقكلمنهي"]
        if not joinable:
            return w
        i = rng.choice(joinable)
        return w[:i] + "ـ" * rng.randint(1, 3) + w[i:]

    return _words(t, rng, 0.08, stretch)


_HARAKAT = ["\u064e", "\u064f", "\u0650", "\u0652", "\u0651", "\u064b", "\u064d"]


def _diacritics(t: str, rng: random.Random, ctx: dict[str, str]) -> str:
    def vocalise(w: str) -> str:
        return "".join(
            c + rng.choice(_HARAKAT) if "\u0621" <= c <= "\u064a" and rng.random() < 0.5 else c
            for c in w
        )

    return _words(t, rng, 0.25, vocalise)


def _digits(t: str, rng: random.Random, ctx: dict[str, str]) -> str:
    return t.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))


def _bidi(t: str, rng: random.Random, ctx: dict[str, str]) -> str:
    marks = ["\u200f", "\u200e", "\u200c", "\u200b", "\u061c"]
    return _words(t, rng, 0.1, lambda w: w + rng.choice(marks))


_FORMS = ("ISOLATED", "INITIAL", "MEDIAL", "FINAL")


def _pres_form(letter: str, form: str) -> str | None:
    try:
        return unicodedata.lookup(f"{unicodedata.name(letter)} {form} FORM")
    except (KeyError, ValueError):
        return None


_NON_JOINING = set("اأإآدذرزوؤةءى")


def to_presentation_forms(word: str) -> str:
    """Shape an Arabic word into presentation forms, as PDF text extraction yields it."""
    out = []
    for i, c in enumerate(word):
        prev = word[i - 1] if i else ""
        prev_joins = bool(prev) and prev not in _NON_JOINING and "\u0621" <= prev <= "\u064a"
        next_ok = i + 1 < len(word) and "\u0621" <= word[i + 1] <= "\u064a"
        joins_next = c not in _NON_JOINING and next_ok
        form = {
            (False, False): "ISOLATED",
            (False, True): "INITIAL",
            (True, True): "MEDIAL",
            (True, False): "FINAL",
        }[(prev_joins, joins_next)]
        out.append(_pres_form(c, form) or c if "\u0621" <= c <= "\u064a" else c)
    return "".join(out)


def _presentation(t: str, rng: random.Random, ctx: dict[str, str]) -> str:
    return re.sub(r"\S+", lambda m: to_presentation_forms(m.group()), t)


def _nbsp(t: str, rng: random.Random, ctx: dict[str, str]) -> str:
    return _words(t, rng, 0.3, lambda w: w + "\u00a0").replace("\u00a0 ", "\u00a0")


def _quotes(t: str, rng: random.Random, ctx: dict[str, str]) -> str:
    n = [0]

    def q(_: re.Match[str]) -> str:
        n[0] += 1
        return "«" if n[0] % 2 else "»"

    return re.sub('"', q, t)


def _html(t: str, rng: random.Random, ctx: dict[str, str]) -> str:
    paras = t.split("\n")
    return "".join(f"<p>{p}</p>" if p.strip() else "<br/>" for p in paras).replace("  ", "&nbsp; ")


Transform = Callable[[str, random.Random, dict[str, str]], str]

TRANSFORMS: dict[str, Transform] = {
    "prefix": _prefix,
    "footer": _footer,
    "related": _related,
    "truncate": _truncate,
    "drop_sentence": _drop_sentence,
    "add_sentence": _add_sentence,
    "alef_maksura": _alef_maksura,
    "teh_marbuta": _teh_marbuta,
    "hamza_drop": _hamza_drop,
    "hamza_seat": _hamza_seat,
    "kashida": _kashida,
    "diacritics": _diacritics,
    "digits": _digits,
    "bidi": _bidi,
    "presentation": _presentation,
    "nbsp": _nbsp,
    "quotes": _quotes,
    "html": _html,
}
# Edits to content happen before spelling and encoding changes, as in a newsroom.
_ORDER = list(TRANSFORMS)


def syndicate(
    text: str,
    transforms: Sequence[str],
    *,
    rng: random.Random,
    title: str = "",
    related: Sequence[str] = (),
    extra: str = "",
) -> str:
    """A syndicated copy of ``text`` with the named ``transforms`` applied (see TRANSFORMS)."""
    unknown = [t for t in transforms if t not in TRANSFORMS]
    if unknown:
        raise ValueError(f"unknown transform(s) {unknown}; known: {', '.join(TRANSFORMS)}")
    ctx = {"title": title, "related": "\n".join(related), "extra": extra}
    for name in sorted(set(transforms), key=_ORDER.index):
        text = TRANSFORMS[name](text, rng, ctx)
    return text


def random_transforms(rng: random.Random, *, min_n: int = 1, max_n: int = 5) -> list[str]:
    """A random newsroom recipe: 1-5 transforms, content edits at most two."""
    content = ["prefix", "footer", "related", "truncate", "drop_sentence", "add_sentence"]
    surface = [t for t in TRANSFORMS if t not in content]
    n = rng.randint(min_n, max_n)
    picks = rng.sample(content, min(n, rng.randint(0, 2))) if n else []
    picks += rng.sample(surface, n - len(picks))
    return sorted(picks, key=_ORDER.index)
