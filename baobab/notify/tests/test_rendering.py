"""Message texts: the shipped templates in every language, the context a
template sees, the TLP label and reference that are always there, and the
sandbox refusing what a template must not do."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest

from baobab.notify.digest import Digest, build_digests
from baobab.notify.policy import Policy
from baobab.notify.rendering import (
    MAX_OUTPUT,
    MAX_SOURCE,
    SHIPPED_LANGUAGES,
    TLP_MEANINGS,
    TemplateProblem,
    check_template,
    digest_context,
    render_message,
    shipped_template,
    tlp_label,
    tlp_meaning,
)

NOW = dt.datetime(2024, 5, 2, 6, 30, tzinfo=dt.UTC)
REFERENCE = "BAO-2024-000042"


def _events() -> pl.DataFrame:
    """Six events of team 1: four scanners, two infected systems; one RED
    event of team 2 nobody here may see."""
    return pl.DataFrame(
        {
            "baobab.team_id": [1, 1, 1, 1, 1, 1, 2],
            "time.source": [
                "2024-05-01T09:00:00+00:00",
                "2024-05-01T07:15:00+00:00",
                "2024-05-01T08:00:00+00:00",
                "2024-05-01T11:00:00+00:00",
                "2024-05-01T10:00:00+00:00",
                "2024-05-01T12:45:00+00:00",
                "2024-05-01T12:00:00+00:00",
            ],
            "classification.taxonomy": ["information-gathering"] * 4 + ["malicious-code"] * 3,
            "classification.type": ["scanner"] * 4 + ["infected-system"] * 3,
            "source.ip": [
                "192.0.2.1",
                "192.0.2.2",
                "192.0.2.3",
                "192.0.2.4",
                "198.51.100.5",
                "198.51.100.6",
                "203.0.113.7",
            ],
            "source.port": [22, 23, 445, 3389, 8080, None, 80],
            "source.asn": [64500] * 7,
            "source.fqdn": ["a.example", None, None, None, "b.example", None, None],
            "malware.name": [None, None, None, None, "mirai", "mirai", None],
            "raw": ["c2VjcmV0"] * 7,
            "tlp": ["green", "amber", "green", "green", "amber", "green", "red"],
        }
    )


def _digest(**policy: Any) -> Digest:
    chosen = Policy(("team", 1), team_ids=frozenset({1}), group_by=(), max_inline=3, **policy)
    (digest,) = build_digests(_events(), [chosen], now=NOW)
    return digest


def _context(language: str = "en", **changes: Any) -> dict[str, Any]:
    context = digest_context(
        _digest(),
        _events(),
        reference=REFERENCE,
        recipient_name="Example Networks",
        team_name="CERT Example",
        interval_end=dt.datetime(2024, 5, 3, tzinfo=dt.UTC),
        attachment_name="baobab-BAO-2024-000042.csv",
        language=language,
    )
    context.update(changes)
    return context


def _plain(value: object) -> bool:
    if isinstance(value, dict):
        return all(isinstance(key, str) and _plain(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_plain(item) for item in value)
    return isinstance(value, str | int | float | bool)


def test_the_context_holds_plain_data_only() -> None:
    context = _context()
    assert _plain(context)
    assert context["tlp"] == "TLP:AMBER"
    assert context["count"] == 6
    assert context["listed"] == 3
    assert context["truncated"] is True
    assert context["by_classification"] == [
        {"type": "scanner", "count": 4},
        {"type": "infected-system", "count": 2},
    ]
    # the earliest three are listed, earliest first
    assert [row["source_ip"] for row in context["events"]] == [
        "192.0.2.2",
        "192.0.2.3",
        "192.0.2.1",
    ]
    assert context["events"][2]["source_fqdn"] == "a.example"
    assert context["events"][0]["malware_name"] == ""
    assert "raw" not in context["events"][0]
    assert context["earliest"] == "2024-05-01T07:15:00+00:00"
    assert context["latest"] == "2024-05-01T12:45:00+00:00"
    assert context["interval_start"] == "2024-05-02T00:00:00+00:00"
    assert context["interval_end"] == "2024-05-03T00:00:00+00:00"
    assert context["attachment"] == "baobab-BAO-2024-000042.csv"
    assert context["inline_table"].splitlines()[2].split()[3] == "192.0.2.2"


def test_tlp_labels_and_meanings() -> None:
    assert [tlp_label(v) for v in ("clear", "amber+strict", "red")] == [
        "TLP:CLEAR",
        "TLP:AMBER+STRICT",
        "TLP:RED",
    ]
    with pytest.raises(ValueError, match="white"):
        tlp_label("white")
    assert tlp_meaning("red", "fr") == TLP_MEANINGS["fr"]["red"]
    assert tlp_meaning("red", "pt-PT") == TLP_MEANINGS["pt"]["red"]
    assert tlp_meaning("green", "sw") == TLP_MEANINGS["en"]["green"]
    for language in SHIPPED_LANGUAGES:
        meanings = TLP_MEANINGS[language]
        assert set(meanings) == {"clear", "green", "amber", "amber+strict", "red"}
        assert len(set(meanings.values())) == 5


@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
def test_every_shipped_language_renders_a_digest(language: str) -> None:
    subject_source, body_source = shipped_template(language)
    assert check_template(subject_source, body_source) == []
    text = render_message(subject_source, body_source, _context(language))
    assert "\n" not in text.subject
    assert text.subject.startswith(f"[TLP:AMBER] [{REFERENCE}] ")
    assert "6" in text.subject
    assert text.body.startswith("TLP:AMBER\n")
    assert REFERENCE in text.body
    assert " 6 " in text.body
    assert TLP_MEANINGS[language]["amber"] in text.body
    assert "Example Networks" in text.body
    assert text.body.rstrip().endswith("CERT Example")
    assert "baobab-BAO-2024-000042.csv" in text.body
    # the listed events are there, the others only in the attachment
    assert "192.0.2.2" in text.body
    assert "198.51.100.6" not in text.body
    assert "\n\n\n" not in text.body


@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
def test_shipped_templates_without_attachment_nor_interval(language: str) -> None:
    context = _context(language, attachment="", earliest="", latest="", truncated=False)
    text = render_message(*shipped_template(language), context)
    assert ".csv" not in text.body
    assert "2024-05-01T07:15" not in text.body
    assert REFERENCE in text.body


def test_shipped_template_files_and_fallback() -> None:
    subject, body = shipped_template("en")
    assert "\n" not in subject
    assert "{{ reference }}" in subject
    assert not body.startswith("\n")
    assert shipped_template("pt-PT") == shipped_template("pt")
    assert shipped_template("de") == (subject, body)
    assert shipped_template("fr") != (subject, body)


def test_subject_and_body_always_carry_tlp_and_reference() -> None:
    context = _context(tlp="TLP:RED")
    text = render_message("Events\nfor {{ recipient }}", "Hello.", context)
    assert text.subject == f"[TLP:RED] [{REFERENCE}] Events for Example Networks"
    assert text.body == "TLP:RED\n\nHello.\n"
    text = render_message("{{ reference }}: events", "{{ tlp }} – hello.", context)
    assert text.subject == f"[TLP:RED] {REFERENCE}: events"
    assert text.body == "TLP:RED – hello.\n"
    text = render_message("{{ tlp }} {{ reference }}", "x", context)
    assert text.subject == f"TLP:RED {REFERENCE}"


def test_another_label_in_the_text_does_not_count() -> None:
    # TLP:AMBER is not written by TLP:AMBER+STRICT, nor the other way round
    text = render_message("TLP:AMBER+STRICT {{ reference }}", "TLP:AMBER+STRICT", _context())
    assert text.subject == f"[TLP:AMBER] TLP:AMBER+STRICT {REFERENCE}"
    assert text.body == "TLP:AMBER\n\nTLP:AMBER+STRICT\n"
    text = render_message(
        "TLP:AMBER {{ reference }}", "TLP:AMBER", _context(tlp="TLP:AMBER+STRICT")
    )
    assert text.subject == f"[TLP:AMBER+STRICT] TLP:AMBER {REFERENCE}"
    assert text.body.startswith("TLP:AMBER+STRICT\n\nTLP:AMBER")


def test_a_template_can_use_the_context() -> None:
    body = (
        "{% macro row(e) %}{{ e.source_ip }}:{{ e.source_port or '-' }}{% endmacro %}"
        "{% for e in events %}{{ loop.index }}. {{ row(e) }} {{ e.source_fqdn|upper }}\n"
        "{% endfor %}"
        "{{ by_classification|map(attribute='type')|join(', ') }}; "
        "{{ 'more' if truncated else 'all' }}; {{ (count - listed) ~ ' left' }}; "
        "{{ tlp.lower().startswith('tlp:') }}; {{ nothing|default('none') }}"
    )
    text = render_message("{{ tlp }} {{ reference }}", body, _context())
    assert text.body == (
        "TLP:AMBER\n\n"
        "1. 192.0.2.2:23\n"
        "2. 192.0.2.3:445\n"
        "3. 192.0.2.1:22 A.EXAMPLE\n"
        "scanner, infected-system; more; 3 left; True; none\n"
    )


def _problem(body: str) -> str:
    with pytest.raises(TemplateProblem) as caught:
        render_message("{{ reference }}", body, _context())
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("{{ ''.__class__.__mro__ }}", "access to attribute '__class__' of 'str' object is unsafe"),
        ("{{ reference.__class__ }}", "unsafe"),
        ("{{ reference|attr('__len__') }}", "unsafe"),
        ("{{ events[0].__class__.__subclasses__() }}", "unsafe"),
        ("{{ cycler }}", "'cycler' is undefined"),
        ("{{ range(10) }}", "'range' is undefined"),
        ("{{ lipsum(5) }}", "'lipsum' is undefined"),
        ("{% set ns = namespace(a=1) %}", "'namespace' is undefined"),
        ("{{ events.append(1) }}", "unsafe"),
        ("{{ 'x' * 10**9 }}", "longer than 200,000 characters"),
        ("{{ 10 ** 100 }}", "too large a number"),
        ("{{ 'x'|center(1000000000) }}", "too large"),
        ("{{ 'x'.center(1000) }}", "center() cannot be called"),
        ("{{ '{:>999999999}'.format(1) }}", "format() cannot be called"),
        ("{{ '%999999999d' % 1 }}", "formatting text with %"),
        ("{{ reference|format(1) }}", "No filter named 'format'"),
        ("{% include 'other' %}", "{% include %} is not available"),
        ("{% for e in events recursive %}{{ loop(e) }}{% endfor %}", "recursive loops"),
        ("{{ [events, events]|sum(start=[]) }}", "sum adds numbers only"),
    ],
)
def test_the_sandbox_refuses(body: str, expected: str) -> None:
    message = _problem(body)
    assert message.startswith("body, line 1: ")
    assert expected in message


@pytest.mark.parametrize(
    "body",
    [
        "{% set a = reference %}" + "{% set a = a ~ a %}" * 40,
        "{% set a = reference %}" + "{% set a = a + a %}" * 40,
        "{% set a = reference %}" + "{% set a %}{{ a }}{{ a }}{% endset %}" * 40,
        "{% macro twice(s) %}{{ s }}{{ s }}{% endmacro %}{% set a = reference %}"
        + "{% set a = twice(a) %}" * 40,
        "{% set a = reference %}" + "{% set a = a|replace('B', 'BBBBBBBB') %}" * 20,
        "{{ inline_table|list|join(inline_table * 100) }}",
        "{{ ('\n' * 199999)|indent(199999) }}",
    ],
)
def test_the_sandbox_refuses_values_that_double_and_double(body: str) -> None:
    assert "longer than 200,000 characters" in _problem(body)


def test_the_sandbox_stops_a_runaway_output() -> None:
    body = (
        "{% for a in inline_table %}{% for b in inline_table %}"
        "{{ inline_table }}{% endfor %}{% endfor %}"
    )
    assert _problem(body) == f"body: the text is longer than {MAX_OUTPUT:,} characters"


def test_the_sandbox_stops_work_that_writes_nothing() -> None:
    loops = "{% for a in s %}{% for b in s %}{% for c in s %}{% endfor %}{% endfor %}{% endfor %}"
    assert "too much work" in _problem("{% set s = inline_table %}" + loops)
    calls = (
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}"
    )
    assert "too much work" in _problem(calls)
    assert "calls itself too deeply" in _problem("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}")


def test_an_over_long_template_is_refused() -> None:
    assert _problem("x" * (MAX_SOURCE + 1)) == (
        f"body: the template is longer than {MAX_SOURCE:,} characters"
    )
    assert check_template("{{ reference }}", "x" * (MAX_SOURCE + 1)) == [
        f"body: the template is longer than {MAX_SOURCE:,} characters"
    ]


def test_errors_are_one_line_with_their_line_number() -> None:
    assert _problem("Hello,\n\n{% if %}\nbye") == (
        "body, line 3: Expected an expression, got 'end of statement block'"
    )
    assert _problem("a\nb\n{{ count / 0 }}") == "body, line 3: division by zero"
    assert _problem("a\n{{ recipient }}\n{{ nobody }}") == "body, line 3: 'nobody' is undefined"
    problems = check_template("{% if %}", "{% for e in events %}\n{{ e.source_ip }\n{% endfor %}")
    assert problems[0] == "subject, line 1: Expected an expression, got 'end of statement block'"
    assert problems[1].startswith("body, line 2: ")
    assert len(problems) == 2
    assert all("\n" not in problem for problem in problems)


def test_check_template_finds_unknown_names_in_any_branch() -> None:
    body = "{% if false %}\n{{ recipent }}\n{% endif %}\n{{ team }}\n{{ conut }}"
    assert check_template("{{ reference }}", body) == [
        "body, line 2: unknown variable 'recipent'",
        "body, line 5: unknown variable 'conut'",
    ]
    fine = "{% for e in events %}{{ loop.index }} {{ e.source_ip }}{% endfor %}{{ listed }}"
    assert check_template("{{ tlp }}", fine) == []
