"""Parquet (needs ``pyarrow``, imported only when a Parquet file is read)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .._errors import RecordError
from .base import BadRecord, Reader, Record, shorten, shown_names

__all__ = ["ParquetReader"]


def require_pyarrow() -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ImportError(
            "reading Parquet needs pyarrow: pip install 'arabic-dedup[parquet]'"
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
                yield Record(row, self.record_id(rec.get(self.id_field), row), text, rec)
            self.bytes_read = size * row // total_rows
