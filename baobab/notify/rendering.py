"""Notification texts from message templates (Jinja syntax) rendered in the
sandbox of :mod:`baobab.notify.sandbox`: a team's own template sees only the
plain data of :func:`digest_context`.

The subject always carries the TLP label and the reference, the body the
TLP label: :func:`render_message` adds them when a template leaves them out.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from jinja2 import meta, nodes

from baobab.notify.attachments import event_rows, inline_table
from baobab.notify.digest import Digest
from baobab.notify.policy import TLP_ORDER
from baobab.notify.sandbox import (
    ENVIRONMENT,
    MAX_OUTPUT,
    MAX_SOURCE,
    TemplateProblem,
    check_length,
    problem_of,
    render_part,
)
from baobab.pipeline.fields import MOMENT_FORMAT

__all__ = [
    "MAX_OUTPUT",
    "MAX_SOURCE",
    "SHIPPED_LANGUAGES",
    "TLP_MEANINGS",
    "MessageText",
    "TemplateProblem",
    "check_template",
    "digest_context",
    "render_message",
    "shipped_template",
    "tlp_label",
    "tlp_meaning",
]


SHIPPED_LANGUAGES = ("en", "fr", "ar", "pt")
TEMPLATE_DIR = Path(__file__).with_name("message_templates")


@dataclass(frozen=True, slots=True)
class MessageText:
    """A rendered message: its one-line subject and plain-text body."""

    subject: str
    body: str


# --- TLP -------------------------------------------------------------------------


def tlp_label(value: str) -> str:
    """The official label of a TLP value: ``amber+strict`` → ``TLP:AMBER+STRICT``."""
    if value not in TLP_ORDER:
        raise ValueError(f"unknown TLP value {value!r}")
    return f"TLP:{value.upper()}"


# What a recipient may do with the information, per TLP 2.0 (first.org/tlp).
TLP_MEANINGS: dict[str, dict[str, str]] = {
    "en": {
        "clear": "There is no limit on disclosure: you may share this information freely.",
        "green": (
            "You may share this information with peers and partner organisations in your"
            " community, but not through publicly accessible channels."
        ),
        "amber": (
            "You may share this information only within your organisation and with its"
            " clients, on a need-to-know basis."
        ),
        "amber+strict": (
            "You may share this information only within your organisation, on a need-to-know basis."
        ),
        "red": (
            "This information is for its named recipients only: do not share it with anyone else."
        ),
    },
    "fr": {
        "clear": "Ces informations peuvent être diffusées librement, sans aucune restriction.",
        "green": (
            "Vous pouvez partager ces informations avec vos pairs et les organisations"
            " partenaires de votre communauté, mais pas par des canaux accessibles au public."
        ),
        "amber": (
            "Vous ne pouvez partager ces informations qu'au sein de votre organisation et"
            " avec ses clients, selon le principe du besoin d'en connaître."
        ),
        "amber+strict": (
            "Vous ne pouvez partager ces informations qu'au sein de votre organisation,"
            " selon le principe du besoin d'en connaître."
        ),
        "red": (
            "Ces informations sont réservées à leurs seuls destinataires nommément désignés"
            " et ne doivent être communiquées à personne d'autre."
        ),
    },
    "ar": {
        "clear": "يجوز نشر هذه المعلومات بحرية ودون أي قيود على الإفصاح.",
        "green": (
            "يجوز مشاركة هذه المعلومات مع النظراء والمنظمات الشريكة ضمن مجتمعكم،"
            " ولكن لا يجوز نشرها عبر قنوات متاحة للعموم."
        ),
        "amber": (
            "لا تجوز مشاركة هذه المعلومات إلا داخل منظمتكم ومع عملائها،"
            " وعلى أساس الحاجة إلى المعرفة فقط."
        ),
        "amber+strict": (
            "لا تجوز مشاركة هذه المعلومات إلا داخل منظمتكم، وعلى أساس الحاجة إلى المعرفة فقط."
        ),
        "red": (
            "هذه المعلومات مخصّصة لمستلميها المحدّدين بالاسم فقط، ولا يجوز الإفصاح عنها لأي طرف آخر."
        ),
    },
    "pt": {
        "clear": "Esta informação pode ser divulgada livremente, sem qualquer limite.",
        "green": (
            "Esta informação pode ser partilhada com pares e organizações parceiras da vossa"
            " comunidade, mas não através de canais acessíveis ao público."
        ),
        "amber": (
            "Esta informação só pode ser partilhada dentro da vossa organização e com os"
            " seus clientes, segundo o princípio da necessidade de conhecer."
        ),
        "amber+strict": (
            "Esta informação só pode ser partilhada dentro da vossa organização, segundo o"
            " princípio da necessidade de conhecer."
        ),
        "red": (
            "Esta informação destina-se exclusivamente aos destinatários nomeados e não pode"
            " ser divulgada a mais ninguém."
        ),
    },
}


def _language(code: str) -> str:
    """A shipped language for ``code`` (``pt-PT`` → ``pt``); English otherwise."""
    base = code.strip().lower().replace("_", "-").partition("-")[0]
    return base if base in SHIPPED_LANGUAGES else "en"


def tlp_meaning(value: str, language: str) -> str:
    """What a recipient may do with information marked ``value``, in ``language``."""
    tlp_label(value)  # refuse an unknown value
    return TLP_MEANINGS[_language(language)][value]


# --- The context -----------------------------------------------------------------


def _moment(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime(MOMENT_FORMAT)


def _context(
    *,
    reference: str,
    tlp: str,
    language: str,
    recipient: str,
    team: str,
    count: int,
    by_classification: Mapping[str, int],
    listed: pl.DataFrame,
    plain: bool = False,
    truncated: bool,
    attachment: str,
    moments: tuple[dt.datetime | None, ...],
) -> dict[str, Any]:
    interval_start, interval_end, earliest, latest = (_moment(each) for each in moments)
    ranked = sorted(by_classification.items(), key=lambda item: (-item[1], item[0]))
    return {
        "reference": reference,
        "tlp": tlp_label(tlp),
        "tlp_meaning": tlp_meaning(tlp, language),
        "recipient": recipient,
        "team": team,
        "count": count,
        "by_classification": [{"type": name, "count": n} for name, n in ranked],
        "events": event_rows(listed, plain=plain),
        "inline_table": inline_table(listed, plain=plain),
        "truncated": truncated,
        "listed": listed.height,
        "attachment": attachment,
        "interval_start": interval_start,
        "interval_end": interval_end,
        "earliest": earliest,
        "latest": latest,
    }


def digest_context(
    digest: Digest,
    events: pl.DataFrame,
    *,
    reference: str,
    recipient_name: str,
    team_name: str,
    interval_end: dt.datetime | None,
    attachment_name: str | None,
    language: str,
    plain: bool = False,
) -> dict[str, Any]:
    """What a template sees of a digest (built from ``events``, or from the
    batch's :func:`~baobab.notify.attachments.plain_events` with ``plain``):
    plain text, numbers, lists and dicts only; moments as ISO 8601 UTC text
    (or "")."""
    return _context(
        reference=reference,
        tlp=digest.tlp,
        language=language,
        recipient=recipient_name,
        team=team_name,
        count=digest.count,
        by_classification=digest.by_classification,
        listed=digest.inline(events),
        plain=plain,
        truncated=digest.truncated,
        attachment=attachment_name or "",
        moments=(digest.interval_start, interval_end, digest.earliest, digest.latest),
    )


@functools.cache
def _sample_contexts() -> tuple[dict[str, Any], ...]:
    """Contexts to try a template with: a long digest with an attachment and
    a short one without."""
    events = pl.DataFrame(
        {
            "time.source": ["2024-05-01T05:00:00+00:00", "2024-05-01T06:10:00+00:00"],
            "classification.taxonomy": ["vulnerable", "malicious-code"],
            "classification.type": ["vulnerable-system", "infected-system"],
            "source.ip": ["192.0.2.10", "198.51.100.7"],
            "source.port": [445, 8080],
            "source.asn": [64500, 64501],
            "source.fqdn": ["files.example.org", None],
            "malware.name": [None, "mirai"],
            "feed.name": ["sample-feed", "sample-feed"],
            "tlp": ["amber", "amber"],
        }
    )
    start = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    first = start + dt.timedelta(hours=5)
    reference, tlp, language = "BAO-2024-000001", "amber", "en"
    full = _context(
        reference=reference,
        tlp=tlp,
        language=language,
        recipient="Example Networks",
        team="CERT Example",
        count=120,
        by_classification={"vulnerable-system": 100, "infected-system": 20},
        listed=events,
        truncated=True,
        attachment="baobab-BAO-2024-000001.csv",
        moments=(start, start + dt.timedelta(days=1), first, start + dt.timedelta(hours=20)),
    )
    short = _context(
        reference=reference,
        tlp=tlp,
        language=language,
        recipient="Example Networks",
        team="CERT Example",
        count=1,
        by_classification={"": 1},
        listed=events.head(1),
        truncated=False,
        attachment="",
        moments=(start, None, first, first),
    )
    return (full, short)


# --- Messages ----------------------------------------------------------------------


def _has_label(text: str, label: str) -> bool:
    """Whether ``text`` carries ``label`` itself (TLP:AMBER is not in TLP:AMBER+STRICT)."""
    return re.search(re.escape(label) + r"(?![+\w])", text) is not None


def render_message(
    subject_source: str, body_source: str, context: Mapping[str, Any]
) -> MessageText:
    """The subject (one line) and body of a message; raises :class:`TemplateProblem`.

    The subject always carries the TLP label and the reference: the missing
    ones are put in front (``[TLP:AMBER] [BAO-…]``). A body without the label
    gets it as its first line. Runs of blank lines become one."""
    tlp, reference = str(context["tlp"]), str(context["reference"])
    subject = " ".join(render_part("subject", subject_source, context).split())
    missing = [
        f"[{text}]"
        for text, present in ((tlp, _has_label(subject, tlp)), (reference, reference in subject))
        if not present
    ]
    subject = " ".join([*missing, subject]).strip()
    body = render_part("body", body_source, context)
    body = "\n".join(line.rstrip() for line in body.splitlines())
    body = re.sub(r"\n{3,}", "\n\n", body).strip("\n")
    if not _has_label(body, tlp):
        body = f"{tlp}\n\n{body}"
    return MessageText(subject=subject, body=body + "\n")


def _unknown_names(part: str, source: str, known: Collection[str]) -> list[str]:
    tree = ENVIRONMENT.parse(source)
    unknown = meta.find_undeclared_variables(tree) - set(known)
    lines: dict[str, int] = {}
    for node in tree.find_all(nodes.Name):
        if node.name in unknown:
            lines.setdefault(node.name, node.lineno)
    return [
        str(TemplateProblem(part, line, f"unknown variable {name!r}"))
        for name, line in sorted(lines.items(), key=lambda item: (item[1], item[0]))
    ]


def check_template(subject_source: str, body_source: str) -> list[str]:
    """The problems of a subject and body template, one line each (none: [])."""
    problems: list[str] = []
    samples = _sample_contexts()
    for part, source in (("subject", subject_source), ("body", body_source)):
        try:
            check_length(part, source)
            names = _unknown_names(part, source, samples[0])
            if names:
                problems += names
                continue
            for context in samples:
                render_part(part, source, context)
        except TemplateProblem as problem:
            problems.append(str(problem))
        except Exception as exc:  # a syntax error found while listing the names
            problems.append(str(problem_of(part, exc)))
    return problems


@functools.lru_cache(maxsize=len(SHIPPED_LANGUAGES))
def _shipped(language: str) -> tuple[str, str]:
    text = (TEMPLATE_DIR / f"default.{language}.txt").read_text(encoding="utf-8")
    subject, _, body = text.partition("\n")
    return subject.strip(), body.removeprefix("\n")


def shipped_template(language: str) -> tuple[str, str]:
    """The subject and body template Baobab ships for ``language`` (English
    for a language it does not ship)."""
    return _shipped(_language(language))
