#!/usr/bin/env python3
"""Draw a stratified sample of article pairs from SaudiNewsNet (July 2015) for hand labelling.

Standard library only, deterministic (fixed seed, every random choice is made over sorted lists),
re-runnable.  It writes ids, band names and similarity figures only -- never article text (the
corpus licence, CC BY-NC-SA 4.0, keeps the text out of this repository).

    python3 benchmarks/labelling/sample_pairs.py \
        --data /work/shared/data/saudinewsnet/saudinewsnet.jsonl.gz \
        --out benchmarks/labelling/sampled_pairs.jsonl

The normalisation below is a rough one, for sampling only; it is *not* the library's normaliser.

Method
------
1. Keep articles whose ``date`` starts with ``2015-07`` and that have >= MIN_SHINGLES word
   5-shingles after normalisation.
2. Candidate pairs: inverted index shingle -> articles; shingles found in more than DF_CAP
   articles are ignored for candidate generation (boilerplate); pairs that share >= MIN_SHARED
   of the remaining shingles are candidates, and for those the exact Jaccard and containment
   (|A & B| / min(|A|, |B|)) over the *full* shingle sets are computed.
3. Every candidate is put in one band (first rule that matches):
     exact        identical normalised token sequence
     contain      Jaccard < 0.5 and containment >= 0.6   (truncated / extended copies)
     j90..j05     Jaccard in [0.9,1], [0.7,0.9), [0.5,0.7), [0.3,0.5), [0.15,0.3), [0.05,0.15)
   Three extra bands are built separately:
     template     both articles' titles match the same template family (cables, weather,
                  market reports, royal orders, relief flights, sermons, ...); all pairs inside a
                  family are scored exactly; identical texts and Jaccard >= 0.9 are left out.
     title_lowj   Jaccard < 0.05 but the titles share >= 3 content words, published <= 2 days
                  apart (REWRITE candidates).
     outlet_day   Jaccard < 0.05, same outlet, same day (DIFFERENT candidates).
   Second round (drawn after the bands above, so the first-round draw is unchanged):
     template_hi  template-family pairs published on different days with Jaccard >= 0.3
                  (hard negatives: the same formula with high overlap, about a different day/event).
     title_lowj_x more cross-outlet pairs from the title_lowj population (REWRITE candidates).
4. From every band a fixed number of pairs is drawn; about 75 % cross-outlet; an article appears
   in at most MAX_USES sampled pairs overall, so big syndication clusters do not dominate.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import random
import re
import sys
from collections import Counter, defaultdict

SEED = 20150721
MIN_SHINGLES = 15
DF_CAP = 60
MIN_SHARED = 3
MAX_USES = 2
SAME_OUTLET_SHARE = 0.25

# band name -> number of pairs to draw
QUOTAS = {
    "exact": 8,
    "j90": 30,
    "j70": 30,
    "j50": 28,
    "j30": 25,
    "j15": 22,
    "j05": 18,
    "contain": 32,
    "template": 40,
    "title_lowj": 15,
    "outlet_day": 8,
    # second round, added after the first 256 pairs were labelled (drawn after all bands above,
    # so the first round is unchanged): hard negatives and more rewrites
    "template_hi": 14,
    "title_lowj_x": 10,
}
BAND_ORDER = list(QUOTAS)

_DIACRITICS = re.compile("[\u064b-\u065f\u0670\u0640]")
_FOLD = str.maketrans(
    {
        "\u0623": "\u0627",
        "\u0625": "\u0627",
        "\u0622": "\u0627",
        "\u0671": "\u0627",  # أإآٱ -> ا
        "\u0649": "\u064a",  # ى -> ي
        "\u0629": "\u0647",  # ة -> ه
        "\u0624": "\u0621",
        "\u0626": "\u0621",  # ؤ ئ -> ء
        **{chr(0x0660 + i): str(i) for i in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + i): str(i) for i in range(10)},  # Extended (Persian) digits
    }
)
_SPLIT = re.compile(r"\W+")


def tokens(text: str) -> list[str]:
    text = _DIACRITICS.sub("", text).translate(_FOLD).lower()
    return [t for t in _SPLIT.split(text) if t]


def shingles(toks: list[str], k: int = 5) -> set[str]:
    return {" ".join(toks[i : i + k]) for i in range(len(toks) - k + 1)}


# Template families: a family matches if any of its (normalised) phrases occurs in the title.
TEMPLATE_FAMILIES = {
    "cable": ["برقيه تهنءه", "برقيه عزاء", "برقيه تعزيه", "يعزي", "يهنء", "برقيتي", "برقيه"],
    "weather": ["الارصاد", "حاله الطقس", "الطقس", "امطار", "رياح", "الغبار", "درجات الحراره"],
    "market": ["سوق الأسهم", "الأسهم", "مؤشر", "تاسي", "البورصة", "الأسواق"],
    "royal_order": ["امر ملكي", "اوامر ملكيه", "امرا ملكيا"],
    "relief": ["الاغاثه", "اغاثه", "جسر جوي", "مساعدات", "طاءره"],
    "sermon": [
        "خطبه الجمعه",
        "امام وخطيب",
        "خطيب",
        "الحرم المكي",
        "المسجد الحرام",
        "المسجد النبوي",
    ],
    "statement": ["بيان", "المتحدث الامني", "متحدث", "الداخليه"],
    "exchange": ["اسعار الصرف", "الدولار", "الذهب", "النفط", "برنت"],
    "killed": ["استشهاد", "شهيد", "مقتل"],
}
STOP = set(
    tokens(
        "في من على الى إلى عن مع ان أن إن هذا هذه التي الذي و او أو ما لا لم قد كان بعد قبل خلال "
        "بين عند حتى ثم كل غير يوم اليوم امس أمس السعودية المملكة"
    )
)


def read_articles(path: str) -> list[dict]:
    arts = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            o = json.loads(line)
            if not o["date"].startswith("2015-07"):
                continue
            toks = tokens(o["text"])
            sh = shingles(toks)
            if len(sh) < MIN_SHINGLES:
                continue
            arts.append(
                {
                    "id": o["id"],
                    "group": o["group"],
                    "day": o["date"][:10],
                    "title_toks": tokens(o["title"]),
                    "norm": " ".join(toks),
                    "sh": sh,
                }
            )
    arts.sort(key=lambda a: (a["day"], int(a["id"].split("#")[1]), a["id"]))
    return arts


def sim(a: set, b: set) -> tuple[float, float]:
    inter = len(a & b)
    return inter / len(a | b), inter / min(len(a), len(b))


def band_of(same_text: bool, j: float, c: float) -> str | None:
    if same_text:
        return "exact"
    if j < 0.5 and c >= 0.6:
        return "contain"
    for name, lo in (
        ("j90", 0.9),
        ("j70", 0.7),
        ("j50", 0.5),
        ("j30", 0.3),
        ("j15", 0.15),
        ("j05", 0.05),
    ):
        if j >= lo:
            return name
    return None


_FAMILY_NORM = {f: [" ".join(tokens(p)) for p in ps] for f, ps in TEMPLATE_FAMILIES.items()}


def family_of(title_norm: str) -> str | None:
    for fam, phrases in _FAMILY_NORM.items():
        if any(p in title_norm for p in phrases):
            return fam
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="/work/shared/data/saudinewsnet/saudinewsnet.jsonl.gz")
    ap.add_argument("--out", default="benchmarks/labelling/sampled_pairs.jsonl")
    args = ap.parse_args(argv)

    arts = read_articles(args.data)
    n = len(arts)
    print(f"articles (July 2015, >= {MIN_SHINGLES} shingles): {n}", file=sys.stderr)

    # ---- candidate generation: inverted index with a document-frequency cap ----------------
    index: dict[str, list[int]] = defaultdict(list)
    for i, a in enumerate(arts):
        for s in a["sh"]:
            index[s].append(i)
    shared: Counter = Counter()
    for posting in index.values():
        if 2 <= len(posting) <= DF_CAP:
            for p in itertools.combinations(posting, 2):
                shared[p] += 1
    del index
    pairs: dict[tuple[int, int], tuple[float, float]] = {}
    bands: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for (i, k), cnt in shared.items():
        if cnt < MIN_SHARED:
            continue
        j, c = sim(arts[i]["sh"], arts[k]["sh"])
        pairs[(i, k)] = (j, c)
        b = band_of(arts[i]["norm"] == arts[k]["norm"], j, c)
        if b:
            bands[b].append((i, k))
    del shared
    print(f"candidate pairs: {len(pairs)}", file=sys.stderr)

    def score(i: int, k: int) -> tuple[float, float]:
        if (i, k) not in pairs:
            pairs[(i, k)] = sim(arts[i]["sh"], arts[k]["sh"])
        return pairs[(i, k)]

    # ---- template band: pairs inside a title keyword family ------------------------------------
    fams: dict[str, list[int]] = defaultdict(list)
    for i, a in enumerate(arts):
        f = family_of(" ".join(a["title_toks"]))
        if f:
            fams[f].append(i)
    fam_of_pair: dict[tuple[int, int], str] = {}
    for f in sorted(fams):
        members = fams[f]
        for i, k in itertools.combinations(members, 2):
            if arts[i]["norm"] == arts[k]["norm"]:
                continue
            j, c = score(i, k)
            # the formula must be visible in the text: some overlap, but not a near-copy
            if 0.08 <= j < 0.9 and c < 0.9:
                bands["template"].append((i, k))
                fam_of_pair[(i, k)] = f
    print(
        "template families: " + ", ".join(f"{f}={len(m)}" for f, m in sorted(fams.items())),
        file=sys.stderr,
    )

    # ---- low-Jaccard bands -------------------------------------------------------------------
    tindex: dict[str, list[int]] = defaultdict(list)
    for i, a in enumerate(arts):
        for t in set(a["title_toks"]):
            if len(t) > 2 and t not in STOP and not t.isdigit():
                tindex[t].append(i)
    tshared: Counter = Counter()
    for posting in tindex.values():
        if len(posting) <= 100:
            for p in itertools.combinations(posting, 2):
                tshared[p] += 1
    from datetime import date

    def dnum(s: str) -> int:
        return date.fromisoformat(s).toordinal()

    for (i, k), cnt in sorted(tshared.items()):
        if cnt >= 3 and abs(dnum(arts[i]["day"]) - dnum(arts[k]["day"])) <= 2:
            j, _ = score(i, k)
            if j < 0.05:
                bands["title_lowj"].append((i, k))
    rng_od = random.Random(SEED + 1)
    by_outlet_day: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, a in enumerate(arts):
        by_outlet_day[(a["group"], a["day"])].append(i)
    for key in sorted(by_outlet_day):
        members = by_outlet_day[key]
        if len(members) < 2:
            continue
        for _ in range(3):
            i, k = sorted(rng_od.sample(members, 2))
            j, _ = score(i, k)
            if j < 0.05 and (i, k) not in bands["outlet_day"]:
                bands["outlet_day"].append((i, k))

    bands["template_hi"] = [
        p
        for p in bands["template"]
        if arts[p[0]]["day"] != arts[p[1]]["day"] and pairs[p][0] >= 0.3
    ]
    bands["title_lowj_x"] = [
        p for p in bands["title_lowj"] if arts[p[0]]["group"] != arts[p[1]]["group"]
    ]

    for b in BAND_ORDER:
        pop = bands[b]
        cross = sum(arts[i]["group"] != arts[k]["group"] for i, k in pop)
        print(f"band {b:11s} population {len(pop):7d}  cross-outlet {cross:7d}", file=sys.stderr)

    # ---- stratified draw -----------------------------------------------------------------------
    rng = random.Random(SEED)
    uses: Counter = Counter()
    chosen: list[dict] = []
    seen: set[tuple[int, int]] = set()
    for b in BAND_ORDER:
        quota = QUOTAS[b]
        pop = sorted(set(bands[b]))
        rng.shuffle(pop)
        if b in ("template", "template_hi"):
            # round-robin over families so every template kind is represented
            per_fam: dict[str, list] = defaultdict(list)
            for p in pop:
                per_fam[fam_of_pair[p]].append(p)
            order = []
            for tup in itertools.zip_longest(*[per_fam[f] for f in sorted(per_fam)]):
                order.extend(p for p in tup if p is not None)
            pop = order
            want_same = quota  # no outlet preference for templates
        elif b in ("outlet_day", "template_hi"):
            want_same = quota
        else:
            want_same = round(quota * SAME_OUTLET_SHARE)
        n_same = 0
        taken = []
        for p in pop:
            if len(taken) >= quota:
                break
            i, k = p
            if p in seen or uses[i] >= MAX_USES or uses[k] >= MAX_USES:
                continue
            same = arts[i]["group"] == arts[k]["group"]
            if same and n_same >= want_same:
                continue
            if (
                not same
                and b not in ("template", "template_hi", "outlet_day")
                and (len(taken) - n_same) >= quota - want_same
            ):
                continue
            taken.append(p)
            n_same += same
            seen.add(p)
            uses[i] += 1
            uses[k] += 1
        if len(taken) < quota:  # fill up ignoring the outlet split
            for p in pop:
                if len(taken) >= quota:
                    break
                i, k = p
                if p in seen or uses[i] >= MAX_USES or uses[k] >= MAX_USES:
                    continue
                taken.append(p)
                seen.add(p)
                uses[i] += 1
                uses[k] += 1
        for i, k in taken:
            j, c = score(i, k)
            rec = {
                "a": arts[i]["id"],
                "b": arts[k]["id"],
                "band": b,
                "jaccard_w5": round(j, 3),
                "containment_w5": round(c, 3),
                "group_a": arts[i]["group"],
                "group_b": arts[k]["group"],
            }
            if b in ("template", "template_hi"):
                rec["family"] = fam_of_pair[(i, k)]
            chosen.append(rec)
        print(f"drew {len(taken):3d} from {b}", file=sys.stderr)

    with open(args.out, "w", encoding="utf-8") as fh:
        for rec in chosen:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print(f"wrote {len(chosen)} pairs to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
