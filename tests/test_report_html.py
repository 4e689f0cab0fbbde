"""``DIR/report.html``: content, escaping, bounds and determinism, then a real headless Chromium.

The browser tests (marker ``browser``) run Debian's ``chromium`` (``tools/ensure_chromium.sh``;
skipped locally when it is missing, a failure under ``CI``): a screenshot that must not be
blank, and ``--dump-dom`` of the page with a small probe script that records what the browser
computed (text direction, column positions) into the DOM.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _corpus import SEEDS, corpus
from _services import missing_service

from arabic_dedup import DedupConfig
from arabic_dedup._atomic import HTML_FILE
from arabic_dedup._config import DEFAULT_THRESHOLD
from arabic_dedup._io import Source, dedup_files
from arabic_dedup._report_html import MAX_CLUSTERS, MAX_PAIRS, SHOWN_CHARS, ReportBuilder, highlight

# Every LSH candidate at this banding: pairs far below the threshold are verified too, so the
# page has kept-apart pairs to show.
WIDE = DedupConfig(bands=128, rows=1)
HOSTILE_ID = '<img src=x onerror="alert(1)">'
HOSTILE_PREFIX = "</script><script>alert(1)</script> <b>عاجل</b> \ud800 "


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    # ensure_ascii: a lone surrogate is written as its \\ud800 escape (valid JSON).
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def records() -> list[dict[str, Any]]:
    """corpus() plus a hostile copy of a0 (markup in its text and id, a lone surrogate)."""
    out: list[dict[str, Any]] = [{"id": k, "text": t} for k, t in corpus()]
    out.append({"id": HOSTILE_ID, "text": HOSTILE_PREFIX + out[0]["text"]})
    return out


def dedup(tmp_path: Path, recs: list[dict[str, Any]], name: str = "out", **kw: Any) -> Path:
    src = write_jsonl(tmp_path / f"{name}.jsonl", recs)
    out = tmp_path / name
    dedup_files([Source.detect(src)], out, **kw)
    return out


def page_of(out: Path) -> str:
    return (out / HTML_FILE).read_text(encoding="utf-8")


# -- the page's content ------------------------------------------------------------------------


def test_the_page_shows_the_counts_clusters_and_both_sides_of_the_threshold(
    tmp_path: Path,
) -> None:
    out = dedup(tmp_path, records(), config=WIDE)
    page = page_of(out)
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    for key, value in rep["counts"].items():
        if isinstance(value, dict):  # duplicates_by_kind: "exact 1 · near 3"
            shown = " · ".join(f"{k} {v:,}" for k, v in value.items())
        else:
            shown = f"{value:,}"
        assert f'id="count-{key}">{shown}<' in page
    # clusters: a0 (c0, c2 and the hostile copy), a1 (c1), a3 (c3); largest first
    kept = re.findall(r'<tr class="cluster" data-kept="([^"]*)"', page)
    assert kept[:1] == ["a0"] and sorted(kept[1:]) == ["a1", "a3"]
    # the histogram's joined bars are the verified pairs, its kept-apart bars the rest
    joined = re.search(r"joined \(([\d,]+)\)", page)
    assert joined and int(joined.group(1).replace(",", "")) == rep["counts"]["verified_pairs"]
    apart = re.search(r"kept apart \(([\d,]+)\)", page)
    assert apart and int(apart.group(1).replace(",", "")) > 0
    assert 'stroke="#d00"' in page and f"threshold {DEFAULT_THRESHOLD}<" in page
    # joined pairs: each duplicate with its kept record, least similar first, at the threshold
    sims = [float(s) for s in re.findall(r"<h3>joined · similarity ([\d.]+)", page)]
    assert len(sims) == rep["counts"]["duplicates"] and sims == sorted(sims)
    assert min(sims) >= DEFAULT_THRESHOLD
    # kept apart: below the threshold, most similar first, never two records of one cluster
    apart_sims = [float(s) for s in re.findall(r"<h3>kept apart · similarity ([\d.]+)", page)]
    assert apart_sims and apart_sims == sorted(apart_sims, reverse=True) and max(apart_sims) < 0.3
    dups = (out / "duplicates.jsonl").read_text(encoding="utf-8").splitlines()
    dup_of = {r["id"]: r["duplicate_of"] for r in map(json.loads, dups)}
    for a, b in re.findall(r"<h3>kept apart [^<]*<bdi>([^<]*)</bdi> ↔ <bdi>([^<]*)</bdi>", page):
        assert dup_of.get(a, a) != dup_of.get(b, b)
    # each pair is shown right-to-left, the shared text and the facts marked
    assert page.count('<div class="ar" dir="rtl" lang="ar">') >= 2 * (len(sims) + len(apart_sims))
    assert '<span class="s">' in page and 'class="fa"' in page


def test_untrusted_records_render_as_text(tmp_path: Path) -> None:
    page = page_of(dedup(tmp_path, records(), config=WIDE))
    # the hostile copy is a sampled pair (it joins a0), so its text and id are on the page...
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;عاجل&lt;/b&gt;" in page
    assert html_escaped(HOSTILE_ID) in page
    # ...as text only: no element, attribute or URL came from a record
    assert not re.search(r"<(script|img|b|iframe|link|object|embed)\b", page, re.IGNORECASE)
    assert "onerror=" not in page.replace("onerror=&quot;", "")
    assert "\ufffd" in page  # the lone surrogate, which UTF-8 cannot hold
    # and nothing is fetched: no URL, no external resource, a CSP that forbids them
    assert "http" not in page.replace("http-equiv", "")
    assert "default-src 'none'" in page


def html_escaped(s: str) -> str:
    import html

    return html.escape(s, quote=True)


def test_the_page_is_deterministic(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", records())
    pages = []
    for name in ("one", "two"):
        dedup_files([Source.detect(src)], tmp_path / name, config=WIDE)
        pages.append((tmp_path / name / HTML_FILE).read_bytes())
    assert pages[0] == pages[1]


def test_the_page_is_bounded_and_long_texts_are_cut(tmp_path: Path) -> None:
    rng = random.Random(3)
    words = sorted(
        set(" ".join(p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt")).split())
    )
    recs = []
    for c in range(40):  # 40 clusters of 4 long texts (about 12,000 characters each)
        base = [rng.choice(words) for _ in range(2000)]
        for m in range(4):
            text = list(base)
            for _ in range(40 * m):
                text[rng.randrange(len(text))] = rng.choice(words)
            recs.append({"id": f"c{c}m{m}", "text": " ".join(text)})
    out = dedup(tmp_path, recs)
    page = page_of(out)
    assert json.loads((out / "report.json").read_text())["counts"]["clusters"] == 40
    assert page.count('<div class="pair"') == MAX_PAIRS  # no candidate is kept apart here
    assert page.count('<tr class="cluster"') == MAX_CLUSTERS
    assert "more characters not shown]" in page
    shown = re.findall(r'<div class="ar" dir="rtl" lang="ar">(.*?)</div>', page, re.S)
    assert max(len(re.sub(r"<[^>]+>", "", s)) for s in shown) < SHOWN_CHARS + 100
    assert len(page) < 400_000


def test_no_html_leaves_the_page_out(tmp_path: Path) -> None:
    out = dedup(tmp_path, records(), html=False)
    assert not (out / HTML_FILE).exists() and (out / "report.json").exists()
    # an earlier output with the page in it is an output this tool may replace
    out = dedup(tmp_path, records())
    assert (out / HTML_FILE).exists()
    dedup_files([Source.detect(tmp_path / "out.jsonl")], out, html=False)
    assert not (out / HTML_FILE).exists()


def test_the_command_writes_the_page_unless_told_not_to(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "arabic-dedup"
    if not exe.exists():
        pytest.skip("the arabic-dedup command is not installed")
    src = write_jsonl(tmp_path / "in.jsonl", records())
    for flags, written in (([], True), (["--no-html"], False)):
        res = subprocess.run(
            [str(exe), "dedup", str(src), "--out", str(tmp_path / "out"), "-q", *flags],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert res.returncode == 0, res.stderr
        assert (tmp_path / "out" / HTML_FILE).exists() is written


def test_the_docs_state_the_bounds() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text(encoding="utf-8")
    bounds = f"{MAX_PAIRS} pairs a side, {MAX_CLUSTERS} clusters, texts cut after {SHOWN_CHARS:,}"
    assert bounds in " ".join(doc.split())
    assert (Path(__file__).resolve().parents[1] / "docs" / "images" / "report.png").is_file()


def test_an_empty_run_and_unexpected_report_fields_still_render(tmp_path: Path) -> None:
    page = ReportBuilder().render(
        {"counts": {"records_read": 0, "listed": ["x"]}, "inputs": [{"path": "<in>"}]},
        [],
        DedupConfig(),
        None,
    )
    assert 'id="count-records_read">0<' in page and "count-listed" not in page
    assert "&lt;in&gt;" in page and "No candidate pair was kept apart" not in page
    out = dedup(tmp_path, [{"id": "e", "text": "   "}, {"id": "f", "text": ""}])
    assert "No candidate pair was kept apart." in page_of(out)


def test_kept_apart_pairs_are_the_closest_rejected_ones_in_different_clusters() -> None:
    b = ReportBuilder()
    pairs = np.array([[0, 1], [1, 2], [2, 3], [0, 3]], dtype=np.int64)
    sims = np.array([0.29, 0.28, 0.5, 0.1])
    ok = sims >= 0.3
    b.on_verify(pairs, sims, ok, np.arange(4, dtype=np.int64))
    b.add_joined(sims[ok])
    rep = np.array([0, 0, 2, 2], dtype=np.int64)  # 1 joined 0 through another pair
    wanted = b.choose(rep, np.array([1.0, 0.35, 1.0, 0.5]))
    assert [(p.a, p.b, p.similarity) for p in b.apart] == [(1, 2, 0.28), (0, 3, 0.1)]
    assert [(p.a, p.b) for p in b.joined] == [(0, 1), (2, 3)]  # least similar first
    assert wanted == {0, 1, 2, 3}
    assert int(b.apart_hist.sum()) == 3 and int(b.joined_hist[25]) == 1  # 0.5 in bin 25


def test_highlight_marks_shared_words_and_differing_facts() -> None:
    a = "وصلت الطائرة الخامسة إلى مطار عدن تحمل 12 طنا من المساعدات"
    b = "وصلت الطائرة السادسة إلى مطار عدن تحمل 11 طنا من الأدوية"
    out = highlight(a, b, DedupConfig())
    marked = {w: c for c, w in re.findall(r'<span class="(\w+)"[^>]*>([^<]*)</span>', out)}
    assert marked["الخامسة"] == "fc" and marked["12"] == "fc"  # same slot, other value
    assert marked["عدن"] == "fa"  # the same place in both
    assert marked["مطار"] == "s" and marked["وصلت"] == "s"  # in shared word pairs
    assert "المساعدات" not in marked  # only in this text, in no shared shingle
    assert re.sub(r"<[^>]+>", "", out) == a  # nothing added or lost


# -- a real headless Chromium --------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        missing_service("the browser tests need Chromium: run tools/ensure_chromium.sh")
    return exe


def run_chromium(exe: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [
        exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp / 'profile'}", *args,
    ]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=True)


def png_pixels(path: Path) -> tuple[int, int, np.ndarray]:
    """Decode an 8-bit RGB/RGBA PNG (what Chromium writes) with the standard library."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        (size,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + size]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + size
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    prev = bytes(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]
        if f == 0:
            row = line
        elif f == 2:  # up: vectorised
            row = ((np.frombuffer(line, np.uint8) + np.frombuffer(prev, np.uint8)) & 0xFF).tobytes()
        elif f == 1:  # sub: a running sum per channel
            sub = np.frombuffer(line, np.uint8).reshape(width, channels).astype(np.int64)
            row = (np.cumsum(sub, axis=0) & 0xFF).astype(np.uint8).tobytes()
        else:  # average and Paeth: byte by byte
            out = bytearray(stride)
            for x in range(stride):
                a = out[x - channels] if x >= channels else 0
                b = prev[x]
                c = prev[x - channels] if x >= channels else 0
                if f == 3:
                    pred = (a + b) // 2
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                out[x] = (line[x] + pred) & 0xFF
            row = bytes(out)
        rows.append(row)
        prev = row
    px = np.frombuffer(b"".join(rows), np.uint8).reshape(height, width, channels)
    return width, height, px


# Written into a copy of the page (the page itself has no script, and its CSP forbids one):
# records what the browser computed for each Arabic block and pair.
PROBE = """<script>
const ar = [...document.querySelectorAll('.ar')];
const pairs = [...document.querySelectorAll('.pair .sides')].map(s => {
  const [first, second] = s.children;
  return first.getBoundingClientRect().left > second.getBoundingClientRect().left;
});
const out = document.createElement('pre');
out.id = 'probe';
out.textContent = JSON.stringify({
  directions: ar.map(e => getComputedStyle(e).direction),
  first_on_the_right: pairs,
  scripts: document.scripts.length,
  svg_width: document.querySelector('#histogram svg').getBoundingClientRect().width,
});
document.body.appendChild(out);
</script>"""


@pytest.mark.browser
def test_chromium_renders_the_page_right_to_left(tmp_path: Path, chromium: str) -> None:
    out = dedup(tmp_path, records(), config=WIDE)
    page = page_of(out)
    n_pairs = page.count('<div class="pair"')
    probe = tmp_path / "probe.html"
    probe.write_text(
        re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page).replace(
            "</body>", PROBE + "</body>"
        ),
        encoding="utf-8",
    )
    dom = run_chromium(chromium, tmp_path, "--dump-dom", probe.as_uri()).stdout
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    got = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert got["directions"] and set(got["directions"]) == {"rtl"}
    assert len(got["first_on_the_right"]) == n_pairs and all(got["first_on_the_right"])
    assert got["scripts"] == 1  # the probe: "</script><script>" in a record made no element
    assert got["svg_width"] > 600
    # the DOM has the counts and the clusters the run reported
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert f'id="count-verified_pairs">{rep["counts"]["verified_pairs"]:,}<' in dom
    for kept in ("a0", "a1", "a3"):
        assert f'data-kept="{kept}"' in dom
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in dom


@pytest.mark.browser
def test_chromium_screenshot_is_not_blank(tmp_path: Path, chromium: str) -> None:
    out = dedup(tmp_path, records(), config=WIDE)
    shot = tmp_path / "shot.png"
    run_chromium(
        chromium, tmp_path, f"--screenshot={shot}", "--window-size=900,1200",
        (out / HTML_FILE).as_uri(),
    )  # fmt: skip
    width, height, px = png_pixels(shot)
    assert (width, height) == (900, 1200)
    rgb = px[:, :, :3].astype(np.float64)
    assert rgb.std() > 20  # a blank (all white or one colour) page has ~0
    # the histogram is drawn: its joined bars' blue and the threshold line's red are on screen
    for colour in ((0x2F, 0x6F, 0xB0), (0xDD, 0x00, 0x00)):
        pixels = int((np.abs(rgb - np.array(colour)).sum(axis=2) < 24).sum())
        assert pixels > 150, colour  # measured: 814 blue, 278 red


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
