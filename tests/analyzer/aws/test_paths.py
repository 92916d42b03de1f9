"""Names from AWS never become paths outside the output folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.aws._paths import (
    MAX_COMPONENT,
    UnsafePathError,
    group_dir,
    safe_component,
    safe_join,
)


@pytest.mark.parametrize(
    "key",
    ["../../etc/passwd", "/etc/passwd", "a/../../../b", "..\\..\\win", "x\x00y/../z"],
)
def test_hostile_keys_stay_inside_out(tmp_path: Path, key: str):
    """Keys with '..', absolute paths, backslashes or NUL resolve inside the folder."""
    path = safe_join(tmp_path / "out", key)
    assert (tmp_path / "out").resolve() in path.resolve().parents
    assert "\x00" not in str(path)


def test_only_dots_is_refused(tmp_path: Path):
    """A key made only of '.' and '..' has no usable path and is refused."""
    with pytest.raises(UnsafePathError):
        safe_join(tmp_path, "../..")


def test_log_group_becomes_nested_folder(tmp_path: Path):
    """'/aws/lambda/orders' maps to out/aws/lambda/orders."""
    assert group_dir(tmp_path, "/aws/lambda/orders") == tmp_path.resolve() / "aws/lambda/orders"


def test_stream_folder_keeps_brackets_and_dollar(tmp_path: Path):
    """An export stream folder like '2026-11-25-[$LATEST]abc' is kept readable."""
    path = safe_join(tmp_path, "p/t/2026-11-25-[$LATEST]abc/000000.gz")
    assert path.parent.name == "2026-11-25-[$LATEST]abc"


@pytest.mark.parametrize("name", [".x", "..-..-etc-evil", ".hidden"])
def test_component_never_starts_with_a_dot(name: str):
    """A stream or key part starting with '.' becomes a name the loader does not skip."""
    assert not safe_component(name).startswith(".")


def test_long_multibyte_name_fits_in_bytes_and_stays_distinct():
    """Two 300-character names sharing a prefix fit in MAX_COMPONENT bytes and differ."""
    a, b = "é" * 299 + "a", "é" * 299 + "b"
    assert len(safe_component(a).encode()) <= MAX_COMPONENT
    assert safe_component(a) != safe_component(b)
