"""Tell a file's format from its first bytes (never from its name)."""

from __future__ import annotations

import re

from analyzer.parse.containers import _EXPORT, _TAIL, split_lines

HEAD_BYTES = 65536
"""How much of a file's (decompressed) start detection looks at."""

FORMATS = ("export", "tail", "text", "json", "insights-csv", "empty", "binary")
"""Every answer `detect` can give."""

_CONTAINER_KEY = re.compile(r'"(events|messageType|awslogs|results|logEvents|@message|field)"\s*:')


def is_binary(head: bytes) -> bool:
    """True for data that is not text: NUL bytes or mostly control bytes."""
    if not head:
        return False
    sample = head[:4096]
    if b"\x00" in sample and sample.count(b"\x00") * 50 > len(sample):
        return True
    text_chars = bytes(range(32, 256)) + b"\t\n\r\f\b\x1b"
    junk = len(sample.translate(None, text_chars))
    return junk * 10 > len(sample)


def detect(head: bytes) -> str:
    """The format of a file whose decompressed start is `head` (one of FORMATS)."""
    if not head.strip():
        return "empty"
    if is_binary(head):
        return "binary"
    text = head.decode("utf-8", "replace").removeprefix("\ufeff")
    stripped = text.lstrip()
    if stripped.startswith("["):
        return "json"
    if stripped.startswith("{"):
        first = stripped.split("\n", 1)[0]
        if _CONTAINER_KEY.search(first[:4096]) or first.rstrip() == "{":
            return "json"
        return "text"
    lines = [ln for ln in split_lines(text)[:200] if ln.strip()]
    if len(lines) > 1 and len(head) == HEAD_BYTES:
        lines.pop()  # the last line of a head may be cut short
    first = lines[0] if lines else ""
    if "@message" in first or first.startswith(("@timestamp", '"@timestamp"')):
        return "insights-csv"
    if _TAIL.match(first):
        return "tail"
    hits = sum(1 for ln in lines if _EXPORT.match(ln))
    if _EXPORT.match(first) and hits * 2 >= len(lines):
        return "export"
    return "text"
