"""Plain text: a folder of ``.txt`` files (every file below it, sorted by path) or one ``.txt``
file, each file one record. Its id is its path relative to the folder (prefixed with the
folder among several inputs); a file given directly is its name (its path, as given, among
several inputs: never ``dir/a.txt/a.txt``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from .base import BOM, BadRecord, Reader, Record

__all__ = ["TxtReader"]


class TxtReader(Reader):
    name = "txt"
    suffixes = (".txt",)
    compressible = False
    reads_folders = True

    def files(self) -> list[Path]:
        if not self.path.is_dir():
            return [self.path]
        return sorted(p for p in self.path.rglob("*.txt") if p.is_file())

    def records(self) -> Iterator[Record | BadRecord]:
        folder = self.path.is_dir()
        for f in self.files():
            if folder:
                rid = self.record_id(None, f.relative_to(self.path).as_posix())
            else:  # a file given directly: its name alone, or its path among several inputs
                rid = self.id_prefix if self.id_prefix is not None else Path(self.file).name
            data = f.read_bytes()
            self.bytes_read += len(data)
            data = data.removeprefix(BOM)  # as every other format drops it
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                line = data.count(b"\n", 0, exc.start) + 1
                yield BadRecord(str(f), line, "invalid UTF-8")
                continue
            yield Record(1, rid, text, {self.id_field: rid, self.text_field: text}, file=str(f))
