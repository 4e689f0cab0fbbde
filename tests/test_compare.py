"""``arabic-dedup compare``: the verdict as the exit code, JSON output, and the same eyes as
``dedup`` when given the corpus statistics of a run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

import arabic_dedup as ad
from arabic_dedup._atomic import STATS_FILE
from arabic_dedup.cli import main

FORMULA = (
    "توقعت الهيئة العامة للأرصاد وحماية البيئة في نشرتها الجوية الصادرة صباح اليوم أن تكون "
    "الأجواء حارة على معظم مناطق المملكة مع نشاط في الرياح السطحية المثيرة للأتربة والغبار"
)
A = FORMULA + (
    " على منطقة الرياض وتبلغ الحرارة العظمى 46 درجة وأعلنت البلدية إغلاق الحدائق العامة"
    " في ساعات الظهيرة حتى نهاية الأسبوع"
)
B = FORMULA + (
    " على منطقة تبوك وتبلغ الحرارة العظمى 41 درجة ونصح الدفاع المدني السكان بتجنب"
    " الرحلات البرية وحمل المياه الكافية"
)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "arabic_dedup", "compare", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_exit_code_is_the_verdict_and_json_says_why() -> None:
    same = run("--text", "--json", A, A)
    assert same.returncode == 0, same.stderr
    rep = json.loads(same.stdout)
    assert rep["verdict"] == "duplicates" and rep["jaccard"] == 1.0
    other = run("--text", "--json", A, "هطلت أمطار غزيرة على مدينة جدة مساء أمس")
    assert other.returncode == 1, other.stderr
    assert json.loads(other.stdout)["verdict"] == "not duplicates"


def test_unreadable_input_is_an_error_not_a_verdict(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe not utf-8")
    res = run(str(bad), str(bad))
    assert res.returncode == 2
    assert "invalid UTF-8" in res.stderr and "Traceback" not in res.stderr


def test_without_stats_it_says_so_and_the_fact_check_names_the_facts() -> None:
    res = run("--text", A, B)
    assert "no corpus statistics" in res.stdout
    assert ("facts differ" in res.stdout and "46 vs 41" in res.stdout) or "41 vs 46" in res.stdout


def test_with_a_runs_statistics_compare_judges_as_dedup_did(tmp_path: Path) -> None:
    # A corpus where the bulletin formula is in every text: with its statistics the formula is
    # boilerplate, so the two bulletins are not duplicates; without them they are.
    rng = np.random.default_rng(0)
    words = ["خبر", "جديد", "مدينة", "وزارة", "مشروع", "طريق", "سوق", "ملعب", "جامعة", "شركة"]
    corpus = [
        FORMULA + " " + " ".join(rng.choice(words, 12).tolist()) + f" رقم {i}" for i in range(40)
    ]
    config = ad.DedupConfig(max_df=5)
    sets = config.hasher().shingle_sets(corpus)
    assert config.boilerplate is not None
    _, stats = config.boilerplate.apply_with_stats(sets)
    stats.save(tmp_path / STATS_FILE, config.stats_params())

    # The wording alone (--facts off): the statistics decide.
    without = run("--text", "--json", "--facts", "off", A, B)
    assert json.loads(without.stdout)["verdict"] == "duplicates"
    with_stats = run("--text", "--json", "--facts", "off", "--stats", str(tmp_path), A, B)
    rep = json.loads(with_stats.stdout)
    assert with_stats.returncode == 1, with_stats.stderr
    assert rep["verdict"] == "not duplicates"
    assert rep["corpus_stats"]["documents"] == 40
    assert rep["a"]["boilerplate_shingles"] > 0

    # By default the fact check sees the template without any statistics: 46 vs 41 degrees,
    # الرياض vs تبوك in the formula's slots.
    default = json.loads(run("--text", "--json", A, B).stdout)
    assert default["verdict"] == "not duplicates" and default["facts"]["kind"] == "template"

    # Statistics made with other hashing settings are refused, saying which.
    res = run("--text", "--stats", str(tmp_path), "--k", "3", A, B)
    assert res.returncode == 2 and "shingle_k" in res.stderr


def test_missing_stats_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["compare", "--text", "--stats", str(tmp_path), A, B]) == 2


def test_the_documented_example_is_what_the_command_prints() -> None:
    import re
    import shlex

    doc = (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text(encoding="utf-8")
    section = doc[doc.index("## `arabic-dedup compare`") :]
    block = re.search(r"```text\n\$ (.*?)\n(.*?)```", section, re.DOTALL)
    assert block, "no example in the compare section"
    argv = shlex.split(block.group(1))
    assert argv[:2] == ["arabic-dedup", "compare"]
    res = run(*argv[2:])
    assert res.stdout == block.group(2)


def test_dedup_saves_the_statistics_compare_reads(tmp_path: Path) -> None:
    # The whole loop: dedup writes corpus_stats.npz beside its outputs, compare --stats DIR
    # reads it and judges the pair as that run did.
    rng = np.random.default_rng(1)
    words = ["خبر", "جديد", "مدينة", "وزارة", "مشروع", "طريق", "سوق", "ملعب", "جامعة", "شركة"]
    rows = [
        {"id": i, "text": FORMULA + " " + " ".join(rng.choice(words, 12).tolist()) + f" {i}"}
        for i in range(40)
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    out = tmp_path / "out"
    assert main(["dedup", str(src), "--out", str(out), "--max-df", "5", "-q"]) == 0
    assert (out / STATS_FILE).is_file()
    res = run("--text", "--json", "--stats", str(out), A, B)
    assert res.returncode == 1, res.stderr
    assert json.loads(res.stdout)["corpus_stats"]["documents"] == 40
