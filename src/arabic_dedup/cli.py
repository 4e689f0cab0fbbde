"""The ``arabic-dedup`` command: a thin layer over the library.

It parses options, calls the library, prints the run's warnings (``report["warnings"]``:
what was legal but would surprise) on stderr, and turns library errors and argparse's usage
errors into one-line messages and exit codes: 0 success, 1 data errors (bad records,
unreadable input), 2 usage errors (bad options, missing inputs, an output directory that
cannot be replaced, a missing optional dependency), 130 interrupted (SIGINT), 143 terminated
(SIGTERM). Every command and option is documented in ``docs/cli.md`` (a test checks).
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import errno
import json
import re
import shutil
import signal
import sys
import tempfile
import typing
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from arabic_dedup_entry import EXIT_INTERRUPTED, PROG, error_line, stopped

from ._atomic import CLUSTERS_FILE, STATS_FILE, prepare_output
from ._cli_options import (
    DedupOption,
    add_dedup_options,
    add_normalizer_options,
    dedup_config,
    dedup_given,
    dedup_options,
    dedup_options_table,
    normalizer,
    normalizer_given,
)
from ._compare import compare_config, compare_report, print_compare, read_text
from ._config import DedupConfig
from ._dedup import find_duplicates
from ._errors import ArabicDedupError, ConfigError, RunInterrupted, UsageError
from ._interrupt import recording_signals
from ._io import FORMATS, OutputDirError, RecordError, Source, dedup_files
from ._keep import KEEP_ORDERS, KeepFields, KeepPolicy
from ._memory import DEFAULT_MEMORY_LIMIT, current_rss, parse_memory_limit, process_budget
from ._progress import ProgressBar
from .formats import FOLDER_FORMAT, OUTPUT_FORMATS, RECORD_OUTPUTS, json_bytes, output_path
from .formats.base import shorten

__all__ = [
    "DedupOption",
    "UsageError",
    "build_parser",
    "compare_report",
    "dedup_options",
    "dedup_options_table",
    "entry",
    "main",
]

DEFAULT_ID_FIELD = "id"  # used where records have it; --id-field makes it required
EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2
# A run stopped by a signal exits 128 + its number, as a shell reports it, with a clean message.
_STOPPED = {
    signal.SIGINT: ("interrupted", EXIT_INTERRUPTED),
    signal.SIGTERM: ("terminated", 128 + signal.SIGTERM),
}


# -- the parser ---------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse whose errors are one line: the problem (long values cut), the closest valid
    choice or option when there is one, and where the help is; exit code 2."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(EXIT_USAGE, error_line(_usage_message(self, message)) + "\n")

    def unrecognized(self, extras: Sequence[str]) -> typing.NoReturn:
        """Arguments no option takes, with the closest option of this (sub)command."""
        options = [o for a in self._actions for o in a.option_strings if o.startswith("--")]
        first = next((x.split("=")[0] for x in extras if x.startswith("-")), None)
        close = difflib.get_close_matches(first, options, n=1) if first else []
        hint = f"; did you mean {close[0]}?" if close else ""
        shown = " ".join(shorten(x) for x in extras[:5]) + (" ..." if len(extras) > 5 else "")
        self.error(f"unrecognized arguments: {shown}{hint}")


_QUOTED = re.compile(r"'([^']*)'")
_INVALID_CHOICE = re.compile(r"invalid choice: '([^']*)' \(choose from (.*)\)")


def _usage_message(parser: argparse.ArgumentParser, message: str) -> str:
    """argparse's ``message`` as the one line ``arabic-dedup: error:`` carries."""
    hint = ""
    m = _INVALID_CHOICE.search(message)
    if m:
        choices = _QUOTED.findall(m.group(2))
        close = difflib.get_close_matches(m.group(1), choices, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
    cut = _QUOTED.sub(lambda q: repr(shorten(q.group(1))), message)
    return f"{cut}{hint} (see {parser.prog} --help)"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
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
        description="Deduplicate the records of INPUT files into DIR/unique.jsonl and "
        "DIR/duplicates.jsonl (or .csv, .tsv, .parquet: see --output-format), "
        "DIR/clusters.jsonl, DIR/report.json and DIR/report.html "
        "(written atomically).",
    )
    p.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="JSONL/CSV/TSV (.gz too), Parquet, or a folder; - reads standard input",
    )
    p.add_argument(
        "-o", "--out", metavar="DIR", help="output directory (required unless --dry-run)"
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="detect and print report.json's content to standard output; write no files "
        "(DIR, if given, is only checked)",
    )
    p.add_argument(
        "--source-field",
        metavar="NAME",
        default=None,
        help="add field NAME, the input's path, to every output record (default: none; a "
        "record that already has NAME is an error)",
    )
    p.add_argument(
        "--format", choices=FORMATS, default=None, help="input format (default: from file names)"
    )
    p.add_argument(
        "--output-format",
        choices=OUTPUT_FORMATS,
        default=None,
        help="format of DIR/unique.* and DIR/duplicates.* (default: the inputs' format; jsonl "
        "for .txt inputs and for inputs of different formats)",
    )
    p.add_argument(
        "--text-field", default="text", help="field/column with the text (default: text)"
    )
    p.add_argument(
        "--id-field",
        default=None,
        help="field/column with the record id (default: id, where a record has one, else its "
        "line number or file name; a field given here that no record has is an error)",
    )
    p.add_argument(
        "--on-error",
        choices=("fail", "skip"),
        default="fail",
        help="on a bad record: stop with exit code 1, or skip it and list it in the report "
        "(default: fail)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary")
    p.add_argument(
        "--memory-limit",
        metavar="SIZE",
        type=_memory_limit,
        default=DEFAULT_MEMORY_LIMIT,
        help="keep the run's memory under SIZE (2GB, 512MB, 1.5GiB; none = no limit) by "
        "spilling shingle sets to --tmp-dir; the decisions are the same (default: auto, half "
        f"of this machine's memory: {_gb(parse_memory_limit(DEFAULT_MEMORY_LIMIT))})",
    )
    p.add_argument(
        "--tmp-dir",
        metavar="DIR",
        default=None,
        help="where a run over --memory-limit puts its temporary files, removed at the end "
        "(default: $TMPDIR or /tmp); needs about 5 bytes per shingle, ~1.6 GB per 1M news "
        "articles",
    )
    _add_cluster_options(p)
    p.add_argument(
        "--no-html",
        dest="html",
        action="store_false",
        help="do not write DIR/report.html, the review page",
    )
    add_dedup_options(p)
    add_normalizer_options(p)
    p.set_defaults(func=_cmd_dedup)

    p = sub.add_parser(
        "normalize",
        help="print the normalised text of each input line",
        description="Normalise FILEs (or standard input) line by line to standard output.",
    )
    p.add_argument("files", nargs="*", metavar="FILE", help="UTF-8 text files; - or none: stdin")
    add_normalizer_options(p)
    p.set_defaults(func=_cmd_normalize)

    p = sub.add_parser(
        "compare",
        help="explain how similar two texts are",
        description="Compare two texts (files, or strings with --text): normalisation "
        "changes, shared shingles, Jaccard, containment and the verdict at the threshold. "
        "Exit code: 0 duplicates, 1 not duplicates, 2 usage or input error.",
    )
    p.add_argument("a", metavar="A", help="first file (or text, with --text)")
    p.add_argument("b", metavar="B", help="second file (or text, with --text)")
    p.add_argument("--text", action="store_true", help="A and B are texts, not file names")
    p.add_argument(
        "--stats",
        metavar="DIR",
        help=f"judge with a dedup run's corpus statistics (its output folder, or {STATS_FILE})",
    )
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    p.add_argument(
        "--max-changes",
        type=int,
        default=10,
        help="normalisation changes listed per text (default: 10)",
    )
    add_dedup_options(
        p, ["threshold", "similarity", "shingle_unit", "k", "num_perm", "seed", "bands", "rows",
            "lsh_threshold", "facts", "boilerplate_rescue"]
    )  # fmt: skip
    add_normalizer_options(p)
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser(
        "warm-up",
        help="compile the kernels now, so the first dedup does not",
        description="Compile every numba kernel once and cache it on disk (a fresh install "
        "otherwise spends ~25 CPU seconds of its first run compiling). `make` runs it at "
        "install; run it after `pip install`.",
    )
    p.set_defaults(func=_cmd_warm_up)
    return parser


def _add_cluster_options(parser: argparse.ArgumentParser) -> None:
    """dedup's options about clusters: which record is kept, and their fields on it."""
    parser.add_argument(
        "--keep",
        choices=KEEP_ORDERS,
        default="first",
        help="which record of a cluster to keep: the first in input order, the longest text, "
        "or the earliest / latest by --keep-by (default: first)",
    )
    parser.add_argument(
        "--keep-by",
        metavar="FIELD",
        help="the date (ISO 8601) or number field --keep earliest/latest compares; records "
        "without it are kept last, a value that is neither stops the run naming the record",
    )
    parser.add_argument(
        "--prefer-field",
        metavar="FIELD",
        help="keep records by the value of this field first, in the --prefer order",
    )
    parser.add_argument(
        "--prefer",
        metavar="VALUE,...",
        type=_comma_list,
        help="--prefer-field values in priority order (e.g. spa,alriyadh): a record whose "
        "value is earlier is kept first, others after; --keep decides among equals",
    )
    parser.add_argument(
        "--cluster-fields",
        action="store_true",
        help="add cluster_id (the kept record's id) and cluster_size (records in its cluster, "
        "itself included; 1 without duplicates) to every record of unique.jsonl",
    )


def _comma_list(value: str) -> tuple[str, ...]:
    items = tuple(v.strip() for v in value.split(","))
    if not all(items):
        raise argparse.ArgumentTypeError(
            f"expected VALUE,VALUE,... without empty items, got {value!r}"
        )
    return items


def _keep(args: argparse.Namespace) -> KeepPolicy | KeepFields:
    """--keep as dedup_files takes it: a policy, or a rule read from the records' fields."""
    if args.keep in ("first", "longest") and args.keep_by is None and args.prefer_field is None:
        if args.prefer is not None:
            raise UsageError("--prefer VALUE,... needs --prefer-field FIELD, the field to compare")
        return typing.cast(KeepPolicy, args.keep)
    return KeepFields(args.keep, args.keep_by, args.prefer_field, args.prefer or ())


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _version() -> str:
    from . import __version__

    return __version__


# -- commands -------------------------------------------------------------------------------------


def _run_budget(value: str | None, config: DedupConfig) -> int | None:
    """``--memory-limit`` bounds the whole process: what it holds before any record is read
    (the interpreter, numpy, the compiled kernels loaded from their cache: ~200 MB) is taken
    off before the run plans its memory. The kernels load at a run's first call, so a run of
    two texts loads them first (the real run would load them anyway; it costs milliseconds)."""
    limit = parse_memory_limit(value)
    if limit is None:
        return None
    find_duplicates(["ا ب ج د", "ا ب ج د"], config=config)
    return process_budget(limit, current_rss())


def _memory_limit(value: str) -> str | None:
    try:
        parse_memory_limit(value)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return None if value.strip().lower() == "none" else value


def _gb(n: int | None) -> str:
    return "no limit" if n is None else f"{n / 1e9:.1f} GB"


def _cmd_dedup(args: argparse.Namespace) -> int:
    # For the whole command, signals are only recorded; the run acts on them between batches
    # (never inside compiled kernels), cleaning up its temporary output. Once the output is in
    # place, a late signal is forgotten: the summary is printed and the exit code is 0 (from
    # the command, the process ignores them to its end, its interpreter's shutdown included).
    with recording_signals(*_STOPPED, ignore_after=_PROCESS.ends_with_main):
        return _run_dedup(args)


STDIN = "<stdin>"  # how standard input is named in messages, ids and the report


@contextmanager
def _spooled_stdin(inputs: Sequence[str]) -> Iterator[Path | None]:
    """Standard input saved to a temporary file when ``-`` is an input: dedup reads its
    inputs twice, a pipe only once. The file is removed afterwards."""
    if "-" not in inputs:
        yield None
        return
    if inputs.count("-") > 1:
        raise UsageError("standard input (-) can be given only once")
    with tempfile.NamedTemporaryFile(prefix="arabic-dedup-stdin-", suffix=".tmp") as f:
        shutil.copyfileobj(sys.stdin.buffer, f)
        f.flush()
        yield Path(f.name)


def _sources(args: argparse.Namespace, stdin: Path | None) -> list[Source]:
    sources = []
    for name in args.inputs:
        if name == "-" and stdin is not None:
            s = Source.sniff(stdin, STDIN, args.format)
            if args.format is None:
                how = "its Parquet header" if s.format == "parquet" else "its first line"
                print(f"{PROG}: reading standard input as {s.format}"
                      f"{' (gzip)' if s.compressed else ''}, guessed from {how}; "
                      "set the format with --format", file=sys.stderr)  # fmt: skip
            sources.append(s)
        elif not Path(name).exists():
            raise UsageError(f"input {name!r} does not exist")
        elif Path(name).is_dir() and args.format not in (None, FOLDER_FORMAT):
            raise UsageError(
                f"input {name!r} is a folder, read as {FOLDER_FORMAT} files: drop --format "
                f"{args.format}, or give the files in it"
            )
        elif not Path(name).is_dir() and not Path(name).is_file():
            raise UsageError(
                f"input {name!r} is not a regular file (a pipe, socket or device): dedup reads "
                f"its inputs twice; send it to standard input instead (... | {PROG} dedup -)"
            )
        else:
            sources.append(Source.detect(name, args.format))
    return sources


def _run_dedup(args: argparse.Namespace) -> int:
    config = dedup_config(args)
    with _spooled_stdin(args.inputs) as stdin:
        return _dedup_sources(args, config, _sources(args, stdin))


def _dedup_sources(args: argparse.Namespace, config: DedupConfig, sources: list[Source]) -> int:
    out = Path(args.out) if args.out is not None else None
    if args.dry_run and out is not None:
        prepare_output(out, [s.path for s in sources])  # checked as a real run would
    bar = ProgressBar(sys.stderr) if not args.quiet and sys.stderr.isatty() else None
    try:
        report = dedup_files(
            sources,
            None if args.dry_run else out,
            config=config,
            keep=_keep(args),
            text_field=args.text_field,
            id_field=DEFAULT_ID_FIELD if args.id_field is None else args.id_field,
            on_error=args.on_error,
            progress=bar,
            with_cluster_fields=args.cluster_fields,
            require_id=args.id_field is not None,
            source_field=args.source_field,
            html=args.html,
            output_format=args.output_format,
            memory_limit=_run_budget(args.memory_limit, config),
            tmp_dir=args.tmp_dir,
        )
    finally:
        if bar:
            bar.close()
    _warn(report["warnings"])
    if args.dry_run:
        sys.stdout.buffer.write(json_bytes(report, indent=2) + b"\n")
        sys.stdout.flush()
    elif not args.quiet and out is not None:
        c = report["counts"]
        secs = report["timings_seconds"]["total"]
        rs = "" if c["records_read"] == 1 else "s"
        s = "" if len(sources) == 1 else "s"
        print(f"{c['records_read']:,} record{rs} read from {len(sources)} input{s} in {secs:.1f} s")
        unique, dups = (output_path(out, o, report["parameters"]["output_format"])
                        for o in RECORD_OUTPUTS)  # fmt: skip
        print(f"  unique      {c['unique']:>10,}  {unique}")
        print(
            f"  duplicates  {c['duplicates']:>10,}  {dups} "
            f"({c['clusters']:,} cluster{'' if c['clusters'] == 1 else 's'})"
        )
        _print_clusters(c, out)
        if c["errors"]:
            print(f"  errors      {c['errors']:>10,}  skipped, listed in {out / 'report.json'}")
    return EXIT_OK


def _print_clusters(counts: dict[str, Any], out: Path) -> None:
    print(f"  clusters    {counts['clusters']:>10,}  {out / CLUSTERS_FILE} "
          f"(largest {counts['largest_cluster']:,})")  # fmt: skip


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

    config = normalizer(args)
    out = sys.stdout.buffer
    for name in args.files or ["-"]:
        if name != "-" and not Path(name).is_file():
            raise UsageError(f"input {name!r} does not exist or is not a file")
        for _, line in _read_lines(name):
            out.write(normalize(line, config=config).encode("utf-8") + b"\n")
    out.flush()
    return EXIT_OK


EXIT_NOT_DUPLICATES = 1  # compare: the verdict, as grep and diff use 0 and 1


def _cmd_compare(args: argparse.Namespace) -> int:
    if args.max_changes < 0:
        raise UsageError(f"--max-changes must be 0 or more, got {args.max_changes}")
    texts = [args.a, args.b] if args.text else [read_text(args.a), read_text(args.b)]
    given = dedup_given(args)
    if args.stats is None:
        config, stats = DedupConfig(normalizer=normalizer(args), **given), None
        options = None
    else:  # the run's own options, unless given here
        config, stats, options = compare_config(args.stats, given, normalizer_given(args))
    rep = compare_report(texts, config, stats, options)
    if args.json:
        print(json.dumps(rep, ensure_ascii=False, indent=2))
    else:
        print_compare(rep, args.max_changes)
    return EXIT_OK if rep["verdict"] == "duplicates" else EXIT_NOT_DUPLICATES


# -- entry point ----------------------------------------------------------------------------------


def _warn(lines: Sequence[str]) -> None:
    """Warnings go to stderr even with --quiet: they are what --quiet must not hide."""
    for line in lines:
        print(f"{PROG}: warning: {line}", file=sys.stderr)


def _fail(message: str, code: int) -> int:
    print(error_line(message), file=sys.stderr)
    return code


def _cmd_warm_up(args: argparse.Namespace) -> int:
    from ._warm import warm_up

    cpu = warm_up()
    print(f"kernels ready ({cpu:.1f} CPU seconds)", file=sys.stderr)
    return EXIT_OK


@dataclasses.dataclass
class _Process:
    ends_with_main: bool = False  # True when main() runs as the command (entry), not a call


_PROCESS = _Process()


def entry() -> int:
    """The ``arabic-dedup`` command: :func:`main`, as the process's whole life."""
    _PROCESS.ends_with_main = True
    return main()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    sub = typing.cast(_Parser, _subcommands(parser).get(args.command, parser))
    if extras:  # name the subcommand's help, and its closest option, not the top level's
        sub.unrecognized(extras)
    if args.command == "dedup" and args.out is None and not args.dry_run:
        sub.error("the following arguments are required: -o/--out (or --dry-run)")
    for stream in (sys.stdout, sys.stderr):  # paths from the OS may hold undecodable bytes
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        code: int = args.func(args)
        return code
    except RunInterrupted as exc:
        what, code = _STOPPED.get(signal.Signals(exc.signum), ("interrupted", EXIT_INTERRUPTED))
        return _fail(stopped(what), code)
    except RecordError as exc:
        # compare's exit code 1 is its verdict: an unreadable input is an error (2) there.
        return _fail(str(exc), EXIT_USAGE if args.command == "compare" else EXIT_DATA)
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
        if exc.errno == errno.ENOSPC:  # a write error names no file: say which output it was
            where = f"the output {args.out!r}" if getattr(args, "out", None) else "the output"
            return _fail(
                f"no space left on the device writing {where} ({exc}); the previous output, if "
                "any, is untouched: free space, or write --out (and --tmp-dir) to another disk",
                EXIT_DATA,
            )
        return _fail(str(exc), EXIT_DATA)
    except KeyboardInterrupt:
        return _fail(stopped("interrupted"), EXIT_INTERRUPTED)
