"""The fact check's word lists: ordinals, cardinals, month and weekday names, places, and the
letters glued to them. Data only (like ``_chardata``); :mod:`._facts` builds its lexicon from
them, normalised with the caller's ``NormalizerConfig``.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "APPROX_HEADS", "APPROX_TAILS", "APPROX_WORDS", "CARDINALS", "DATES", "DATE_SUFFIXES",
    "GROUP_DIGITS", "HOUR_WORDS", "ORDINALS", "PLACES", "PREFIXES",
]  # fmt: skip

# Calendar letters glued after a year or day (هـ Hijri, م Gregorian; tatweel is normalised away).
DATE_SUFFIXES: Final = ("ه", "م")
# One-letter prefixes glued to a word (and, with, for, then, like): stripped to find a fact.
PREFIXES: Final = ("و", "ب", "ل", "ف", "ك")
# A token of exactly this many digits right after a number continues it: the tokeniser splits
# 12,794 and 15.541 at the separator, and the figure is 12794, not 12 beside 794.
GROUP_DIGITS: Final = 3
# The word before a clock time (at ... o'clock): an hour 13..24 after it reads as the same hour
# of a 12-hour clock, so that 16:00 and 4:00 (عصرا) agree.
HOUR_WORDS: Final = ("الساعة",)
# Words that make the figure after them an approximation: one word (نحو 12, حوالي 12), or a head
# and a tail (أكثر من 12, ما يزيد على 12). Outlets round such figures their own way (لأكثر من
# 1300 حالة / لأكثر من 1343 حالة, one week's clinic report), so an approximate figure never
# conflicts with another; it still agrees with an equal one. Heads and single words may carry
# a glued prefix (لأكثر); tails are plain.
APPROX_WORDS: Final = ("نحو", "حوالي", "حوالى", "قرابة", "زهاء", "يقارب", "يناهز", "ينيف")
APPROX_HEADS: Final = ("أكثر", "أقل", "يزيد", "يربو", "يقرب")
APPROX_TAILS: Final = ("من", "عن", "على")

# --- tables, in ordinary spelling; normalised with the caller's NormalizerConfig on use --------
ORDINALS: Final[dict[int, tuple[str, ...]]] = {
    1: ("الأول", "الأولى", "أول", "أولى"),
    2: ("الثاني", "الثانية", "ثاني", "ثانية"),
    3: ("الثالث", "الثالثة", "ثالث", "ثالثة"),
    4: ("الرابع", "الرابعة", "رابع", "رابعة"),
    5: ("الخامس", "الخامسة", "خامس", "خامسة"),
    6: ("السادس", "السادسة", "سادس", "سادسة"),
    7: ("السابع", "السابعة", "سابع", "سابعة"),
    8: ("الثامن", "الثامنة", "ثامن", "ثامنة"),
    9: ("التاسع", "التاسعة", "تاسع", "تاسعة"),
    10: ("العاشر", "العاشرة", "عاشر", "عاشرة"),
}
# Scale words (مائة, ألف, مليون) are multipliers, not facts: they are not listed.
CARDINALS: Final[dict[int, tuple[str, ...]]] = {
    1: ("واحد", "واحدة"),
    2: ("اثنان", "اثنين", "اثنتان", "اثنتين"),
    3: ("ثلاث", "ثلاثة"),
    4: ("أربع", "أربعة"),
    5: ("خمسة",),
    6: ("ستة",),
    7: ("سبع", "سبعة"),
    8: ("ثماني", "ثمانية"),
    9: ("تسع", "تسعة"),
    10: ("عشرة",),
    20: ("عشرون", "عشرين"),
    30: ("ثلاثون", "ثلاثين"),
    40: ("أربعون", "أربعين"),
    50: ("خمسون", "خمسين"),
    60: ("ستون", "ستين"),
    70: ("سبعون", "سبعين"),
    80: ("ثمانون", "ثمانين"),
    90: ("تسعون", "تسعين"),
}
# Words that are also common nouns are left out of the places (الخبر "the news", الوجه "the
# face", مالي "financial", المدينة "the city", الشرقية "eastern"), and so are names made of
# common words (خميس مشيط, رام الله); صفر ("zero") is left out of the months.
# Months by number (Gregorian, Levantine, Hijri as h1..h12) and weekdays (d1 = Sunday).
DATES: Final[dict[str, tuple[str, ...]]] = {
    "m1": ("يناير",),
    "m2": ("فبراير", "شباط"),
    "m3": ("مارس", "آذار"),
    "m4": ("أبريل", "إبريل", "نيسان"),
    "m5": ("مايو", "أيار"),
    "m6": ("يونيو", "حزيران"),
    "m7": ("يوليو", "تموز"),
    "m8": ("أغسطس",),
    "m9": ("سبتمبر", "أيلول"),
    "m10": ("أكتوبر",),
    "m11": ("نوفمبر",),
    "m12": ("ديسمبر",),
    "h1": ("محرم",),
    "h7": ("رجب",),
    "h8": ("شعبان",),
    "h9": ("رمضان",),
    "h10": ("شوال",),
    "h11": ("القعدة",),
    "h12": ("الحجة",),
    "d1": ("الأحد",),
    "d2": ("الاثنين", "الإثنين"),
    "d3": ("الثلاثاء",),
    "d4": ("الأربعاء",),
    "d5": ("الخميس",),
    "d6": ("الجمعة",),
    "d7": ("السبت",),
}
# Places; spellings of one place are joined by "|" (the first is its value).
PLACES: Final[str] = """
السعودية مصر الأردن سوريا|سورية لبنان العراق الكويت البحرين قطر الإمارات عمان اليمن فلسطين
ليبيا تونس الجزائر المغرب موريتانيا السودان الصومال جيبوتي إيران تركيا باكستان أفغانستان
الهند الصين اليابان كوريا روسيا أوكرانيا فرنسا ألمانيا بريطانيا إيطاليا إسبانيا البرتغال
اليونان هولندا بلجيكا سويسرا النمسا السويد النرويج الدنمارك فنلندا بولندا أمريكا|أميركا كندا
المكسيك البرازيل الأرجنتين كولومبيا فنزويلا بوليفيا تشيلي بيرو الإكوادور كوبا الأوروغواي
باراغواي النيجر نيجيريا تشاد السنغال إثيوبيا إريتريا كينيا أوغندا تنزانيا الكونغو
الكاميرون غانا غينيا رواندا بوروندي زامبيا زيمبابوي موزمبيق أنغولا مدغشقر ماليزيا
إندونيسيا الفلبين تايلاند سنغافورة بنغلاديش سريلانكا المالديف نيبال ميانمار فيتنام كمبوديا
كازاخستان أوزبكستان طاجيكستان قيرغيزستان تركمانستان أذربيجان أرمينيا جورجيا الشيشان
البوسنة صربيا كرواتيا ألبانيا مقدونيا بلغاريا رومانيا المجر التشيك سلوفاكيا سلوفينيا
أستراليا نيوزيلندا إيرلندا آيسلندا قبرص مالطا
الرياض جدة مكة|المكرمة الدمام الظهران الأحساء القطيف الجبيل الطائف أبها جازان|جيزان نجران
الباحة تبوك حائل الجوف سكاكا عرعر القصيم بريدة عنيزة عسير القريات رفحاء شرورة الخرج
المجمعة الدوادمي بيشة القنفذة رابغ العلا ضباء أملج تيماء الزلفي الرس البكيرية الدرعية صبيا
أبوعريش محايل النماص القويعية
عدن صنعاء تعز مأرب لحج أبين الضالع حضرموت شبوة صعدة الحديدة المكلا ذمار
القاهرة الإسكندرية بغداد الموصل الأنبار الفلوجة الرمادي تكريت البصرة كركوك أربيل دمشق حلب
حمص حماة إدلب درعا الرقة اللاذقية بيروت طرابلس بنغازي الدوحة أبوظبي دبي الشارقة المنامة
مسقط طهران أنقرة إسطنبول القدس غزة لندن باريس واشنطن نيويورك موسكو بكين برلين روما جنيف
فيينا بروكسل مدريد
"""
