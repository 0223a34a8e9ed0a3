"""Enumerations shared by every app: TLP 2.0, distribution, roles, team types."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TLP(models.TextChoices):
    """Traffic Light Protocol 2.0 labels, from the least to the most restricted."""

    CLEAR = "clear", "TLP:CLEAR"
    GREEN = "green", "TLP:GREEN"
    AMBER = "amber", "TLP:AMBER"
    AMBER_STRICT = "amber+strict", "TLP:AMBER+STRICT"
    RED = "red", "TLP:RED"

    @classmethod
    def from_label(cls, text: str) -> TLP:
        """Accept ``TLP:AMBER+STRICT``, ``amber+strict``, ``AMBER_STRICT``, ``white`` …"""
        value = text.strip().lower().removeprefix("tlp:").replace("_", "+").replace(" ", "")
        if value == "white":  # TLP 1.0 name of CLEAR
            value = "clear"
        try:
            return cls(value)
        except ValueError as exc:
            labels = ", ".join(str(label) for label in cls.labels)
            raise ValueError(f"unknown TLP label {text!r}; expected one of {labels}") from exc


TLP_DESCRIPTIONS = {
    TLP.CLEAR: _("Anyone may receive it; no limit on disclosure."),
    TLP.GREEN: _("The community may receive it, but not through public channels."),
    TLP.AMBER: _("The recipient organisations and their clients, on a need-to-know basis."),
    TLP.AMBER_STRICT: _("The recipient organisations only."),
    TLP.RED: _("Named recipients only."),
}


class Distribution(models.TextChoices):
    """Who an object is shared with, before TLP narrows it further."""

    TEAM = "team", _("Own team")
    GROUP = "group", _("Sharing group")
    COMMUNITY = "community", _("Whole community")
    PUBLIC = "public", _("Public")


class Role(models.TextChoices):
    """A user's role in a team."""

    VIEWER = "viewer", _("Viewer")
    ANALYST = "analyst", _("Analyst")
    ADMIN = "admin", _("Team admin")


ROLE_RANK = {Role.VIEWER: 0, Role.ANALYST: 1, Role.ADMIN: 2}


class TeamType(models.TextChoices):
    NATIONAL = "national", _("National CSIRT")
    SECTORAL = "sectoral", _("Sectoral CSIRT")
    ACADEMIC = "academic", _("Academic CSIRT")
    GOVERNMENT = "government", _("Government CSIRT")
    PRIVATE = "private", _("Private CSIRT")
    REGIONAL = "regional", _("Regional coordinator")


class VettingLevel(models.TextChoices):
    """How far the community has vetted a team, from applicant to full member."""

    APPLICANT = "applicant", _("Applicant")
    LISTED = "listed", _("Listed")
    VETTED = "vetted", _("Vetted")
    FULL_MEMBER = "full", _("Full member")


class AuditChannel(models.TextChoices):
    WEB = "web", _("Web")
    API = "api", _("API")
    CLI = "cli", _("Command line")
    TASK = "task", _("Background task")
    SYSTEM = "system", _("System")
