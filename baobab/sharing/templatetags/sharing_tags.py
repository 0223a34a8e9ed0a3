"""Template filters of the sharing pages: a report's Markdown as safe HTML,
what a TLP level means, and STIX content as readable JSON."""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.utils.safestring import SafeString

from baobab.core.choices import TLP, TLP_DESCRIPTIONS
from baobab.sharing.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    """Markdown as sanitised HTML (see :mod:`baobab.sharing.markdown`)."""
    return render_markdown(text or "")


@register.filter
def tlp_description(value: str) -> str:
    """What a TLP level means, in plain words."""
    try:
        return str(TLP_DESCRIPTIONS[TLP(value)])
    except (KeyError, ValueError):
        return ""


@register.filter
def as_json(content: Any) -> str:
    """A value as indented JSON (escaped by the template like any text)."""
    return json.dumps(content, indent=2, ensure_ascii=False, sort_keys=False)
