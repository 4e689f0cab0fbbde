"""``arabic-dedup dedup`` never crashes and never loses a record: hostile input, signals,
kills during the output swap, and output directories that would destroy their own input.

Every test runs the installed command as a real process.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from _adversarial import arabic_text, mixed_file
from _corpus import corpus
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXE = Path(sys.executable).parent / "arabic-dedup"
CLI = str(EXE) if EXE.exists() else shutil.which("arabic-dedup")
pytestmark = pytest.mark.skipif(CLI is None, reason="the arabic-dedup command is not installed")
ENV = {**os.environ, "PYTHONIOENCODING": "utf-8"}


def run(*args: str | Path | bytes, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    assert CLI is not None
    argv = [a if isinstance(a, bytes) else os.fsencode(a) for a in (CLI, *args)]
    return subprocess.run(argv, capture_output=True, env=ENV, timeout=120, cwd=cwd)


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines()


def report(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "report.json").read_bytes())
    c = data["counts"]
    assert c["unique"] + c["duplicates"] + c["errors"] == c["records_read"]
    return data


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name or ".old-" in p.name)


def no_traceback(res: subprocess.CompletedProcess[bytes]) -> str:
    err = res.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err and "Error:" not in err.replace("error:", ""), err
    return err


def duplicate_body(line: bytes) -> bytes:
    """A duplicates.jsonl line without the two fields the tool appends: the original line."""
    m = re.fullmatch(rb'(.*), "duplicate_of": .*, "similarity": [0-9.e-]+\}', line)
    assert m, line
    return m.group(1)


# -- B: input the readers must survive ---------------------------------------------------------


def test_any_json_parse_failure_is_a_bad_record(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    good = [json.dumps({"id": i, "text": arabic_text(__import__("random").Random(i))},
                       ensure_ascii=False).encode() for i in range(3)]  # fmt: skip
    deep = b"[" * 100_000 + b"]" * 100_000
    big = b'{"id": ' + b"9" * 5000 + b', "text": "x"}'
    src.write_bytes(b"\n".join([good[0], deep, good[1], big, good[2]]) + b"\n")
    out = tmp_path / "out"

    res = run("dedup", src, "--out", out)
    assert res.returncode == 1
    err = no_traceback(res)
    assert err.startswith(f"arabic-dedup: error: {src} line 2: malformed JSON: ")
    assert not out.exists()

    res = run("dedup", src, "--out", out, "--on-error", "skip", "-q")
    assert res.returncode == 0, res.stderr
    assert lines_of(out / "unique.jsonl") == good
    errors = report(out)["errors"]
    assert [e["line"] for e in errors] == [2, 4]
    assert "nested too deeply" in errors[0]["reason"]
    assert "4300 digits" in errors[1]["reason"]


def test_lone_surrogates_and_a_non_utf8_file_name(tmp_path: Path) -> None:
    text = arabic_text(__import__("random").Random(7), 20)
    first = b'{"id": "a\\ud800", "text": ' + json.dumps(text + " \udfff").encode() + b"}"
    second = b'{"id": "b", "text": ' + json.dumps(text + " \udfff").encode() + b', "o": "\\udc80"}'
    third = b'{"text": "' + text.encode() + b'", "duplicate_of": "\\ud801"}'
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\n".join([first, second, third]) + b"\n")
    odd = Path(os.fsdecode(os.fsencode(tmp_path) + b"/n\xff.jsonl"))
    odd.write_bytes(b'{"text": "' + text.encode() + b'"}\n')
    out = tmp_path / "out"
    res = run("dedup", src, odd, "--out", out)
    assert res.returncode == 0, res.stderr
    assert lines_of(out / "unique.jsonl") == [first]
    dups = lines_of(out / "duplicates.jsonl")
    assert duplicate_body(dups[0]) == second[:-1]
    assert json.loads(dups[0])["duplicate_of"] == "a\ud800"
    assert json.loads(dups[1])["duplicate_of"] == "a\ud800"  # re-serialised, escapes kept
    assert json.loads(dups[1])["text"] == text
    # The record without an id from the oddly named file: its id is "<path>:1".
    assert duplicate_body(dups[2]) == b'{"text": "' + text.encode() + b'"'
    rep = report(out)
    assert rep["inputs"][1]["path"] == str(odd)
    assert rep["counts"]["duplicates"] == 3


def test_csv_unterminated_quote_is_reported_and_the_next_record_survives(
    tmp_path: Path,
) -> None:
    src = tmp_path / "in.csv"
    a, b = arabic_text(__import__("random").Random(1)), arabic_text(__import__("random").Random(2))
    src.write_text(
        f'id,text\nr1,"{a}\nsecond line"\nr2,"{b} unterminated\nr3,{a} قبل\nr4,{b} بعد\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    res = run("dedup", src, "--out", out)
    assert res.returncode == 1
    assert no_traceback(res).startswith(f"arabic-dedup: error: {src} line 4: malformed CSV")

    res = run("dedup", src, "--out", out, "--on-error", "skip", "-q", "--output-format", "jsonl")
    assert res.returncode == 0, res.stderr
    got = [json.loads(x) for x in lines_of(out / "unique.jsonl")]
    got += [json.loads(x) for x in lines_of(out / "duplicates.jsonl")]
    assert sorted(r["id"] for r in got) == ["r1", "r3", "r4"]
    assert next(r for r in got if r["id"] == "r1")["text"] == f"{a}\nsecond line"
    (err,) = report(out)["errors"]
    assert err["line"] == 4 and "lines 4-6" in err["reason"], err


def test_tsv_fields_are_literal(tmp_path: Path) -> None:
    src = tmp_path / "in.tsv"
    src.write_text(
        'id\ttext\nt1\t"quoted" words here\nt2\t"unmatched quote\nt3\tthird\n', encoding="utf-8"
    )
    out = tmp_path / "out"
    res = run("dedup", src, "--out", out, "-q")
    assert res.returncode == 0, res.stderr
    written = (out / "unique.tsv").read_text(encoding="utf-8").splitlines()  # literal too
    rows = [line.split("\t") for line in written]
    assert rows == [["id", "text"], ["t1", '"quoted" words here'], ["t2", '"unmatched quote'],
                    ["t3", "third"]]  # fmt: skip
    assert report(out)["counts"]["records_read"] == 3


def test_null_ids_fall_back_to_the_line(tmp_path: Path) -> None:
    text = corpus()[0][1]
    src = tmp_path / "in.jsonl"
    rec = json.dumps({"id": None, "text": text}, ensure_ascii=False)
    src.write_text(rec + "\n" + rec + "\n", encoding="utf-8")
    out = tmp_path / "out"
    res = run("dedup", src, "--out", out, "-q")
    assert res.returncode == 0, res.stderr
    (dup,) = map(json.loads, lines_of(out / "duplicates.jsonl"))
    assert dup["duplicate_of"] == 1 and dup["id"] is None


# -- C: outputs, signals, kills ------------------------------------------------------------------


def synthetic(path: Path, docs: int = 64, chars: int = 250_000) -> None:
    """Big enough that the compiled kernels run for a noticeable time (16M characters)."""
    import random

    rng = random.Random(3)
    letters = [chr(c) for c in range(0x0621, 0x063B)] + [chr(c) for c in range(0x0641, 0x064B)]
    words = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 8))) for _ in range(3000)]
    with open(path, "w", encoding="utf-8") as f:
        for i in range(docs):
            n = chars // 6
            f.write(json.dumps({"id": i, "text": " ".join(rng.choices(words, k=n))}) + "\n")


def threads(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    m = re.search(r"^Threads:\s+(\d+)", status, re.M)
    return int(m.group(1)) if m else 0


def run_and_signal(
    src: Path, out: Path, sig: int, when: str, max_threads: int = 0
) -> tuple[subprocess.CompletedProcess[bytes], int]:
    """Start a run; send ``sig`` when ``when`` happens ("threads": the process reached
    ``max_threads`` threads, i.e. the compiled kernels' thread pool started; "tmp": the
    temporary output directory appeared, i.e. pass 2). Returns the result and the most
    threads seen."""
    assert CLI is not None
    proc = subprocess.Popen([CLI, "dedup", str(src), "--out", str(out), "-q"], env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    seen = 0
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        seen = max(seen, threads(proc.pid))
        fired = (when == "threads" and max_threads and seen >= max_threads) or (
            when == "tmp" and any(".tmp-" in p.name for p in out.parent.iterdir())
        )
        if fired:
            proc.send_signal(sig)
            break
        time.sleep(0.002)
    stdout, stderr = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr), seen


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_sigint_inside_the_kernels_exits_130_cleanly(tmp_path: Path) -> None:
    src = tmp_path / "big.jsonl"
    synthetic(src)
    out = tmp_path / "out"
    first, most = run_and_signal(src, out, 0, "none")
    assert first.returncode == 0, first.stderr
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    for _ in range(2):
        res, _ = run_and_signal(src, out, signal.SIGINT, "threads", max_threads=most)
        assert res.returncode == 130, res.stderr
        assert res.stderr == b"arabic-dedup: error: interrupted; no output was written\n"
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before
        assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("sig", "code", "message"),
    [
        (signal.SIGTERM, 143, b"arabic-dedup: error: terminated; no output was written\n"),
        (signal.SIGINT, 130, b"arabic-dedup: error: interrupted; no output was written\n"),
    ],
)
def test_signal_while_writing_cleans_up(
    tmp_path: Path, sig: int, code: int, message: bytes
) -> None:
    src = tmp_path / "in.jsonl"
    synthetic(src, docs=3000, chars=2000)
    out = tmp_path / "out"
    assert run("dedup", src, "--out", out, "-q").returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    res, _ = run_and_signal(src, out, sig, "tmp")
    assert (res.returncode, res.stderr) == (code, message)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert leftovers(tmp_path) == []


# Kill the process the moment the old output has been renamed away from DIR (the instant a
# two-rename swap leaves DIR missing); os.replace/os.rename are the only ways to move it.
KILL_AFTER_MOVING_OUT = """
import os, signal, sys
out = os.path.abspath(sys.argv[1])
real = {name: getattr(os, name) for name in ("replace", "rename")}
def make(name):
    def moved(src, dst, *a, **k):
        real[name](src, dst, *a, **k)
        if os.path.abspath(src) == out:
            os.kill(os.getpid(), signal.SIGKILL)
    return moved
for name in real:
    setattr(os, name, make(name))
from arabic_dedup.cli import main
sys.exit(main(sys.argv[2:]))
"""


def test_sigkill_during_the_swap_leaves_old_or_new_output(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        "".join(json.dumps({"id": k, "text": t}, ensure_ascii=False) + "\n" for k, t in corpus()),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert run("dedup", src, "--out", out, "-q").returncode == 0
    old = {p.name: p.read_bytes() for p in out.iterdir()}
    res = subprocess.run(
        [sys.executable, "-c", KILL_AFTER_MOVING_OUT, str(out), "dedup", str(src), "--out",
         str(out), "-q", "--keep", "longest"],
        env=ENV, capture_output=True, timeout=120,
    )  # fmt: skip
    assert res.returncode in (0, -signal.SIGKILL), res.stderr
    assert out.is_dir(), "DIR went missing"
    now = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(now) == sorted(old)
    new_report = json.loads(now["report.json"])
    assert now == old or new_report["parameters"]["keep"] == "longest"


def test_input_inside_the_output_is_refused_before_reading(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"text": corpus()[0][1]}, ensure_ascii=False) + "\n", "utf-8")
    prev = tmp_path / "prev"
    assert run("dedup", src, "--out", prev, "-q").returncode == 0
    before = {p.name: p.read_bytes() for p in prev.iterdir()}
    for args in ([prev, "--out", prev], [prev / "unique.jsonl", "--out", prev]):
        res = run("dedup", *args)
        assert res.returncode == 2, res.stderr
        assert b"inside the output directory" in res.stderr, res.stderr
        no_traceback(res)
        assert {p.name: p.read_bytes() for p in prev.iterdir()} == before


def test_out_dot_is_refused_before_reading(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": null}\n', encoding="utf-8")  # a bad record: exit 1 if read
    here = tmp_path / "empty"
    here.mkdir()
    res = run("dedup", src, "--out", ".", cwd=here)
    assert res.returncode == 2, res.stderr
    assert b"current directory" in res.stderr
    assert list(here.iterdir()) == [] and leftovers(tmp_path) == []


def test_out_symlink_is_followed_and_stays_a_link(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        "".join(json.dumps({"id": k, "text": t}, ensure_ascii=False) + "\n" for k, t in corpus()),
        encoding="utf-8",
    )
    target = tmp_path / "disk" / "target"
    target.parent.mkdir()
    link = tmp_path / "link"
    link.symlink_to(target, target_is_directory=True)
    for _ in range(2):  # new, then replacing an earlier output
        res = run("dedup", src, "--out", link, "-q")
        assert res.returncode == 0, res.stderr
        assert link.is_symlink() and link.resolve() == target
        assert report(target)["counts"]["records_read"] == 9
        assert leftovers(tmp_path) == [] and leftovers(target.parent) == []


# -- every good record out unchanged, every bad one reported ------------------------------------


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(kinds=st.lists(st.integers(min_value=-7, max_value=4), min_size=1, max_size=25),
       seed=st.integers(0, 1000), crlf=st.booleans())  # fmt: skip
def test_mixed_good_and_bad_records(
    tmp_path: Path, kinds: list[int], seed: int, crlf: bool
) -> None:
    lines, bad, good = mixed_file(kinds, seed)
    src = tmp_path / f"mixed-{seed}.jsonl"
    src.write_bytes((b"\r\n" if crlf else b"\n").join(lines) + b"\n")
    out = tmp_path / f"out-{seed}"
    shutil.rmtree(out, ignore_errors=True)
    res = run("dedup", src, "--out", out, "--on-error", "skip", "-q")
    assert res.returncode == 0, res.stderr
    no_traceback(res)
    rep = report(out)
    assert {e["line"]: e["file"] for e in rep["errors"]} == {n: str(src) for n in bad}
    for e in rep["errors"]:
        assert e["reason"].startswith(bad[e["line"]]), e
    written = lines_of(out / "unique.jsonl")
    written += [duplicate_body(d) + b"}" for d in lines_of(out / "duplicates.jsonl")]
    expected = [lines[n - 1] for n in sorted(good)]
    assert sorted(written) == sorted(expected)
    assert rep["counts"]["records_read"] == len(lines)
    assert rep["counts"]["errors"] == len(bad)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_after_a_finished_run_does_not_kill_the_command(
    tmp_path: Path, sig: signal.Signals
) -> None:
    # The output is in place and the summary printed: a signal during the interpreter's
    # shutdown (here: right after the command returns, as late as it can come) must leave the
    # exit code 0. Run as the command runs (cli.entry), in its own process.
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": k, "text": t}, ensure_ascii=False) + "\n"
                           for k, t in corpus()), "utf-8")  # fmt: skip
    out = tmp_path / "out"
    code = (
        "import os, signal, sys\n"
        "from arabic_dedup import cli\n"
        f"sys.argv = ['arabic-dedup', 'dedup', {str(src)!r}, '--out', {str(out)!r}, '-q']\n"
        "rc = cli.entry()\n"
        f"os.kill(os.getpid(), {int(sig)})\n"
        "print('finished', rc, flush=True)\n"
        "raise SystemExit(rc)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == b"finished 0" and (out / "unique.jsonl").is_file()
    # Called as a function (a test, a notebook), main() leaves the caller's handlers alone.
    code = code.replace("cli.entry()", "cli.main(sys.argv[1:])")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=300)
    assert res.returncode == -sig, (res.returncode, res.stderr)


def test_ctrl_c_while_the_command_imports_is_one_line_not_a_traceback() -> None:
    # The console script's shim (arabic_dedup_entry) imports the package, numpy and the kernels
    # inside its own try. A real SIGINT, sent when numpy starts to import, lands mid-import.
    code = (
        "import os, signal, sys\n"
        "class Stop:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'numpy':\n"
        "            os.kill(os.getpid(), signal.SIGINT)\n"
        "sys.meta_path.insert(0, Stop())\n"
        "import arabic_dedup_entry\n"
        "sys.argv = ['arabic-dedup', '--version']\n"
        "raise SystemExit(arabic_dedup_entry.entry())\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert res.returncode == 130, res.stderr
    assert res.stderr == b"arabic-dedup: error: interrupted; no output was written\n"
    assert res.stdout == b""  # --version never ran
    # The installed command, interrupted at several moments of its start: a line, never a trace.
    assert CLI is not None
    for delay in (0.02, 0.05, 0.1, 0.15):
        p = subprocess.Popen([CLI, "--version"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(delay)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=120)
        assert b"Traceback" not in err, (delay, err)
        assert p.returncode in (0, 130, -signal.SIGINT), (delay, p.returncode, err)


def test_inputs_that_are_no_regular_file_are_one_usage_line(tmp_path: Path) -> None:
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "a.txt").write_text("\ufeff" + dict(corpus())["a0"], "utf-8")  # with a BOM
    res = run("dedup", folder, "--format", "jsonl", "--out", tmp_path / "o1", "-q")
    assert res.returncode == 2 and b"is a folder, read as txt files: drop --format jsonl" in (
        res.stderr
    )
    fifo = tmp_path / "feed"
    os.mkfifo(fifo)
    res = run("dedup", fifo, "--format", "jsonl", "--out", tmp_path / "o2", "-q")
    assert res.returncode == 2 and b"is not a regular file" in res.stderr
    assert b"Errno" not in res.stderr
    # The folder as it is: a .txt file's BOM is dropped, as JSONL and CSV drop theirs.
    out = tmp_path / "o3"
    assert run("dedup", folder, "--out", out, "-q").returncode == 0
    (rec,) = [json.loads(x) for x in lines_of(out / "unique.jsonl")]
    assert rec["text"] == dict(corpus())["a0"]
