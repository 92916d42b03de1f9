"""The fast bulk writers for benchmarks: S3-export text and gzip parts with exact counts."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from analyzer.generator import BulkTruth, generate_export_parts, generate_export_text

LINES = 30_000


@pytest.fixture(scope="module")
def export_text(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BulkTruth]:
    """One export text file of about 30 000 lines."""
    path = tmp_path_factory.mktemp("bulk") / "export.txt"
    return path, generate_export_text(path, lines=LINES, seed=5)


def test_counts_match_file(export_text: tuple[Path, BulkTruth]) -> None:
    """Lines, REPORTs, cold REPORTs and bytes in the file are those the truth states."""
    path, truth = export_text
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == truth.lines
    reports = [line for line in lines if " REPORT " in line]
    assert len(reports) == truth.invocations
    assert sum("Init Duration" in line for line in reports) == truth.cold_starts
    assert sum("Status: timeout" in line for line in reports) == truth.timeouts
    assert sum("\tInvoke Error " in line for line in lines) == truth.errors
    assert path.stat().st_size == truth.bytes


def test_shape_like_the_anchor(export_text: tuple[Path, BulkTruth]) -> None:
    """About 121 bytes a line, 22 % REPORT lines and 5 % cold starts, like anchors.md."""
    _, truth = export_text
    assert LINES <= truth.lines < LINES + 10
    assert 110 <= truth.bytes / truth.lines <= 132
    assert 0.205 <= truth.invocations / truth.lines <= 0.235
    assert 0.035 <= truth.cold_starts / truth.invocations <= 0.065


def test_every_line_starts_with_a_timestamp(export_text: tuple[Path, BulkTruth]) -> None:
    """Every line has the S3-export `<ISO ts> <message>` prefix."""
    path, _ = export_text
    for line in path.read_text(encoding="utf-8").splitlines():
        assert line[:2] == "20" and line[23:25] == "Z ", line


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    """The same seed writes the same file."""
    generate_export_text(tmp_path / "a.txt", lines=2000, seed=9)
    generate_export_text(tmp_path / "b.txt", lines=2000, seed=9)
    assert (tmp_path / "a.txt").read_bytes() == (tmp_path / "b.txt").read_bytes()


def test_parts_hold_the_same_data(tmp_path: Path, export_text: tuple[Path, BulkTruth]) -> None:
    """The gzip parts hold the same lines as the single text file, in the export layout."""
    path, truth = export_text
    parts_truth = generate_export_parts(tmp_path, lines=LINES, parts=7, seed=5)
    parts = sorted(tmp_path.glob("exportedlogs/*/*/000000.gz"))
    assert len(parts) == 7 == parts_truth.files
    assert all("[$LATEST]" in p.parent.name for p in parts)
    joined = b"".join(gzip.decompress(p.read_bytes()) for p in parts)
    assert sorted(joined.splitlines()) == sorted(path.read_bytes().splitlines())
    assert (parts_truth.invocations, parts_truth.lines) == (truth.invocations, truth.lines)
