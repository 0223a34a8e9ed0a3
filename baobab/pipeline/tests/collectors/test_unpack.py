"""Unpacking gzip'd and zipped reports within the size limit, and cleaning
file names that come from outside."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import pytest

from baobab.pipeline.collectors import CollectorError, TooLargeError
from baobab.pipeline.collectors.base import clean_file_name
from baobab.pipeline.collectors.unpack import kind_of, unpack


def unpacked(path: Path, name: str, scratch: Path, limit: int = 10_000) -> list[tuple[str, bytes]]:
    return [(n, p.read_bytes()) for p, n in unpack(path, name, scratch, limit=limit)]


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    folder = tmp_path / "scratch"
    folder.mkdir()
    return folder


def test_kinds_are_told_by_content_not_by_name(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(gzip.compress(b"x"))
    with zipfile.ZipFile(tmp_path / "b.gz", "w") as out:
        out.writestr("b.csv", b"x")
    (tmp_path / "c.zip").write_bytes(b"plain,text\n")
    (tmp_path / "d").write_bytes(b"")
    assert [kind_of(tmp_path / n) for n in ("a.csv", "b.gz", "c.zip", "d")] == [
        "gzip", "zip", "plain", "plain"
    ]  # fmt: skip


def test_plain_gzip_and_zip(tmp_path: Path, scratch: Path) -> None:
    plain = tmp_path / "p.csv"
    plain.write_bytes(b"rows")
    (tmp_path / "g.csv.GZ").write_bytes(gzip.compress(b"gzipped"))
    with zipfile.ZipFile(tmp_path / "z.zip", "w") as out:
        out.writestr("reports/", b"")
        out.writestr("reports/../../../etc/a.csv", b"a")
        out.writestr("__MACOSX/._a.csv", b"junk")
        out.writestr("b.csv", b"b")
    assert list(unpack(plain, "p.csv", scratch, limit=100)) == [(plain, "p.csv")]
    assert unpacked(tmp_path / "g.csv.GZ", "g.csv.GZ", scratch) == [("g.csv", b"gzipped")]
    assert unpacked(tmp_path / "z.zip", "z.zip", scratch) == [("a.csv", b"a"), ("b.csv", b"b")]


def test_limits_hold_for_plain_files_gzip_and_zip_in_all(tmp_path: Path, scratch: Path) -> None:
    (tmp_path / "big").write_bytes(b"x" * 101)
    (tmp_path / "bomb.gz").write_bytes(gzip.compress(b"\0" * 10_000_000))
    with zipfile.ZipFile(tmp_path / "many.zip", "w", zipfile.ZIP_DEFLATED) as out:
        for index in range(3):
            out.writestr(f"{index}.csv", b"y" * 40)
    for name in ("big", "bomb.gz"):
        with pytest.raises(TooLargeError):
            unpacked(tmp_path / name, name, scratch, limit=100)
    with pytest.raises(TooLargeError):  # 40 + 40 + 40 > 100
        unpacked(tmp_path / "many.zip", "many.zip", scratch, limit=100)


def test_broken_archives_are_errors(tmp_path: Path, scratch: Path) -> None:
    (tmp_path / "cut.gz").write_bytes(gzip.compress(b"x" * 1000)[:20])
    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04 and nothing else")
    with zipfile.ZipFile(tmp_path / "empty.zip", "w"):
        pass
    with pytest.raises(CollectorError, match="not a readable gzip file"):
        unpacked(tmp_path / "cut.gz", "cut.gz", scratch)
    with pytest.raises(CollectorError, match="not a readable ZIP archive"):
        unpacked(tmp_path / "bad.zip", "bad.zip", scratch)
    with pytest.raises(CollectorError, match="holds no report"):
        unpacked(tmp_path / "empty.zip", "empty.zip", scratch)


@pytest.mark.parametrize(
    ("given", "clean"),
    [
        ("2024-05-01-scan_telnet-country-geo.csv", "2024-05-01-scan_telnet-country-geo.csv"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\report.csv", "report.csv"),
        (".bashrc", "bashrc"),
        ("a\x00b\nc.csv", "abc.csv"),
        ("", "default"),
        (None, "default"),
        ("..", "default"),
    ],
)
def test_clean_file_name(given: str | None, clean: str) -> None:
    assert clean_file_name(given, default="default") == clean
