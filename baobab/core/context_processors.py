"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from baobab.core.models import CommunitySettings
from baobab.core.permissions import is_community_admin


def community(request: HttpRequest) -> dict[str, Any]:
    """The community's name (as its administrators set it) and the viewer's standing."""
    return {
        "community_name": CommunitySettings.load().name or settings.COMMUNITY_NAME,
        "is_community_admin": is_community_admin(getattr(request, "user", None)),
    }
