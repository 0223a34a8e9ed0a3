"""Enumerations of the sharing app, as Django choices."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from baobab.sharing.values import IndicatorType


class IndicatorKind(models.TextChoices):
    """:class:`~baobab.sharing.values.IndicatorType` with names people read."""

    IP = IndicatorType.IP.value, _("IP address")
    PREFIX = IndicatorType.PREFIX.value, _("Network prefix")
    DOMAIN = IndicatorType.DOMAIN.value, _("Domain name")
    URL = IndicatorType.URL.value, _("URL")
    EMAIL = IndicatorType.EMAIL.value, _("E-mail address")
    MD5 = IndicatorType.MD5.value, "MD5"
    SHA1 = IndicatorType.SHA1.value, "SHA-1"
    SHA256 = IndicatorType.SHA256.value, "SHA-256"
    SHA512 = IndicatorType.SHA512.value, "SHA-512"
    ASN = IndicatorType.ASN.value, _("Autonomous system")
    FILE_NAME = IndicatorType.FILE_NAME.value, _("File name")


class RelationshipType(models.TextChoices):
    """The STIX 2.1 relationship types analysts use most; others are kept as written."""

    RELATED_TO = "related-to", _("related to")
    INDICATES = "indicates", _("indicates")
    BASED_ON = "based-on", _("based on")
    DERIVED_FROM = "derived-from", _("derived from")
    DUPLICATE_OF = "duplicate-of", _("duplicate of")
    USES = "uses", _("uses")
    ATTRIBUTED_TO = "attributed-to", _("attributed to")
    COMMUNICATES_WITH = "communicates-with", _("communicates with")
    RESOLVES_TO = "resolves-to", _("resolves to")
