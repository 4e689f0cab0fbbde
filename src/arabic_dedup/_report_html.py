"""``DIR/report.html``: one self-contained page to review what a dedup run decided.

The page holds the summary (``report.json``'s counts), a histogram of the verified pair
similarities with the threshold marked, the largest clusters, and the pairs nearest the
threshold on both sides (the joined duplicates least similar to their kept record, and the
candidates the verify stage kept apart that were most similar), each shown side by side
right-to-left with the shared shingles highlighted and the differing facts (:mod:`._facts`)
marked.

Self-contained and inert: inline CSS and inline SVG, no script, no font, no link, nothing
fetched. Every text and id is escaped (records are untrusted: ``</script>`` or ``<b>`` in a
record is shown as text). Its size is bounded (at most :data:`MAX_PAIRS` pairs a side,
:data:`MAX_CLUSTERS` clusters, texts cut at :data:`SHOWN_CHARS` with a marker) and the output
is deterministic: the same input and options give the same bytes (no timings, no dates).

How it gets its data without holding the corpus (:class:`ReportBuilder`): the verify stage
hands it every candidate pair's similarity (``detect(on_verify=...)``), of which it keeps a
histogram and the few closest below the threshold; after clustering it picks the samples; the
second pass over the input (which writes ``unique.jsonl``) hands it the records of those few
samples, and only those.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from ._boilerplate import CorpusStats
from ._config import DedupConfig
from ._facts import Fact, facts
from ._facts_explain import explain_pair
from ._normalize import engine_for, tokens_with
from ._shingle import shingle_hash

__all__ = [
    "BINS",
    "MAX_CLUSTERS",
    "MAX_PAIRS",
    "SHOWN_CHARS",
    "ReportBuilder",
    "highlight",
    "render",
]

#: Pairs shown on each side of the threshold (joined, kept apart).
MAX_PAIRS: Final = 8
#: Largest clusters listed, and member ids shown for each.
MAX_CLUSTERS: Final = 10
MEMBERS_SHOWN: Final = 6
#: Characters of a text shown on the page; the rest is cut with a marker.
SHOWN_CHARS: Final = 1500
#: Characters of a sampled text held for highlighting (shingles beyond are not compared).
HELD_CHARS: Final = 20_000
#: Ids longer than this are cut on the page.
ID_CHARS: Final = 80
#: Histogram bins over [0, 1].
BINS: Final = 50
# Rejected candidates held from the verify stage: more than MAX_PAIRS, because a pair kept
# apart by verification may still end up in one cluster through other pairs (not shown).
_HELD_APART: Final = 8 * MAX_PAIRS


# -- what the run hands over --------------------------------------------------------------------


def _histogram(sims: NDArray[np.float64]) -> NDArray[np.int64]:
    """Counts of ``sims`` in :data:`BINS` equal bins over [0, 1] (1.0 in the last)."""
    idx = np.clip((np.asarray(sims, dtype=np.float64) * BINS).astype(np.int64), 0, BINS - 1)
    return np.bincount(idx, minlength=BINS).astype(np.int64)


@dataclass(frozen=True)
class _Pair:
    a: int  # kept record (joined) or the earlier one (kept apart)
    b: int
    similarity: float


@dataclass
class _Held:
    text: str  # at most HELD_CHARS
    length: int  # the whole text's length


@dataclass
class ReportBuilder:
    """Collects what the page shows during a run, holding only a few texts.

    Call order: :meth:`on_verify` (the verify stage), :meth:`add_joined` (the listed pairs),
    :meth:`choose` (after clustering; returns the record indexes whose texts are needed),
    :meth:`collect` for each record of the second pass, then :meth:`render`.
    """

    joined_hist: NDArray[np.int64] = field(default_factory=lambda: np.zeros(BINS, np.int64))
    apart_hist: NDArray[np.int64] = field(default_factory=lambda: np.zeros(BINS, np.int64))
    verified: bool = False  # on_verify was called: kept-apart similarities are known
    _apart: list[_Pair] = field(default_factory=list)
    joined: list[_Pair] = field(default_factory=list)
    apart: list[_Pair] = field(default_factory=list)
    clusters: list[tuple[int, int, list[int]]] = field(default_factory=list)  # kept, size, members
    held: dict[int, _Held] = field(default_factory=dict)
    _wanted: set[int] = field(default_factory=set)

    def on_verify(
        self,
        pairs: NDArray[np.int64],
        sims: NDArray[np.float64],
        ok: NDArray[np.bool_],
        rows: NDArray[np.int64],
    ) -> None:
        """The verify stage's candidates (row indexes into the distinct sets; ``rows`` maps a
        row to its first record), their similarities and decisions."""
        self.verified = True
        rejected = np.flatnonzero(~ok)
        self.apart_hist += _histogram(sims[rejected])
        if rejected.size > _HELD_APART:
            top = np.argpartition(-sims[rejected], _HELD_APART - 1)[:_HELD_APART]
            rejected = rejected[top]
        docs = rows[pairs[rejected]].reshape(-1, 2)
        found = [
            _Pair(min(int(a), int(b)), max(int(a), int(b)), float(s))
            for (a, b), s in zip(docs.tolist(), sims[rejected].tolist(), strict=True)
        ]
        merged = sorted(self._apart + found, key=lambda p: (-p.similarity, p.a, p.b))
        self._apart = merged[:_HELD_APART]

    def add_joined(self, sims: NDArray[np.float64]) -> None:
        """The similarities of the listed (joined) pairs."""
        self.joined_hist += _histogram(sims)

    def choose(
        self, representative: NDArray[np.int64], similarity: NDArray[np.float64]
    ) -> set[int]:
        """Pick the samples from the clustering; returns the record indexes to collect."""
        n = representative.size
        dup = np.flatnonzero(representative != np.arange(n))
        order = np.lexsort((dup, similarity[dup]))[:MAX_PAIRS]  # least similar first
        self.joined = [
            _Pair(int(representative[d]), int(d), float(similarity[d])) for d in dup[order]
        ]
        self.apart = [p for p in self._apart if representative[p.a] != representative[p.b]][
            :MAX_PAIRS
        ]
        sizes = np.bincount(representative, minlength=n)
        big = np.flatnonzero(sizes >= 2)
        big = big[np.lexsort((big, -sizes[big]))][:MAX_CLUSTERS]
        members: dict[int, list[int]] = {int(k): [] for k in big}
        for d in dup.tolist():  # input order
            m = members.get(int(representative[d]))
            if m is not None and len(m) < MEMBERS_SHOWN:
                m.append(d)
        self.clusters = [(int(k), int(sizes[k]), members[int(k)]) for k in big]
        shown = self.joined + self.apart
        self._wanted = {p.a for p in shown} | {p.b for p in shown} | {int(k) for k in big}
        return set(self._wanted)

    def collect(self, index: int, text: str) -> None:
        """One record of the second pass (ignored unless chosen)."""
        if index in self._wanted:
            self.held[index] = _Held(text[:HELD_CHARS], len(text))

    def render(
        self,
        report: dict[str, Any],
        ids: Sequence[Any],
        config: DedupConfig,
        stats: CorpusStats | None,
    ) -> str:
        return render(report, self, ids, config, stats)

    def write(
        self,
        path: Path,
        report: dict[str, Any],
        ids: Sequence[Any],
        config: DedupConfig,
        stats: CorpusStats | None,
    ) -> None:
        path.write_text(self.render(report, ids, config, stats), encoding="utf-8", newline="\n")


# -- text: safe, cut, highlighted ---------------------------------------------------------------

# Lone surrogates cannot be written as UTF-8, and C0/C1 controls (but tab and newline) have no
# business on a page: both are shown as U+FFFD.
_UNSHOWABLE = re.compile("[\ud800-\udfff\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CHUNKS = re.compile(r"\S+|\s+")


def _safe(text: str) -> str:
    return _UNSHOWABLE.sub("\ufffd", text)


def _esc(value: Any, limit: int | None = None) -> str:
    s = _safe(str(value))
    if limit is not None and len(s) > limit:
        s = s[: limit - 1] + "…"
    return html.escape(s, quote=True)


@dataclass(frozen=True)
class _Side:
    chunks: list[str]  # the text as runs of non-space and space
    token_chunk: list[int]  # token -> its chunk
    tokens: list[str]
    hashes: list[set[int]]  # token -> hashes of the shingles covering it
    facts: list[tuple[int, Fact]]  # token index, fact


def _side(text: str, config: DedupConfig) -> _Side:
    norm = config.normalizer
    chunks = _CHUNKS.findall(text)
    toks: list[str] = []
    owner: list[int] = []
    engine = engine_for(1)  # words are short: the engine ``tokens`` picks for them
    for c, chunk in enumerate(chunks):
        if not chunk.isspace():
            for t in tokens_with(chunk, norm, engine):
                toks.append(t)
                owner.append(c)
    sh = config.shingle
    covers: list[set[int]] = [set() for _ in toks]
    if sh.unit == "word":
        units, unit_token = toks, list(range(len(toks)))
    else:
        stream = " ".join(toks)
        units = list(stream)
        unit_token = []
        for i, t in enumerate(toks):
            unit_token.extend([i] * len(t) + ([-1] if i + 1 < len(toks) else []))
    joiner = " " if sh.unit == "word" else ""
    if units:
        for i in range(max(1, len(units) - sh.k + 1)):
            h = shingle_hash(joiner.join(units[i : i + sh.k]), sh.unit)
            for u in range(i, min(i + sh.k, len(units))):
                if unit_token[u] >= 0:
                    covers[unit_token[u]].add(h)
    found = facts(toks, normalizer=norm)
    placed: list[tuple[int, Fact]] = []
    pos = 0
    for f in found:  # facts come in text order, one per token: find each one's token
        while pos < len(toks) and toks[pos] != f.word:
            pos += 1
        if pos < len(toks):
            placed.append((pos, f))
            pos += 1
    return _Side(chunks, owner, toks, covers, placed)


def _fact_marks(mine: _Side, other: _Side) -> dict[int, tuple[str, str]]:
    """Token index -> (css class, title) for each fact of ``mine``: agreeing with the other
    text, conflicting with it (same slot, other value), or only in this text."""
    values = {(f.kind, f.value) for _, f in other.facts}
    slots: dict[tuple[str, str, str], list[str]] = {}
    for _, f in other.facts:
        slots.setdefault((f.kind, f.before, f.after), []).append(f.word)
    out: dict[int, tuple[str, str]] = {}
    for i, f in mine.facts:
        if (f.kind, f.value) in values:
            out[i] = ("fa", f"{f.kind} {f.value}: in both texts")
        elif (f.kind, f.before, f.after) in slots:
            theirs = ", ".join(slots[(f.kind, f.before, f.after)])
            out[i] = ("fc", f"{f.kind} {f.word} differs: the other text has {theirs} here")
        else:
            out[i] = ("fo", f"{f.kind} {f.value}: only in this text")
    return out


def highlight(
    text: str,
    other: str,
    config: DedupConfig,
    stats: CorpusStats | None = None,
    *,
    shown: int = SHOWN_CHARS,
    length: int | None = None,
) -> str:
    """``text`` as escaped HTML, its words marked: ``s`` (in a shingle the other text has
    too), ``bp`` (only in shared shingles common in the corpus, which the comparison ignores),
    and facts ``fa`` (agree), ``fc`` (conflict: the other text has another value in the same
    slot), ``fo`` (only here). Cut after ``shown`` characters with a marker naming what is
    left (``length``: the whole text's length, when ``text`` is already a prefix).

    >>> from arabic_dedup import DedupConfig
    >>> out = highlight("<b>الرحلة الخامسة إلى عدن</b>", "الرحلة السادسة إلى عدن", DedupConfig())
    >>> re.findall(r'class="(\\w+)"', out), out.startswith("&lt;b&gt;")
    (['fc', 's', 'fa'], True)
    """
    mine, theirs = _side(text, config), _side(other, config)
    return _marked(text, mine, theirs, stats, shown=shown, length=length)


def _marked(
    text: str,
    mine: _Side,
    theirs: _Side,
    stats: CorpusStats | None,
    *,
    shown: int = SHOWN_CHARS,
    length: int | None = None,
) -> str:
    """:func:`highlight` on texts already split into sides (each pair splits each text once)."""
    other_hashes: set[int] = set().union(*theirs.hashes) if theirs.hashes else set()
    common: NDArray[np.uint32] | None = None if stats is None else stats.common
    marks = _fact_marks(mine, theirs)
    chunk_class: dict[int, set[str]] = {}
    chunk_title: dict[int, list[str]] = {}
    shared = set().union(*mine.hashes) & other_hashes if mine.hashes else set()
    counted = shared
    if shared and common is not None and common.size:
        arr = np.fromiter(sorted(shared), dtype=np.uint32, count=len(shared))
        counted = set(arr[~np.isin(arr, common)].tolist())
    for t, (covers, c) in enumerate(zip(mine.hashes, mine.token_chunk, strict=True)):
        if covers & shared:
            chunk_class.setdefault(c, set()).add("s" if covers & counted else "bp")
        if t in marks:
            cls, title = marks[t]
            chunk_class.setdefault(c, set()).add(cls)
            chunk_title.setdefault(c, []).append(title)
    out: list[str] = []
    used = 0
    total = len(text) if length is None else length
    for c, chunk in enumerate(mine.chunks):
        if used + len(chunk) > shown and used:  # cut between words, unless the first is long
            break
        piece = chunk[:shown]
        used += len(piece)
        body = _esc(piece)
        classes = chunk_class.get(c)
        if classes and not piece.isspace():
            # a fact mark wins over the shingle marks (one class: simple CSS)
            cls = next((k for k in ("fc", "fo", "fa", "s", "bp") if k in classes), "s")
            titles = chunk_title.get(c)
            attr = f' title="{_esc("; ".join(titles))}"' if titles else ""
            out.append(f'<span class="{cls}"{attr}>{body}</span>')
        else:
            out.append(body)
    if total > used:
        out.append(f'<span class="cut">… [{total - used:,} more characters not shown]</span>')
    return "".join(out)


# -- the page -----------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1200px;padding:0 1em;
color:#1b1b1b;background:#fff;line-height:1.45}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left;
vertical-align:top}th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}
.pair{border:1px solid #ccc;border-radius:6px;margin:1em 0;padding:.6em}
.pair h3{font-size:1em;margin:0 0 .4em}.why{color:#444;font-size:.9em;margin:.2em 0 .6em}
.sides{display:grid;grid-template-columns:1fr 1fr;gap:1em}
.ar{font-size:1.05em;line-height:1.8;white-space:pre-wrap;overflow-wrap:anywhere;
background:#fafafa;padding:.5em;border-radius:4px;text-align:start}
.label{font-size:.85em;color:#555;margin-bottom:.2em}
.s{background:#cfe8ff}.bp{background:#e6e6e6;color:#555}
.fa{background:#d5f5d5;border-bottom:2px solid #2e8b2e}
.fc{background:#ffd2d2;border-bottom:2px solid #c00;font-weight:bold}
.fo{background:#fff0b3;border-bottom:2px dotted #a07800}
.cut{color:#888;font-style:italic}.legend span{padding:0 .3em;margin-right:.6em}
#clusters{width:100%}#clusters td:last-child{width:50%}#clusters .ar{padding:.2em .5em}
.row{display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start}.note{color:#555;font-size:.9em}bdi{font-family:ui-monospace,monospace;white-space:nowrap}
"""

_LEGEND = (
    '<p class="legend"><span class="s">shared shingle</span>'
    '<span class="bp">shared, but common in the corpus (ignored)</span>'
    '<span class="fa">fact in both</span><span class="fc">fact differs in the same slot</span>'
    '<span class="fo">fact only in this text</span></p>'
)


def _svg_histogram(joined: NDArray[np.int64], apart: NDArray[np.int64], threshold: float) -> str:
    w, h, left, bottom, top = 720, 240, 50, 30, 14
    pw, ph = w - left - 10, h - bottom - top
    peak = int(max(1, int((joined + apart).max(initial=0))))
    bw = pw / BINS
    parts = [
        f'<svg width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" role="img" aria-label="histogram of pair similarities">',
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#fcfcfc" stroke="#ccc"/>',
    ]
    for b in range(BINS):
        x = left + b * bw
        y0 = float(top + ph)
        lo, hi = b / BINS, (b + 1) / BINS
        for count, colour, what in ((int(apart[b]), "#9aa4ad", "kept apart"),
                                    (int(joined[b]), "#2f6fb0", "joined")):  # fmt: skip
            if count:
                bh = ph * count / peak
                parts.append(
                    f'<rect x="{x + 0.5:.1f}" y="{y0 - bh:.1f}" width="{bw - 1:.1f}" '
                    f'height="{bh:.1f}" fill="{colour}"><title>{count:,} {what}, similarity '
                    f"{lo:.2f}–{hi:.2f}</title></rect>"
                )
                y0 -= bh
    for t in range(6):
        x = left + pw * t / 5
        parts.append(
            f'<text x="{x:.1f}" y="{h - 10}" font-size="11" text-anchor="middle">{t / 5:.1f}</text>'
        )
    tx = left + pw * threshold
    parts.append(
        f'<line x1="{tx:.1f}" y1="{top - 4}" x2="{tx:.1f}" y2="{top + ph}" stroke="#d00" '
        f'stroke-width="2" stroke-dasharray="5,3"/>'
        f'<text x="{tx + 4:.1f}" y="{top + 10}" font-size="11" fill="#d00">threshold '
        f"{threshold:g}</text>"
        f'<text x="{left - 6}" y="{top + 10}" font-size="11" text-anchor="end">{peak:,}</text>'
        f'<text x="{left - 6}" y="{top + ph}" font-size="11" text-anchor="end">0</text>'
        "</svg>"
    )
    return "".join(parts)


def _num(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else _esc("" if value is None else value)


def _id(ids: Sequence[Any], i: int) -> str:
    return f"<bdi>{_esc(ids[i], ID_CHARS)}</bdi>"


def _pair_html(
    n: int,
    p: _Pair,
    joined: bool,
    b: ReportBuilder,
    ids: Sequence[Any],
    config: DedupConfig,
    stats: CorpusStats | None,
) -> str:
    ha, hb = b.held.get(p.a), b.held.get(p.b)
    head = (
        f"<h3>{'joined' if joined else 'kept apart'} · similarity {p.similarity:.4f} · "
        f"{_id(ids, p.a)} ↔ {_id(ids, p.b)}</h3>"
    )
    if ha is None or hb is None:
        return f'<div class="pair">{head}<p class="note">texts not available</p></div>'
    norm = config.normalizer
    sa, sb = _side(ha.text, config), _side(hb.text, config)
    _, kind, why = explain_pair(
        sa.tokens, sb.tokens, p.similarity,
        threshold=config.cutoff, containment=config.similarity == "containment",
        normalizer=norm,
    )  # fmt: skip
    label_a = "kept" if joined else "first"
    label_b = "duplicate" if joined else "second"
    cols = []
    for label, i, mine, side, other in ((label_a, p.a, ha, sa, sb), (label_b, p.b, hb, sb, sa)):
        body = _marked(mine.text, side, other, stats, length=mine.length)
        cols.append(
            f'<div><div class="label">{label} {_id(ids, i)} · {mine.length:,} characters</div>'
            f'<div class="ar" dir="rtl" lang="ar">{body}</div></div>'
        )
    return (
        f'<div class="pair" id="{"joined" if joined else "apart"}-{n}" data-kind="{kind}">'
        f'{head}<p class="why">facts: {_esc(why)}</p>'
        f'<div class="sides" dir="rtl">{"".join(cols)}</div></div>'
    )


def render(
    report: dict[str, Any],
    b: ReportBuilder,
    ids: Sequence[Any],
    config: DedupConfig,
    stats: CorpusStats | None,
) -> str:
    """The whole page, from ``report.json``'s dict and what ``b`` collected."""
    c = report["counts"]

    def count(v: Any) -> str | None:
        if isinstance(v, int):
            return f"{v:,}"
        if isinstance(v, dict) and all(isinstance(x, int) for x in v.values()):
            return " · ".join(f"{_esc(str(k))} {x:,}" for k, x in v.items())  # e.g. by kind
        return None  # a list or other table in "counts" is not shown here

    rows = "".join(
        f'<tr><th>{_esc(k.replace("_", " "))}</th><td class="n" id="count-{_esc(k)}">{shown}'
        "</td></tr>"
        for k, v in c.items()
        if (shown := count(v)) is not None
    )
    inputs = "".join(
        f"<tr><td><bdi>{_esc(i.get('path', ''), 200)}</bdi></td>"
        f'<td>{_esc(i.get("format", ""))}</td><td class="n">{_num(i.get("records"))}</td>'
        f'<td class="n">{_num(i.get("errors"))}</td></tr>'
        for i in report.get("inputs", [])
    )
    t = config.cutoff
    hist_note = (
        "Joined: the verified pairs at or above the threshold (the ones counted as verified "
        "pairs), and those the boilerplate rescue joined below it. Kept apart: the other LSH "
        "candidates, whose verified similarity was below it."
        if b.verified
        else "Only the joined pairs are shown: the similarities of candidates kept apart "
        "were not recorded in this run."
    )
    giant = " Pairs inside giant LSH buckets are verified while clustering and not shown."
    clusters = "".join(
        f'<tr class="cluster" data-kept="{_esc(ids[k])}"><td>{_id(ids, k)}</td>'
        f'<td class="n">{size:,}</td>'
        f"<td>{', '.join(_id(ids, m) for m in members)}"
        f"{' …' if size - 1 > len(members) else ''}</td>"
        f'<td><div class="ar" dir="rtl" lang="ar">'
        f"{_esc(' '.join(b.held[k].text[:160].split())) if k in b.held else ''}"
        f"{'…' if k in b.held and b.held[k].length > 160 else ''}</div></td></tr>"
        for k, size, members in b.clusters
    )
    joined = "".join(
        _pair_html(n, p, True, b, ids, config, stats) for n, p in enumerate(b.joined, 1)
    )
    if b.verified:
        apart = (
            "".join(
                _pair_html(n, p, False, b, ids, config, stats) for n, p in enumerate(b.apart, 1)
            )
            or '<p class="note">No candidate pair was kept apart.</p>'
        )
    else:
        apart = (
            '<p class="note">Not available: the similarities of candidates kept apart were '
            "not recorded in this run.</p>"
        )
    p = report.get("parameters", {}).get("dedup", {})
    params = (
        f"similarity {_esc(config.similarity)}, threshold {t:g}, shingles of "
        f"{config.shingle.k} {_esc(config.shingle.unit)}s, max_df {_esc(p.get('max_df'))}, "
        f"bands×rows {_esc(p.get('bands'))}×{_esc(p.get('rows'))}, keep "
        f"{_esc(report.get('parameters', {}).get('keep'))}"
    )
    v = report.get("versions", {})
    version = _esc(
        f"arabic-dedup {v.get('arabic_dedup', '?')}, normaliser {v.get('normalizer', '?')}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en" dir="ltr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">"
        f"<title>arabic-dedup review: {int(c.get('duplicates', 0)):,} duplicates</title>"
        f"<style>{_CSS}</style></head><body>\n"
        "<h1>arabic-dedup review</h1>"
        f'<p class="note">{params}. {version}.</p>'
        f'<h2>Summary</h2><div class="row"><table>{rows}</table>'
        "<table><tr><th>input</th><th>format</th><th>records</th>"
        f"<th>errors</th></tr>{inputs}</table></div>\n"
        f'<h2>Pair similarities</h2><figure id="histogram">'
        f"{_svg_histogram(b.joined_hist, b.apart_hist, t)}"
        '<figcaption class="note"><span style="color:#2f6fb0">■</span> joined '
        f'({int(b.joined_hist.sum()):,}) <span style="color:#9aa4ad">■</span> kept apart '
        f"({int(b.apart_hist.sum()):,}). {hist_note}{giant}</figcaption></figure>\n"
        f'<h2>Largest clusters</h2><p class="note">The {len(b.clusters)} largest of '
        f"{int(c.get('clusters', 0)):,} clusters: the kept record, the cluster's size (kept "
        "record included) and its first duplicates.</p>"
        '<table id="clusters"><tr><th>kept</th><th>size</th><th>duplicates</th>'
        f"<th>kept text</th></tr>{clusters}</table>\n"
        f'<h2>Joined, nearest the threshold</h2><p class="note">The {len(b.joined)} '
        "duplicates least similar to the record they were joined to (the decisions most "
        f"worth checking).</p>{_LEGEND}{joined}\n"
        f'<h2>Kept apart, nearest the threshold</h2><p class="note">The {len(b.apart)} '
        "candidate pairs most similar among those verification kept apart (in different "
        f"clusters).</p>{apart}\n"
        "</body></html>\n"
    )
