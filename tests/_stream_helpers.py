"""Synthetic news streams for the Deduplicator / store tests (seeded, self-contained)."""

from __future__ import annotations

import random

from arabic_dedup.testing import syndicate

_WORDS = (
    "أعلنت وزارة الصحة اليوم عن افتتاح مستشفى جديد في مدينة الرياض بسعة مئتي سرير "
    "وقال المتحدث الرسمي إن المشروع يأتي ضمن خطة تطوير الخدمات الصحية في المملكة "
    "هطلت أمطار غزيرة على مدينة جدة مساء أمس وتسببت في إغلاق عدد من الطرق الرئيسية "
    "أكد مجلس الوزراء خلال جلسته الأسبوعية أهمية دعم المشاريع الصغيرة والمتوسطة "
    "شهدت الأسواق المالية ارتفاعا ملحوظا في تداولات الأسهم بعد إعلان النتائج الفصلية "
    "افتتح أمير المنطقة الشرقية معرض الكتاب الدولي بمشاركة أكثر من خمسمئة دار نشر "
    "نفذت فرق الدفاع المدني عمليات إنقاذ واسعة في الأودية بعد السيول الجارفة "
    "وقعت الجامعة اتفاقية تعاون مع شركة تقنية عالمية لتدريب الطلاب على الذكاء الاصطناعي"
).split()
TRANSFORM_SETS = (
    ["prefix"],
    ["footer", "alef_maksura"],
    ["hamza_drop", "teh_marbuta"],
    ["prefix", "kashida"],
    ["drop_sentence"],
    ["diacritics", "footer"],
)


def base_text(rng: random.Random, n_sentences: int = 6) -> str:
    sents = []
    for _ in range(n_sentences):
        words = [rng.choice(_WORDS) for _ in range(rng.randint(9, 15))]
        sents.append(" ".join(words) + ".")
    return " ".join(sents)


def news_stream(n: int = 200, seed: int = 7) -> list[tuple[str, str]]:
    """``n`` (key, text) items: about 40% new articles, the rest syndicated copies of them."""
    rng = random.Random(seed)
    bases: list[str] = []
    out: list[tuple[str, str]] = []
    for i in range(n):
        if not bases or rng.random() < 0.4:
            bases.append(base_text(rng))
            text = bases[-1]
        else:
            text = syndicate(rng.choice(bases), rng.choice(TRANSFORM_SETS), rng=rng)
        out.append((f"doc-{i:05d}", text))
    return out
