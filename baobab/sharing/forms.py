"""Forms of the sharing pages: an indicator, a report (with an attachment),
a sighting, a sharing group, and the share section they have in common.

The share section lists each TLP level and each distribution with what it
means in plain words, next to its choice, so it needs no script. The forms
only read and check what was typed; the services make the change and check
again (who may, a group the team is in, a value of its type).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _

from baobab.core.choices import TLP, TLP_DESCRIPTIONS, Distribution
from baobab.core.models import SharingGroup, Team, User
from baobab.sharing.audience import DISTRIBUTION_DESCRIPTIONS, audience
from baobab.sharing.choices import IndicatorKind
from baobab.sharing.groups import administered_teams
from baobab.sharing.models import Indicator, Report, SharedObject
from baobab.sharing.queries import hidden_ids
from baobab.sharing.services import keep_hidden_refs, sharing_teams
from baobab.sharing.values import MAX_VALUE, InvalidValueError, guess, normalise

_STIX_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,249}--[0-9a-fA-F-]{36}$")


class DescribedRadioSelect(forms.RadioSelect):
    """Radio buttons, each with a sentence saying what the choice means."""

    def __init__(self, descriptions: dict[Any, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.descriptions = descriptions

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option: dict[str, Any] = super().create_option(*args, **kwargs)
        option["description"] = self.descriptions.get(option["value"], "")
        return option


class DateTimeInput(forms.DateTimeInput):
    """A browser date and time picker (no script needed)."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class ListField(forms.CharField):
    """Words separated by commas or one a line (labels)."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(str(item) for item in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = value if isinstance(value, str) else ""
        items = [item.strip() for item in re.split(r"[,\n]+", text)]
        return list(dict.fromkeys(item[:100] for item in items if item))[:50]


class ShareForm(forms.Form):
    """The team sharing the object and who may see it: TLP, distribution,
    sharing group and named recipients."""

    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        label=_("Shared by"),
        empty_label=None,
        help_text=_("The team that shares it; it stays with that team."),
    )
    tlp = forms.ChoiceField(
        label=_("TLP"),
        choices=TLP.choices,
        initial=TLP.AMBER,
        widget=DescribedRadioSelect(TLP_DESCRIPTIONS),
    )
    distribution = forms.ChoiceField(
        label=_("Shared with"),
        choices=Distribution.choices,
        initial=Distribution.COMMUNITY,
        widget=DescribedRadioSelect(DISTRIBUTION_DESCRIPTIONS),
    )
    sharing_group = forms.ModelChoiceField(
        queryset=SharingGroup.objects.none(),
        required=False,
        label=_("Sharing group"),
        help_text=_("With “The teams of the sharing group” only."),
    )
    recipient_teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.none(),
        required=False,
        label=_("Named recipients"),
        help_text=_("Teams that always see it, whatever its TLP (for TLP:RED: its recipients)."),
    )

    share_fields = ("team", "tlp", "distribution", "sharing_group", "recipient_teams")

    def __init__(
        self, *args: Any, user: User, instance: SharedObject | None = None, **kwargs: Any
    ) -> None:
        self.user = user
        self.instance = instance
        if instance is not None:
            kwargs.setdefault("initial", {}).update(self.initial_of(instance))
        super().__init__(*args, **kwargs)
        teams = sharing_teams(user)
        team_field: Any = self.fields["team"]
        if instance is not None:
            team_field.queryset = Team.objects.filter(pk=instance.owner_team_id)
            team_field.disabled = True
            group_teams: Any = [instance.owner_team_id]
        else:
            team_field.queryset = teams
            group_teams = teams.values("pk")
        group_field: Any = self.fields["sharing_group"]
        group_field.queryset = (
            SharingGroup.objects.filter(
                Q(owner_team__in=group_teams) | Q(member_teams__in=group_teams)
            )
            .distinct()
            .order_by("name")
        )
        recipients: Any = self.fields["recipient_teams"]
        recipients.queryset = Team.objects.order_by("short_name")
        recipients.widget.attrs["size"] = 6

    def initial_of(self, instance: SharedObject) -> dict[str, Any]:
        """The form's values from the object it changes."""
        return {
            "team": instance.owner_team_id,
            "tlp": instance.tlp,
            "distribution": instance.distribution,
            "sharing_group": instance.sharing_group_id,
            "recipient_teams": list(instance.recipient_teams.values_list("pk", flat=True)),
        }

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        distribution = cleaned.get("distribution")
        if distribution == Distribution.GROUP and not cleaned.get("sharing_group"):
            self.add_error("sharing_group", _("Choose the sharing group to share with."))
        if distribution != Distribution.GROUP:
            cleaned["sharing_group"] = None
        return cleaned

    def owner(self) -> Team:
        """The team sharing the object."""
        team: Team = self.cleaned_data["team"]
        return team

    def marking(self) -> dict[str, Any]:
        """The marking chosen, as the services take it."""
        return {
            "tlp": self.cleaned_data["tlp"],
            "distribution": self.cleaned_data["distribution"],
            "sharing_group": self.cleaned_data.get("sharing_group"),
        }

    def recipients(self) -> list[Team]:
        """The named recipient teams chosen."""
        return list(self.cleaned_data.get("recipient_teams") or [])

    def summaries(self) -> dict[str, str]:
        """What each TLP and distribution pair means (``"amber group"``), for
        the page's script to show as choices change (it puts the group
        chosen in place of ``{group}``)."""
        team = self.instance.owner_team if self.instance is not None else None
        group: Any = "{group}"
        return {
            f"{tlp} {distribution}": audience(tlp, distribution, team=team, group=group)
            for tlp in TLP.values
            for distribution in Distribution.values
        }

    def summary(self) -> str:
        """Who may see the object as the form now stands."""
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        tlp = data.get("tlp") or self["tlp"].value() or TLP.AMBER
        distribution = data.get("distribution") or self["distribution"].value()
        team = self.instance.owner_team if self.instance is not None else None
        group = data.get("sharing_group") or (
            self.instance.sharing_group if self.instance is not None else None
        )
        return audience(
            str(tlp), str(distribution or Distribution.COMMUNITY), team=team, group=group
        )


class ValidityFields(forms.Form):
    """Confidence and the validity window."""

    confidence = forms.IntegerField(
        label=_("Confidence"),
        required=False,
        min_value=0,
        max_value=100,
        help_text=_("0 to 100: how sure your team is."),
    )
    valid_from = forms.DateTimeField(label=_("Valid from"), required=False, widget=DateTimeInput())
    valid_until = forms.DateTimeField(
        label=_("Valid until"),
        required=False,
        widget=DateTimeInput(),
        help_text=_("Empty: until withdrawn. Afterwards it shows as expired."),
    )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        start, end = cleaned.get("valid_from"), cleaned.get("valid_until")
        if start and end and end <= start:
            self.add_error("valid_until", _("It must end after it starts to be valid."))
        return cleaned

    def validity(self) -> dict[str, Any]:
        values = {
            "confidence": self.cleaned_data.get("confidence"),
            "valid_until": self.cleaned_data.get("valid_until"),
        }
        if self.cleaned_data.get("valid_from"):
            values["valid_from"] = self.cleaned_data["valid_from"]
        return values

    @staticmethod
    def initial_validity(instance: SharedObject) -> dict[str, Any]:
        return {
            "confidence": instance.confidence,
            "valid_from": instance.valid_from,
            "valid_until": instance.valid_until,
        }


class IndicatorForm(ValidityFields, ShareForm):
    """An indicator: its value (the type guessed when not given), what it is
    about, how long it is valid, and who may see it."""

    kind = forms.ChoiceField(
        label=_("Type"),
        required=False,
        choices=[("", _("Guess from the value")), *IndicatorKind.choices],
    )
    value = forms.CharField(
        label=_("Value"),
        max_length=MAX_VALUE,
        help_text=_("Defanged values (hxxp://example[.]org) are read back."),
    )
    name = forms.CharField(label=_("Name"), max_length=250, required=False)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=20_000, widget=forms.Textarea
    )
    labels = ListField(label=_("Labels"), required=False, help_text=_("Separated by commas."))

    field_order = [
        "kind",
        "value",
        "name",
        "description",
        "labels",
        "confidence",
        "valid_from",
        "valid_until",
        *ShareForm.share_fields,
    ]

    def initial_of(self, instance: SharedObject) -> dict[str, Any]:
        assert isinstance(instance, Indicator)
        return {
            **super().initial_of(instance),
            **self.initial_validity(instance),
            "kind": instance.kind,
            "value": instance.value,
            "name": instance.name,
            "description": instance.description,
            "labels": instance.labels,
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        value, kind = cleaned.get("value"), cleaned.get("kind")
        if value and kind:
            try:
                cleaned["value"] = normalise(kind, value)
            except InvalidValueError as exc:
                self.add_error("value", str(exc))
        elif value:
            found = guess(value)
            if found is None:
                self.add_error("kind", _("Choose the type: it cannot be guessed from the value."))
            else:
                cleaned["kind"], cleaned["value"] = found[0].value, found[1]
        return cleaned

    def fields_for_service(self) -> dict[str, Any]:
        """The indicator's fields as the services take them."""
        return {
            "kind": self.cleaned_data["kind"],
            "value": self.cleaned_data["value"],
            "name": self.cleaned_data.get("name", ""),
            "description": self.cleaned_data.get("description", ""),
            "labels": self.cleaned_data.get("labels") or [],
            **self.validity(),
            **self.marking(),
        }


class ReferencesField(forms.CharField):
    """STIX ids, one a line."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = value if isinstance(value, str) else ""
        refs = list(dict.fromkeys(item.strip() for item in text.split() if item.strip()))
        bad = [ref for ref in refs if not _STIX_ID.match(ref)]
        if bad:
            raise ValidationError(
                _("Not STIX ids (type--uuid): %(ids)s."), params={"ids": ", ".join(bad[:5])}
            )
        return refs


class ReportForm(ValidityFields, ShareForm):
    """A report: its title and Markdown text, what it is about, a file to
    attach, and who may see it."""

    title = forms.CharField(label=_("Title"), max_length=250)
    body = forms.CharField(
        label=_("Text"),
        required=False,
        max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text=_("Markdown: # headings, **bold**, lists, `code`, [links](https://…), tables."),
    )
    published = forms.DateTimeField(label=_("Published"), required=False, widget=DateTimeInput())
    labels = ListField(label=_("Labels"), required=False, help_text=_("Separated by commas."))
    object_refs = ReferencesField(
        label=_("About"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_("STIX ids of the indicators and other objects it is about, one a line."),
    )
    attachment = forms.FileField(label=_("Attach a file"), required=False)

    field_order = [
        "title",
        "body",
        "published",
        "labels",
        "object_refs",
        "attachment",
        "confidence",
        "valid_from",
        "valid_until",
        *ShareForm.share_fields,
    ]

    def __init__(self, *args: Any, user: User, instance: SharedObject | None = None, **kwargs: Any):
        super().__init__(*args, user=user, instance=instance, **kwargs)
        self.fields["attachment"].help_text = _gettext(
            "Sent to readers as a download. At most %(size)s MB."
        ) % {"size": settings.SHARING_MAX_ATTACHMENT_BYTES // (1024 * 1024)}
        if instance is not None:
            # An editor keeps what they cannot see without being shown it.
            hidden = hidden_ids(instance.object_refs, user)  # type: ignore[attr-defined]
            self.initial["object_refs"] = [
                ref
                for ref in instance.object_refs  # type: ignore[attr-defined]
                if ref not in hidden
            ]

    def initial_of(self, instance: SharedObject) -> dict[str, Any]:
        assert isinstance(instance, Report)
        return {
            **super().initial_of(instance),
            **self.initial_validity(instance),
            "title": instance.title,
            "body": instance.body,
            "published": instance.published,
            "labels": instance.labels,
        }

    def clean_attachment(self) -> Any:
        upload = self.cleaned_data.get("attachment")
        if upload is not None and upload.size > settings.SHARING_MAX_ATTACHMENT_BYTES:
            raise ValidationError(
                _("The file is larger than %(size)s MB."),
                params={"size": settings.SHARING_MAX_ATTACHMENT_BYTES // (1024 * 1024)},
            )
        return upload

    def fields_for_service(self) -> dict[str, Any]:
        """The report's fields as the services take them."""
        values: dict[str, Any] = {
            "title": self.cleaned_data["title"],
            "body": self.cleaned_data.get("body", ""),
            "labels": self.cleaned_data.get("labels") or [],
            "object_refs": self.cleaned_data.get("object_refs") or [],
            **self.validity(),
            **self.marking(),
        }
        if self.cleaned_data.get("published"):
            values["published"] = self.cleaned_data["published"]
        if self.instance is not None:
            values["object_refs"] = keep_hidden_refs(
                self.instance,  # type: ignore[arg-type]
                values["object_refs"],
                self.user,
            )
        return values


class SightingForm(forms.Form):
    """“We saw it too”: which of your teams, how often, and when last."""

    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), label=_("Seen by"), empty_label=None
    )
    count = forms.IntegerField(label=_("Times seen"), min_value=1, initial=1)
    last_seen = forms.DateTimeField(
        label=_("Last seen"), required=False, widget=DateTimeInput(), help_text=_("Empty: now.")
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team: Any = self.fields["team"]
        team.queryset = sharing_teams(user)

    def fields_for_service(self, indicator: Indicator, team: Team) -> dict[str, Any]:
        """The sighting, marked no wider than the indicator seen: the same TLP,
        and the same group only when the team is in it (its own team
        otherwise)."""
        last_seen: dt.datetime | None = self.cleaned_data.get("last_seen")
        distribution = indicator.distribution
        group = indicator.sharing_group
        if distribution == Distribution.GROUP and not (
            group is not None
            and (group.owner_team_id == team.pk or group.member_teams.filter(pk=team.pk).exists())
        ):
            distribution, group = Distribution.TEAM, None
        values: dict[str, Any] = {
            "count": self.cleaned_data["count"],
            "tlp": indicator.tlp,
            "distribution": distribution,
            "sharing_group": group if distribution == Distribution.GROUP else None,
        }
        if last_seen is not None:
            values["first_seen"] = values["last_seen"] = last_seen
        return values


class SharingGroupForm(forms.Form):
    """A sharing group's name, description, and whether its member teams may
    add others; on creation, its owner team and first members."""

    owner_team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        label=_("Owner team"),
        empty_label=None,
        help_text=_("Its admins manage the group."),
    )
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea)
    members_can_add = forms.BooleanField(
        label=_("Member teams' admins may add teams"), required=False
    )
    member_teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.none(), required=False, label=_("Member teams")
    )

    def __init__(
        self, *args: Any, user: User, instance: SharingGroup | None = None, **kwargs: Any
    ) -> None:
        if instance is not None:
            kwargs.setdefault("initial", {}).update(
                {
                    "owner_team": instance.owner_team_id,
                    "name": instance.name,
                    "description": instance.description,
                    "members_can_add": instance.members_can_add,
                }
            )
        super().__init__(*args, **kwargs)
        self.instance = instance
        owner: Any = self.fields["owner_team"]
        if instance is not None:
            owner.queryset = Team.objects.filter(pk=instance.owner_team_id)
            owner.disabled = True
            del self.fields["member_teams"]
        else:
            owner.queryset = administered_teams(user)
            members: Any = self.fields["member_teams"]
            members.queryset = Team.objects.order_by("short_name")
            members.widget.attrs["size"] = 8

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        others = SharingGroup.objects.filter(name__iexact=name)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise ValidationError(_("A sharing group of this name exists already."))
        return name

    def changes(self) -> dict[str, Any]:
        """The group's fields as the services take them."""
        return {
            "name": self.cleaned_data["name"],
            "description": self.cleaned_data.get("description", ""),
            "members_can_add": self.cleaned_data.get("members_can_add", False),
        }


class GroupTeamForm(forms.Form):
    """A team to put in a sharing group."""

    team = forms.ModelChoiceField(queryset=Team.objects.none(), label=_("Team"))

    def __init__(self, *args: Any, group: SharingGroup, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team: Any = self.fields["team"]
        team.queryset = (
            Team.objects.exclude(pk=group.owner_team_id)
            .exclude(pk__in=group.member_teams.values("pk"))
            .order_by("short_name")
        )


def show_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's :class:`ValidationError` on the form: on the field it
    names when the form has that field, otherwise above the form."""
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, exc.messages)
