"""Turn the user's PATH arguments into readable sources: files, folders, globs, stdin, .gz."""

from __future__ import annotations

import glob
import hashlib
import os
import sys
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

SKIP_NAMES = frozenset({"aws-logs-write-test"})
"""Files an S3 export writes that hold no logs (the permission probe)."""

GZIP_MAGIC = b"\x1f\x8b"


@dataclass(slots=True)
class Source:
    """One file to load: where it is and how to show it to the user."""

    path: str
    display: str
    size: int
    mtime: float
    gzip: bool
    temp: bool = False


@dataclass(slots=True)
class Content:
    """A source's decompressed bytes and whether the gzip stream ended early."""

    data: bytes
    truncated: bool


def _is_gzip(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(2) == GZIP_MAGIC
    except OSError:
        return False


def _source(path: str, display: str | None = None, *, temp: bool = False) -> Source:
    st = os.stat(path)
    return Source(path, display or path, st.st_size, st.st_mtime, _is_gzip(path), temp)


def source_at(path: str) -> Source:
    """The source of one existing file (raises OSError when it cannot be read)."""
    return _source(path)


def _walk(folder: str) -> list[str]:
    found: list[str] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(
            os.path.join(root, f)
            for f in sorted(files)
            if f not in SKIP_NAMES and not f.startswith(".")
        )
    return found


def stdin_source() -> Source:
    """Spool standard input to a temporary file so every reader can treat it as a file."""
    fd, name = tempfile.mkstemp(prefix="lambdascope-stdin-")
    with os.fdopen(fd, "wb") as out:
        while chunk := sys.stdin.buffer.read(1 << 20):
            out.write(chunk)
    return _source(name, "<stdin>", temp=True)


def expand(paths: list[str]) -> tuple[list[Source], list[str]]:
    """Every file named by `paths` (in order, each once) and a warning for each bad path."""
    out: list[Source] = []
    warnings: list[str] = []
    seen: set[str] = set()

    def add(p: str) -> None:
        real = os.path.realpath(p)
        if real not in seen:
            seen.add(real)
            try:
                out.append(_source(p))
            except OSError as exc:
                warnings.append(f"{p}: cannot read ({exc.strerror}); check the permissions")

    for arg in paths:
        if arg == "-":
            out.append(stdin_source())
        elif os.path.isdir(arg):
            files = _walk(arg)
            if not files:
                warnings.append(f"{arg}: folder holds no files; point at the folder with the logs")
            for f in files:
                add(f)
        elif os.path.isfile(arg):
            add(arg)
        elif glob.has_magic(arg):
            matches = sorted(glob.glob(arg, recursive=True))
            if not matches:
                warnings.append(f"{arg}: no file matches this pattern; check the path")
            for m in matches:
                if os.path.isdir(m):
                    for f in _walk(m):
                        add(f)
                elif os.path.basename(m) not in SKIP_NAMES:
                    add(m)
        else:
            warnings.append(f"{arg}: no such file or folder; check the path")
    return out, warnings


def _gunzip(path: str, limit: int | None = None) -> Content:
    """Decompress every gzip member; stop quietly (truncated=True) where the data ends early."""
    parts: list[bytes] = []
    got = 0
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    truncated = False
    chunk = 1 << 20 if limit is None else 16384  # a head needs a few KiB of compressed data
    with open(path, "rb") as fh:
        pending = b""
        while limit is None or got < limit:
            data = pending or fh.read(chunk)
            pending = b""
            if not data:
                truncated = not d.eof
                break
            try:
                out = d.decompress(data)
            except zlib.error:
                truncated = True
                break
            parts.append(out)
            got += len(out)
            if d.eof:
                pending = d.unused_data
                if not pending:
                    pending = fh.read(chunk)
                    if not pending:
                        break
                d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    data = b"".join(parts)
    return Content(data if limit is None else data[:limit], truncated)


def read_head(src: Source, n: int) -> bytes:
    """The first `n` decompressed bytes (fewer if the file or its gzip stream ends)."""
    if not src.gzip:
        with open(src.path, "rb") as fh:
            return fh.read(n)
    return _gunzip(src.path, n).data


def read_all(src: Source) -> Content:
    """All decompressed bytes; a truncated or corrupt gzip keeps what could be read."""
    if not src.gzip:
        return Content(Path(src.path).read_bytes(), False)
    return _gunzip(src.path)


def fingerprint(src: Source) -> str:
    """Same bytes => same value: a hash of the size, the first and the last 64 KiB."""
    h = hashlib.sha256(str(src.size).encode())
    with open(src.path, "rb") as fh:
        h.update(fh.read(65536))
        if src.size > 65536:
            fh.seek(max(65536, src.size - 65536))
            h.update(fh.read(65536))
    return h.hexdigest()[:32]
