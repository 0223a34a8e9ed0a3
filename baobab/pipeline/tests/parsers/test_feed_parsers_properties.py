"""Property tests: no input makes a feed parser raise out of ``parse()``.

Arbitrary bytes, real samples cut short, re-encoded (Latin-1, UTF-16),
sprinkled with junk or given huge fields: every line either becomes an event
or a rejected record with a reason, and no chunk falls back on the internal
error net.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from baobab.pipeline.parsers import get_parser
from baobab.pipeline.parsers._chunks import INTERNAL_ERROR
from baobab.pipeline.parsers.base import ReportError, UnknownReportError
from baobab.pipeline.tests.parsers._harness import HEAD_LINES, check_frame, sample

GENERIC_CSV = {
    "delimiter": ",",
    "skip_comments": "#",
    "columns": {"ip": "source.ip", "port": "source.port", "seen": "time.source"},
}
GENERIC_JSON = {"fields": {"ip": "source.ip", "a.b": "source.fqdn", "n": "source.port"}}

# parser, sample it mutates, options, file name
SUBJECTS: list[tuple[str, str, dict[str, Any], str]] = [
    ("feodotracker", "abusech/feodotracker.csv", {}, "ipblocklist.csv"),
    ("urlhaus", "abusech/urlhaus.csv", {}, "csv_recent.txt"),
    ("threatfox", "abusech/threatfox.csv", {}, "recent.csv"),
    ("threatfox-json", "abusech/threatfox.json", {}, "recent.json"),
    ("sslbl", "abusech/sslbl.csv", {}, "sslipblacklist.csv"),
    ("spamhaus-drop", "spamhaus/drop.txt", {}, "drop.txt"),
    ("spamhaus-asndrop", "spamhaus/asndrop.json", {}, "asndrop.json"),
    ("blocklist-de", "blocklistde/ssh.txt", {}, "ssh.txt"),
    ("dshield-block", "dshield/block.txt", {}, "block.txt"),
    ("dataplane", "dataplane/sshpwauth.txt", {}, "sshpwauth.txt"),
    ("openphish", "openphish/feed.txt", {}, "feed.txt"),
    ("phishtank", "phishtank/online-valid.csv", {}, "online-valid.csv"),
    ("intelmq", "intelmq/events.jsonl", {}, "events.jsonl"),
    ("generic-csv", "generic/scanners.csv", GENERIC_CSV, "export.csv"),
    ("generic-json", "generic/array.json", GENERIC_JSON, "export.json"),
]
NAMES = [subject[0] for subject in SUBJECTS]
BY_NAME = {subject[0]: subject for subject in SUBJECTS}


def exercise(parser_name: str, data: bytes, options: dict[str, Any], file_name: str) -> None:
    """Run a parser as the runner does and check its promises."""
    parser = get_parser(parser_name)
    lines = data.split(b"\n")
    try:
        setup = parser.setup(lines[:HEAD_LINES], file_name=file_name, report="", options=options)
    except (ReportError, UnknownReportError):
        return  # a report that cannot be read at all is refused up front: allowed
    body = lines[setup.skip_lines :]
    first = setup.skip_lines + 1
    step = 5 if parser.line_based else max(len(body), 1)
    for start in range(0, len(body), step):
        chunk = body[start : start + step]
        result = parser.parse(chunk, first + start, setup)
        if result.frame.height:
            check_frame(result.frame)
        numbers = result.frame["baobab.line"].to_list() if result.frame.height else []
        rejected = [item.line for item in result.rejected]
        for item in result.rejected:
            assert item.reason
            assert not item.reason.startswith(INTERNAL_ERROR), item.reason
        if parser.line_based:
            span = range(first + start, first + start + len(chunk))
            assert all(number in span for number in numbers + rejected)
            assert not set(numbers) & set(rejected)
            assert len(set(numbers)) == len(numbers)


def mutate(data: bytes, draw: st.DrawFn) -> bytes:
    """The sample with random damage done to it."""
    lines = data.split(b"\n")
    for _ in range(draw(st.integers(0, 6))):
        if not lines:
            break
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["cut", "junk", "huge", "drop", "dup", "quote", "nul"]))
        line = lines[index]
        if action == "cut":
            lines[index] = line[: draw(st.integers(0, len(line)))]
        elif action == "junk":
            lines[index] = line + draw(st.binary(max_size=40))
        elif action == "huge":
            lines[index] = line + b"," + b"A" * draw(st.integers(1_000, 200_000))
        elif action == "drop":
            del lines[index]
        elif action == "dup":
            lines.insert(index, line)
        elif action == "quote":
            lines[index] = line.replace(b",", b'",', 1)
        else:
            lines[index] = line.replace(b".", b"\x00", 1)
    text = b"\n".join(lines)
    encoding = draw(st.sampled_from(["utf-8", "latin-1", "utf-16", "crlf", "bom"]))
    if encoding == "latin-1":
        return text.decode("utf-8", "replace").replace("e", "é").encode("latin-1", "replace")
    if encoding == "utf-16":
        return text.decode("utf-8", "replace").encode("utf-16")
    if encoding == "crlf":
        return text.replace(b"\n", b"\r\n")
    if encoding == "bom":
        return b"\xef\xbb\xbf" + text
    return text


@st.composite
def damaged_samples(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(NAMES))
    return name, mutate(sample(BY_NAME[name][1]), draw)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged_samples())
def test_damaged_samples_never_raise(subject: tuple[str, bytes]) -> None:
    name, data = subject
    _name, _path, options, file_name = BY_NAME[name]
    exercise(name, data, options, file_name)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(NAMES), st.binary(max_size=2_000))
def test_arbitrary_bytes_never_raise(name: str, data: bytes) -> None:
    _name, _path, options, file_name = BY_NAME[name]
    exercise(name, data, options, file_name)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(NAMES),
    st.lists(
        st.text(alphabet=st.characters(codec="utf-8"), max_size=80).map(str.encode),
        max_size=30,
    ),
)
def test_arbitrary_text_lines_never_raise(name: str, lines: list[bytes]) -> None:
    _name, _path, options, file_name = BY_NAME[name]
    exercise(name, b"\n".join(lines), options, file_name)


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(NAMES),
    st.sampled_from([b"{", b"[", b'"', b",", b"|", b"\t", b";", b"#", b"\\", b"\x00", b"\r"]),
    st.integers(1, 50_000),
)
def test_runs_of_a_special_character_never_raise(name: str, char: bytes, count: int) -> None:
    _name, _path, options, file_name = BY_NAME[name]
    exercise(name, char * count + b"\n" + sample(BY_NAME[name][1]), options, file_name)
