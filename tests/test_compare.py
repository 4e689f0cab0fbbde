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


def _bulletins(tmp_path: Path) -> Path:
    rng = np.random.default_rng(1)
    words = ["خبر", "جديد", "مدينة", "وزارة", "مشروع", "طريق", "سوق", "ملعب", "جامعة", "شركة"]
    rows = [
        {"id": i, "text": FORMULA + " " + " ".join(rng.choice(words, 12).tolist()) + f" {i}"}
        for i in range(40)
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return src


def test_dedup_saves_the_statistics_compare_reads(tmp_path: Path) -> None:
    # The whole loop: dedup writes corpus_stats.npz beside its outputs, compare --stats DIR
    # reads it and judges the pair as that run did.
    src = _bulletins(tmp_path)
    out = tmp_path / "out"
    assert main(["dedup", str(src), "--out", str(out), "--max-df", "5", "-q"]) == 0
    assert (out / STATS_FILE).is_file()
    res = run("--text", "--json", "--stats", str(out), A, B)
    assert res.returncode == 1, res.stderr
    assert json.loads(res.stdout)["corpus_stats"]["documents"] == 40


def test_compare_stats_judges_with_the_runs_own_options(tmp_path: Path) -> None:
    # A copy of A with one clause dropped: a duplicate at the default threshold, not at 0.9.
    copy = A.replace(" في ساعات الظهيرة", "")
    src = _bulletins(tmp_path)
    strict = tmp_path / "strict"
    assert main(["dedup", str(src), "--out", str(strict), "--threshold", "0.9", "-q"]) == 0
    rep = json.loads(run("--text", "--json", "--stats", str(strict), A, copy).stdout)
    assert rep["threshold"] == 0.9 and rep["verdict"] == "not duplicates"
    assert rep["options"]["from_run"] and rep["options"]["differ"] == {}
    plain = run("--text", "--stats", str(strict), A, copy)
    assert plain.returncode == 1 and "as the dedup run decided" in plain.stdout
    # An option given here replaces the run's, and the output says the verdict is not the run's.
    asked = run("--text", "--stats", str(strict), "--threshold", "0.3", A, copy)
    assert asked.returncode == 0, asked.stdout + asked.stderr
    assert "the run had threshold 0.9: not the run's verdict" in asked.stdout
    # Without --stats, compare's own defaults judge and it says so.
    assert "(this command's; --stats DIR takes a dedup run's)" in run("--text", A, copy).stdout


def test_compare_stats_follows_the_runs_fact_check_and_rescue(tmp_path: Path) -> None:
    src = _bulletins(tmp_path)
    off = tmp_path / "off"
    assert main(["dedup", str(src), "--out", str(off), "--facts", "off", "--max-df", "5",
                 "--boilerplate-rescue", "0.9", "-q"]) == 0  # fmt: skip
    rep = json.loads(run("--text", "--json", "--stats", str(off), A, B).stdout)
    assert rep["options"]["facts"] == "off" and rep["facts"]["decides"] is False
    assert rep["boilerplate_rescue"]["ratio"] == 0.9


def test_stats_from_before_the_options_were_recorded_say_whose_options_judged(
    tmp_path: Path,
) -> None:
    config = ad.DedupConfig(max_df=5)
    sets = config.hasher().shingle_sets([FORMULA + f" {i}" for i in range(20)])
    assert config.boilerplate is not None
    _, stats = config.boilerplate.apply_with_stats(sets)
    stats.save(tmp_path / STATS_FILE, config.stats_params())  # no run options
    res = run("--text", "--stats", str(tmp_path), A, B)
    assert "these statistics do not record the run's options" in res.stdout, res.stderr


def test_bad_stats_and_options_are_one_clear_line(tmp_path: Path) -> None:
    src = _bulletins(tmp_path)
    out = tmp_path / "out"
    assert main(["dedup", str(src), "--out", str(out), "-q"]) == 0
    norm = run("--text", "--stats", str(out), "--no-alef", A, B)
    assert norm.returncode == 2
    assert "(normalizer.alef: stored True, asked False)" in norm.stderr
    assert len(norm.stderr) < 300  # the differing step, not both whole settings
    cut = tmp_path / "cut"
    cut.mkdir()
    data = (out / STATS_FILE).read_bytes()
    (cut / STATS_FILE).write_bytes(data[: len(data) // 2])  # a zip without its directory
    truncated = run("--text", "--stats", str(cut), A, B)
    assert truncated.returncode == 2 and "is not corpus statistics" in truncated.stderr
    assert "Traceback" not in truncated.stderr
    wrong = run("--text", "--stats", str(out / "report.json"), A, B)
    assert wrong.returncode == 2 and "is not corpus statistics" in wrong.stderr
    assert "pickle" not in wrong.stderr and "Traceback" not in wrong.stderr
    none = tmp_path / "none"
    assert main(["dedup", str(src), "--out", str(none), "--max-df", "none", "-q"]) == 0
    missing = run("--text", "--stats", str(none), A, B)
    assert missing.returncode == 2 and "--max-df none" in missing.stderr
    neg = run("--text", "--max-changes", "-1", A, B)
    assert neg.returncode == 2 and "--max-changes must be 0 or more" in neg.stderr
