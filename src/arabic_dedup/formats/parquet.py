"""Parquet (needs ``pyarrow``, imported only when a Parquet file is read or written).

Writing (:class:`ParquetWriter`): rows are written in row groups of ``WRITE_BATCH_ROWS``, so
at most one batch is held in memory; the column types are those of the first batch (pyarrow's
inference; a Parquet input's types come back as they were read). An output with no records is
a Parquet file with no columns and no rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .._errors import RecordError
from .base import BadRecord, Reader, Record, RowWriter, repeated_name, shorten, shown_names

__all__ = ["WRITE_BATCH_ROWS", "ParquetReader", "ParquetWriter"]

WRITE_BATCH_ROWS = 4096  # rows per row group written


def require_pyarrow() -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ImportError(
            "reading or writing Parquet needs pyarrow: pip install 'arabic-dedup[parquet]'"
        ) from exc
    return pq


class ParquetReader(Reader):
    name = "parquet"
    suffixes = (".parquet",)
    compressible = False
    unit = "row"

    def records(self) -> Iterator[Record | BadRecord]:
        pq = require_pyarrow()
        import pyarrow

        try:
            yield from self._rows(pq)
        except pyarrow.ArrowException as exc:
            raise RecordError(self.file, 0, f"cannot read the Parquet file: {exc}") from exc

    def _rows(self, pq: Any) -> Iterator[Record | BadRecord]:
        pf = pq.ParquetFile(self.path)
        names = pf.schema_arrow.names
        if self.text_field not in names:
            raise RecordError(
                self.file,
                0,
                f"no column {shorten(self.text_field)!r} (columns: {shown_names(names)}); "
                "choose the text column with --text-field",
            )
        repeated = repeated_name(names)
        if repeated:
            raise RecordError(self.file, 0, repeated)
        total_rows = max(1, pf.metadata.num_rows)
        size = self.path.stat().st_size
        row = 0
        for batch in pf.iter_batches(batch_size=4096):
            for rec in batch.to_pylist():
                row += 1
                text = rec[self.text_field]
                if not isinstance(text, str):
                    what = "null" if text is None else type(text).__name__
                    yield BadRecord(
                        self.file, row, f"column {self.text_field!r} is {what}, not a string"
                    )
                    continue
                yield Record(
                    row,
                    self.record_id(rec.get(self.id_field), row),
                    text,
                    rec,
                    file=self.file,
                    unit=self.unit,
                )
            self.bytes_read = size * row // total_rows


class ParquetWriter(RowWriter):
    name = ParquetReader.name
    suffix = ".parquet"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._pq = require_pyarrow()  # before anything is written: a missing pyarrow stops at once
        self._rows: list[tuple[Record, list[Any]]] = []
        self._writer: Any = None
        self._schema: Any = None

    def start(self, columns: list[str]) -> None:
        pass  # the schema comes from the first batch

    def write_row(self, rec: Record, values: list[Any]) -> None:
        self._rows.append((rec, values))
        if len(self._rows) >= WRITE_BATCH_ROWS:
            self._flush()

    def close(self) -> None:
        try:
            self._flush()
            if self._writer is None:  # no records
                import pyarrow as pa

                self._pq.write_table(pa.table({}), self.path)
        finally:
            if self._writer is not None:
                self._writer.close()

    def _flush(self) -> None:
        if not self._rows:
            return
        import pyarrow as pa

        names = self.columns or []  # set by the first row
        cols = list(zip(*(v for _, v in self._rows), strict=True))
        types = [None] * len(cols) if self._schema is None else [f.type for f in self._schema]
        arrays = []
        for name, col, typ in zip(names, cols, types, strict=True):
            try:
                arrays.append(pa.array(col, type=typ))
            except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                row = _first_misfit(pa, col, typ)
                if typ is None and row == 0:  # no type to fit: the value itself (a map)
                    why = f"cannot be written back as a Parquet value ({exc})"
                else:
                    why = (
                        f"does not fit the column's type (a Parquet column has one type, taken "
                        f"from the first {WRITE_BATCH_ROWS:,} records written: {exc})"
                    )
                raise self.refuse(
                    self._rows[row][0],
                    f"its field {shorten(name)!r} {why}; use --output-format jsonl",
                ) from exc
        if self._schema is None:
            self._schema = pa.schema(
                [pa.field(n, a.type) for n, a in zip(names, arrays, strict=True)]
            )
        table = pa.Table.from_arrays(arrays, schema=self._schema)
        if self._writer is None:
            self._writer = self._pq.ParquetWriter(self.path, self._schema)
        self._writer.write_table(table)
        self._rows = []


def _first_misfit(pa: Any, col: Sequence[Any], typ: Any) -> int:
    """The first row of ``col`` that ``pa.array`` cannot take (as type ``typ``, or inferred
    with the rows before it): a prefix that fails keeps failing, so a binary search finds it."""
    lo, hi = 0, len(col) - 1  # the row is in [lo, hi]
    while lo < hi:
        mid = (lo + hi) // 2
        try:
            pa.array(col[: mid + 1], type=typ)
            lo = mid + 1
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            hi = mid
    return lo
