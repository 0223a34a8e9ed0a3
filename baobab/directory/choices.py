"""Enumerations of the directory: organisation kinds, claim kinds and sources."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    ISP = "isp", _("Internet service provider")
    TELECOM = "telecom", _("Telecom operator")
    GOVERNMENT = "government", _("Government body")
    BANK = "bank", _("Bank or financial institution")
    SECURITY = "security", _("Security institution")
    ACADEMIC = "academic", _("Academic or research")
    VENDOR = "vendor", _("Vendor")
    HOSTING = "hosting", _("Hosting provider")
    CRITICAL = "critical", _("Critical infrastructure operator")
    EXPERT = "expert", _("Independent expert")
    OTHER = "other", _("Other")


class ContactKind(models.TextChoices):
    PERSON = "person", _("Person")
    ROLE = "role", _("Role mailbox")


class PhoneKind(models.TextChoices):
    EMERGENCY = "emergency", _("Emergency")
    VOICE = "voice", _("Voice")


class ClaimKind(models.TextChoices):
    """What a constituency claim covers, from the most to the least specific."""

    PREFIX = "prefix", _("IP prefix")
    ASN = "asn", _("Autonomous system")
    DOMAIN = "domain", _("Domain")
    COUNTRY = "country", _("Country")


class HolderKind(models.TextChoices):
    """Who holds a constituency claim."""

    TEAM = "team", _("Team")
    ORGANISATION = "organisation", _("Organisation")


class ClaimSource(models.TextChoices):
    MANUAL = "manual", _("Entered by hand")
    IMPORTED = "imported", _("Imported")


class DelegatedKind(models.TextChoices):
    ASN = "asn", "ASN"
    IPV4 = "ipv4", "IPv4"
    IPV6 = "ipv6", "IPv6"
