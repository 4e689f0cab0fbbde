"""The ``arabic-dedup`` command: a thin layer over the library.

It parses options, calls the library, and turns library errors into one-line messages and
exit codes: 0 success, 1 data errors (bad records, unreadable input), 2 usage errors (bad
options, missing inputs, an output directory that cannot be replaced, a missing optional
dependency), 130 interrupted (SIGINT), 143 terminated (SIGTERM). Every command and option is
documented in ``docs/cli.md`` (a test checks).
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import itertools
import signal
import sys
import textwrap
import time
import typing
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from ._dedup import DEFAULT_THRESHOLDS, DedupConfig
from ._errors import ArabicDedupError, ConfigError, RunInterrupted
from ._interrupt import recording_signals
from ._io import FORMATS, OutputDirError, RecordError, Source, dedup_files
from ._normalize import NormalizerConfig

__all__ = ["UsageError", "build_parser", "main"]

PROG = "arabic-dedup"
EXIT_OK, EXIT_DATA, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
# A run stopped by a signal exits 128 + its number, as a shell reports it, with a clean message.
_STOPPED = {
    signal.SIGINT: ("interrupted", EXIT_INTERRUPTED),
    signal.SIGTERM: ("terminated", 128 + signal.SIGTERM),
}


class UsageError(ArabicDedupError, ValueError):
    """The command line asks for something impossible (exit code 2)."""


# -- options generated from the config dataclasses ----------------------------------------------


def _field_docs(cls: type) -> dict[str, str]:
    """The attribute docstrings of a dataclass's fields (the string after each field)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError, SyntaxError):  # no source (frozen app): help without docs
        return {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    docs = {}
    for a, b in itertools.pairwise(body):
        if (
            isinstance(a, ast.AnnAssign)
            and isinstance(a.target, ast.Name)
            and isinstance(b, ast.Expr)
            and isinstance(b.value, ast.Constant)
            and isinstance(b.value.value, str)
        ):
            docs[a.target.id] = " ".join(b.value.value.split())
    return docs


def _add_normalizer_options(parser: argparse.ArgumentParser) -> None:
    """One flag per NormalizerConfig field: ``--digits/--no-digits``, ``--hamza MODE``, ..."""
    group = parser.add_argument_group(
        "normaliser options", "Each flag switches one normaliser step (NormalizerConfig field)."
    )
    hints = typing.get_type_hints(NormalizerConfig)
    docs = _field_docs(NormalizerConfig)
    for f in dataclasses.fields(NormalizerConfig):
        flag = "--" + f.name.replace("_", "-")
        doc = docs.get(f.name, "").replace("%", "%%")
        if hints[f.name] is bool:
            group.add_argument(
                flag,
                action=argparse.BooleanOptionalAction,
                default=None,
                dest=f"norm_{f.name}",
                help=f"{doc} (default: {'on' if f.default else 'off'})",
            )
        else:
            choices = typing.get_args(hints[f.name])
            group.add_argument(
                flag,
                choices=choices,
                default=None,
                dest=f"norm_{f.name}",
                help=f"{doc} (default: {f.default})",
            )


def _normalizer(args: argparse.Namespace) -> NormalizerConfig:
    given = {
        f.name: getattr(args, f"norm_{f.name}")
        for f in dataclasses.fields(NormalizerConfig)
        if getattr(args, f"norm_{f.name}") is not None
    }
    return NormalizerConfig(**given)


_DEDUP_DEFAULTS = {f.name: f.default for f in dataclasses.fields(DedupConfig)}
# (flag, DedupConfig field, type, choices, help)
_DEDUP_OPTIONS: list[tuple[str, str, Any, tuple[str, ...] | None, str]] = [
    ("--threshold", "threshold", float, None,
     "minimum verified similarity of duplicates (default: "
     + ", ".join(f"{v} for {k}" for k, v in DEFAULT_THRESHOLDS.items()) + ")"),
    ("--similarity", "similarity", str, ("jaccard", "containment"),
     "jaccard (same text) or containment (shorter text inside the longer)"),
    ("--num-perm", "num_perm", int, None, "MinHash permutations"),
    ("--seed", "seed", int, None, "MinHash seed"),
    ("--shingle-unit", "shingle_unit", str, ("word", "char"), "shingle unit"),
    ("--k", "k", int, None, "shingle size (0 = the unit's default: 3 words or 5 characters)"),
    ("--bands", "bands", int, None, "LSH bands (give with --rows)"),
    ("--rows", "rows", int, None, "LSH rows per band (give with --bands)"),
    ("--lsh-threshold", "lsh_threshold", float, None,
     "the Jaccard level LSH aims at (derived from --threshold and --similarity)"),
    ("--max-df", "max_df", "max_df", None,
     "ignore shingles found in more than this many documents, or this fraction if < 1 "
     "(boilerplate); auto = max(30, 0.1%% of the documents); none = keep every shingle"),
]  # fmt: skip


def _add_dedup_options(parser: argparse.ArgumentParser, names: Sequence[str] | None = None) -> None:
    group = parser.add_argument_group("detector options (DedupConfig fields)")
    for flag, name, typ, choices, help_ in _DEDUP_OPTIONS:
        if names is not None and name not in names:
            continue
        default = _DEDUP_DEFAULTS[name]
        if "(default:" not in help_:
            help_ += f" (default: {'derived' if default is None else default})"
        group.add_argument(
            flag,
            dest=f"cfg_{name}",
            metavar=None if choices else name.upper(),
            type=_max_df if typ == "max_df" else typ,
            choices=choices,
            default=None,
            help=help_,
        )


def _max_df(value: str) -> float | str:
    if value.lower() in ("auto", "none"):
        return value.lower()
    try:
        return float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number, 'auto' or 'none', got {value!r}"
        ) from None


def _dedup_config(args: argparse.Namespace) -> DedupConfig:
    given = {
        name: getattr(args, f"cfg_{name}")
        for _, name, *_ in _DEDUP_OPTIONS
        if getattr(args, f"cfg_{name}", None) is not None
    }
    if given.get("max_df") == "none":
        given["max_df"] = None
    return DedupConfig(normalizer=_normalizer(args), **given)


# -- the parser ---------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Find near-duplicate Arabic documents.",
        epilog="Exit codes: 0 success, 1 data error, 2 usage error, 130 interrupted, "
        "143 terminated. See docs/cli.md.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "dedup",
        help="deduplicate JSONL, CSV, Parquet or .txt files into DIR",
        description="Deduplicate the records of INPUT files into DIR/unique.jsonl, "
        "DIR/duplicates.jsonl and DIR/report.json (written atomically).",
    )
    p.add_argument(
        "inputs", nargs="+", metavar="INPUT", help="JSONL/CSV/TSV (.gz too), Parquet, or a folder"
    )
    p.add_argument("-o", "--out", required=True, metavar="DIR", help="output directory")
    p.add_argument(
        "--format", choices=FORMATS, default=None, help="input format (default: from file names)"
    )
    p.add_argument(
        "--text-field", default="text", help="field/column with the text (default: text)"
    )
    p.add_argument(
        "--id-field",
        default="id",
        help="field/column with the record id (default: id; else line number or file name)",
    )
    p.add_argument(
        "--keep",
        choices=("first", "longest"),
        default="first",
        help="which record of a cluster to keep (default: first)",
    )
    p.add_argument(
        "--on-error",
        choices=("fail", "skip"),
        default="fail",
        help="on a bad record: stop with exit code 1, or skip it and list it in the report "
        "(default: fail)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary")
    _add_dedup_options(p)
    _add_normalizer_options(p)
    p.set_defaults(func=_cmd_dedup)

    p = sub.add_parser(
        "normalize",
        help="print the normalised text of each input line",
        description="Normalise FILEs (or standard input) line by line to standard output.",
    )
    p.add_argument("files", nargs="*", metavar="FILE", help="UTF-8 text files; - or none: stdin")
    _add_normalizer_options(p)
    p.set_defaults(func=_cmd_normalize)

    p = sub.add_parser(
        "compare",
        help="explain how similar two texts are",
        description="Compare two texts (files, or strings with --text): normalisation "
        "changes, shared shingles, Jaccard, containment and the verdict at the threshold.",
    )
    p.add_argument("a", metavar="A", help="first file (or text, with --text)")
    p.add_argument("b", metavar="B", help="second file (or text, with --text)")
    p.add_argument("--text", action="store_true", help="A and B are texts, not file names")
    p.add_argument(
        "--max-changes",
        type=int,
        default=10,
        help="normalisation changes listed per text (default: 10)",
    )
    _add_dedup_options(
        p, ["threshold", "similarity", "shingle_unit", "k", "num_perm", "seed", "bands", "rows",
            "lsh_threshold"]
    )  # fmt: skip
    _add_normalizer_options(p)
    p.set_defaults(func=_cmd_compare)
    return parser


def _version() -> str:
    from . import __version__

    return __version__


# -- commands -------------------------------------------------------------------------------------


class _ProgressBar:
    """A one-line progress bar on a terminal; redraws at most ten times a second."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.t0 = time.monotonic()
        self.last = 0.0
        self.stage = ""
        self.drawn = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage == self.stage and done < total and now - self.last < 0.1:
            return
        self.last, self.stage = now, stage
        frac = min(1.0, done / total) if total else 1.0
        filled = int(frac * 30)
        bar = "#" * filled + "." * (30 - filled)
        self.stream.write(f"\r{stage:<12}[{bar}] {frac:4.0%} {now - self.t0:7.1f}s ")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r" + " " * 60 + "\r")
            self.stream.flush()


def _cmd_dedup(args: argparse.Namespace) -> int:
    # For the whole command, signals are only recorded; the run acts on them between batches
    # (never inside compiled kernels), cleaning up its temporary output. Once the output is in
    # place, a late signal is forgotten: the summary is printed and the exit code is 0.
    with recording_signals(*_STOPPED):
        return _run_dedup(args)


def _run_dedup(args: argparse.Namespace) -> int:
    config = _dedup_config(args)
    for name in args.inputs:
        if not Path(name).exists():
            raise UsageError(f"input {name!r} does not exist")
    sources = [Source.detect(name, args.format) for name in args.inputs]
    out = Path(args.out)
    bar = _ProgressBar(sys.stderr) if not args.quiet and sys.stderr.isatty() else None
    try:
        report = dedup_files(
            sources,
            out,
            config=config,
            keep=args.keep,
            text_field=args.text_field,
            id_field=args.id_field,
            on_error=args.on_error,
            progress=bar,
        )
    finally:
        if bar:
            bar.close()
    if not args.quiet:
        c = report["counts"]
        secs = report["timings_seconds"]["total"]
        rs = "" if c["records_read"] == 1 else "s"
        s = "" if len(sources) == 1 else "s"
        print(f"{c['records_read']:,} record{rs} read from {len(sources)} input{s} in {secs:.1f} s")
        print(f"  unique      {c['unique']:>10,}  {out / 'unique.jsonl'}")
        print(
            f"  duplicates  {c['duplicates']:>10,}  {out / 'duplicates.jsonl'} "
            f"({c['clusters']:,} clusters)"
        )
        if c["errors"]:
            print(f"  errors      {c['errors']:>10,}  skipped, listed in {out / 'report.json'}")
    return EXIT_OK


def _read_lines(name: str) -> Iterator[tuple[int, str]]:
    """Lines of a file (or stdin for "-") decoded strictly as UTF-8, without line endings."""
    stream = sys.stdin.buffer if name == "-" else open(name, "rb")
    label = "<stdin>" if name == "-" else name
    try:
        for n, raw in enumerate(stream, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise RecordError(label, n, f"invalid UTF-8 at byte {exc.start + 1}") from exc
            yield n, line.rstrip("\r\n")
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def _cmd_normalize(args: argparse.Namespace) -> int:
    from ._normalize import normalize

    config = _normalizer(args)
    out = sys.stdout.buffer
    for name in args.files or ["-"]:
        if name != "-" and not Path(name).is_file():
            raise UsageError(f"input {name!r} does not exist or is not a file")
        for _, line in _read_lines(name):
            out.write(normalize(line, config=config).encode("utf-8") + b"\n")
    out.flush()
    return EXIT_OK


def _read_text(name: str) -> str:
    path = Path(name)
    if not path.is_file():
        raise UsageError(f"input {name!r} does not exist or is not a file (use --text for texts)")
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise RecordError(name, line, "invalid UTF-8") from exc


def _cmd_compare(args: argparse.Namespace) -> int:
    import numpy as np

    from ._normalize import explain

    config = _dedup_config(args)
    texts = [args.a, args.b] if args.text else [_read_text(args.a), _read_text(args.b)]
    hasher = config.hasher()
    sets = [hasher.hash_shingles(t) for t in texts]
    for label, text in zip("AB", texts, strict=True):
        ex = explain(text, config=config.normalizer)
        per_step: dict[str, int] = {}
        for ch in ex.changes:
            per_step[ch.step] = per_step.get(ch.step, 0) + 1
        steps = ", ".join(f"{k} {v}" for k, v in per_step.items())
        print(f"{label}: {len(text):,} characters, {len(ex.changes):,} normalisation changes"
              + (f" ({steps})" if steps else ""))  # fmt: skip
        for ch in ex.changes[: args.max_changes]:
            print(f"    {ch}")
        if len(ex.changes) > args.max_changes:
            print(f"    ... and {len(ex.changes) - args.max_changes:,} more")
    a, b = sets
    shared = int(np.intersect1d(a, b, assume_unique=True).size)
    union = a.size + b.size - shared
    jac = shared / union if union else 0.0
    smaller = min(a.size, b.size)
    con = shared / smaller if smaller else 0.0
    sh = config.shingle
    print(f"shingles ({sh.k}-{sh.unit}): A {a.size:,}, B {b.size:,}, shared {shared:,}, "
          f"union {union:,}")  # fmt: skip
    print(f"jaccard      {jac:.4f}")
    print(f"containment  {con:.4f}")
    bands, rows = config.banding()
    p_lsh = 1 - (1 - jac**rows) ** bands
    score = jac if config.similarity == "jaccard" else con
    verdict = "duplicates" if score >= config.cutoff and union else "not duplicates"
    op = ">=" if verdict == "duplicates" else "<"
    print(f"verdict      {verdict} ({config.similarity} {score:.4f} {op} threshold "
          f"{config.cutoff})")  # fmt: skip
    print(f"LSH ({bands} bands x {rows} rows) proposes a pair this similar with probability "
          f"{p_lsh:.3f}")  # fmt: skip
    return EXIT_OK


# -- entry point ----------------------------------------------------------------------------------


def _fail(message: str, code: int) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    for stream in (sys.stdout, sys.stderr):  # paths from the OS may hold undecodable bytes
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        code: int = args.func(args)
        return code
    except RunInterrupted as exc:
        what, code = _STOPPED.get(signal.Signals(exc.signum), ("interrupted", EXIT_INTERRUPTED))
        return _fail(f"{what}; no output was written", code)
    except RecordError as exc:
        return _fail(str(exc), EXIT_DATA)
    except (ConfigError, UsageError, OutputDirError) as exc:
        return _fail(str(exc), EXIT_USAGE)
    except ImportError as exc:
        return _fail(str(exc), EXIT_USAGE)
    except ArabicDedupError as exc:
        return _fail(str(exc), EXIT_DATA)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, as Unix tools do.
        sys.stderr.close()
        return EXIT_OK
    except OSError as exc:
        return _fail(str(exc), EXIT_DATA)
    except KeyboardInterrupt:
        return _fail("interrupted; no output was written", EXIT_INTERRUPTED)
