"""Turn names that come from AWS (log groups, stream names, S3 keys) into safe paths.

Nothing AWS sends may place a file outside the output folder: `..`, absolute paths,
backslashes, NUL and other control characters are neutralised, and the result is checked.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

_UNSAFE = re.compile(r"[\x00-\x1f\x7f\\:*?\"<>|]")
MAX_COMPONENT = 200
"""Longest path component we write, in UTF-8 bytes (file systems allow 255 bytes)."""


class UnsafePathError(ValueError):
    """A name that cannot be made into a path inside the output folder."""


def safe_component(name: str) -> str:
    """One path component: unsafe characters become '_'; never empty, never starting with
    '.' (the loader skips dot-files, so such a stream would be fetched but never analysed);
    at most MAX_COMPONENT bytes, a cut name ending in a hash of the whole one."""
    cleaned = _UNSAFE.sub("_", name).strip() or "_"
    if cleaned.startswith("."):
        cleaned = "_" + cleaned[1:]
    if len(cleaned.encode("utf-8")) <= MAX_COMPONENT:
        return cleaned
    digest = "~" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    cut = cleaned.encode("utf-8")[: MAX_COMPONENT - len(digest)].decode("utf-8", "ignore")
    return cut + digest


def safe_parts(name: str) -> list[str]:
    """Split a '/'-separated AWS name into safe components, dropping '', '.' and '..'."""
    parts = [p for p in name.replace("\\", "/").split("/") if p not in {"", ".", ".."}]
    return [safe_component(p) for p in parts]


def safe_join(root: Path, *names: str) -> Path:
    """`root` joined with the safe parts of each name; guaranteed to stay inside `root`."""
    base = root.resolve()
    parts = [part for name in names for part in safe_parts(name)]
    if not parts:
        raise UnsafePathError(f"no usable path in {names!r}")
    path = base.joinpath(*parts)
    resolved = path.resolve()
    if resolved != base and base not in resolved.parents:
        raise UnsafePathError(f"{names!r} would leave {root}")
    return path


def group_dir(out: Path, log_group: str) -> Path:
    """The folder of one log group under `out`: '/aws/lambda/x' -> out/aws/lambda/x."""
    return safe_join(out, log_group)
