"""Reports' Markdown as safe HTML.

A report's text comes from another team, or from a bundle another tool
wrote: it is read as Markdown with raw HTML turned off (typed HTML shows as
text, an image is a link to it), and the HTML Markdown makes is then cleaned by ``nh3`` against a
short list of tags and attributes. No script, style, frame, form, image
(the page would fetch it from elsewhere), event handler attribute or
``javascript:`` link survives; links to other sites carry
``rel="noopener noreferrer nofollow"``.
"""

from __future__ import annotations

import markdown as markdown_lib
import nh3
from django.utils.safestring import SafeString, mark_safe

MAX_CHARACTERS = 200_000  # the length of a report's text (models.Report.body)

ALLOWED_TAGS = frozenset(
    {
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "code",
        "dd",
        "del",
        "dl",
        "dt",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "kbd",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"
_EXTENSIONS = ["tables", "fenced_code", "sane_lists", "def_list", "abbr"]


def _markdown() -> markdown_lib.Markdown:
    """A Markdown reader that leaves raw HTML as text and images as links."""
    reader = markdown_lib.Markdown(extensions=_EXTENSIONS, output_format="html")
    reader.preprocessors.deregister("html_block")
    for pattern in ("html", "image_link", "image_reference", "short_image_ref"):
        reader.inlinePatterns.deregister(pattern)
    return reader


def to_html(text: str) -> str:
    """``text`` (Markdown) as sanitised HTML."""
    html = _markdown().convert(text[:MAX_CHARACTERS])
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render_markdown(text: str) -> SafeString:
    """``text`` (Markdown) as HTML a template may show as it is."""
    return mark_safe(to_html(text))  # noqa: S308 - sanitised by nh3 just above
