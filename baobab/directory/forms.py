"""Edit forms of the directory: teams, organisations, contacts and claims.

The forms only read and check what was typed; the services layer makes the
change (and may still refuse it, for example an invalid PGP key). A form
validates against a copy of the object, so the object the service changes
still holds its values from before the edit, for the audit log.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from baobab.core.models import SharingGroup, Team, User
from baobab.core.permissions import is_community_admin
from baobab.directory.choices import PhoneKind
from baobab.directory.claims import InvalidClaimError, normalise_claim_value
from baobab.directory.models import ConstituencyClaim, Contact, Organisation
from baobab.directory.services import (
    clean_emails,
    clean_languages,
    clean_phones,
    managing_team,
    teams_administered_by,
)

_PHONE_KIND = re.compile(r"^(?P<number>.*?)\s*\((?P<kind>[^()]+)\)\s*$")


class DateInput(forms.DateInput):
    """A browser date picker (ISO dates, no script needed)."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's :class:`ValidationError` on the form: on the field it
    names when the form has that field, otherwise above the form."""
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, exc.messages)


def https_urls(field: models.Field[Any, Any], **kwargs: Any) -> forms.Field | None:
    """Form fields of a model, with web addresses typed without a scheme taken as https."""
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class ServiceModelForm(forms.ModelForm):
    """A model form whose values are handed to a service.

    Field values are checked against the model here; uniqueness and other
    constraints are left to the service, which checks them again inside its
    transaction (the forms add friendlier checks where it matters).
    """

    def _post_clean(self) -> None:
        exclude = self._get_validation_exclusions()  # type: ignore[attr-defined]
        try:
            self.instance = forms.models.construct_instance(
                self, self.instance, self._meta.fields, self._meta.exclude
            )
            self.instance.full_clean(
                exclude=exclude, validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            self._update_errors(exc)  # type: ignore[attr-defined]

    def changes(self) -> dict[str, Any]:
        """The cleaned values of the model fields the user may change."""
        many = {field.name for field in self._meta.model._meta.many_to_many}
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name in self.fields and not self.fields[name].disabled and name not in many
        }


def _unique_short_name(model: type[Team | Organisation], form: ServiceModelForm) -> str:
    short_name: str = form.cleaned_data["short_name"]
    others = model.objects.filter(short_name__iexact=short_name)
    if form.instance.pk:
        others = others.exclude(pk=form.instance.pk)
    if others.exists():
        raise ValidationError(
            gettext("The short name %(name)s is already taken.") % {"name": short_name}
        )
    return short_name


class TeamForm(ServiceModelForm):
    """A team's directory profile. Only community admins change the vetting level."""

    class Meta:
        model = Team
        formfield_callback = https_urls
        fields = [
            "short_name",
            "name",
            "team_type",
            "country",
            "vetting_level",
            "member_since",
            "website",
            "email",
            "phone_24x7",
            "timezone",
            "business_hours",
            "rfc2350",
        ]
        widgets = {
            "member_since": DateInput(),
            "country": forms.TextInput(attrs={"placeholder": "KE", "size": 3}),
            "timezone": forms.TextInput(attrs={"placeholder": "Africa/Nairobi"}),
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not is_community_admin(user):
            field = self.fields["vetting_level"]
            field.disabled = True
            field.help_text = _("Only community administrators change the vetting level.")

    def clean_short_name(self) -> str:
        return _unique_short_name(Team, self)

    def clean_country(self) -> str:
        return str(self.cleaned_data.get("country") or "").strip().upper()


class OrganisationForm(ServiceModelForm):
    """An organisation of a team's constituency, placed under a team the user administers."""

    class Meta:
        model = Organisation
        formfield_callback = https_urls
        fields = ["short_name", "name", "kind", "country", "website", "managed_by", "notes"]
        widgets = {"country": forms.TextInput(attrs={"placeholder": "KE", "size": 3})}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["managed_by"]
        field.queryset = teams_administered_by(user)

    def clean_short_name(self) -> str:
        return _unique_short_name(Organisation, self)

    def clean_country(self) -> str:
        return str(self.cleaned_data.get("country") or "").strip().upper()


class LinesField(forms.CharField):
    """A list typed one item a line (or comma-separated), checked by ``cleaner``."""

    separators = re.compile(r"[\r\n]+")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3}))
        super().__init__(*args, **kwargs)

    def split(self, text: str) -> list[Any]:
        return [item.strip() for item in self.separators.split(text) if item.strip()]

    def cleaner(self, items: list[Any]) -> list[Any]:
        return items

    def format_item(self, item: Any) -> str:
        return str(item)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(self.format_item(item) for item in value)
        return value

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if isinstance(text, list):
            return self.cleaner(text)
        return self.cleaner(self.split(text or ""))


class EmailLinesField(LinesField):
    """E-mail addresses, one a line."""

    def cleaner(self, items: list[Any]) -> list[Any]:
        return clean_emails(items)


class PhoneLinesField(LinesField):
    """Phone numbers, one a line: ``+254 20 123 4567`` or ``+254 20 123 4567 (emergency)``."""

    def cleaner(self, items: list[Any]) -> list[Any]:
        return clean_phones([self.parse(item) if isinstance(item, str) else item for item in items])

    @staticmethod
    def parse(line: str) -> dict[str, str]:
        """One typed line as ``{"number", "kind"}``; the kind may be typed in the
        user's language as well as in English."""
        match = _PHONE_KIND.match(line)
        if not match or not any(char.isalpha() for char in match.group("kind")):
            return {"number": line, "kind": PhoneKind.VOICE.value}
        word = match.group("kind").strip().lower()
        for kind in PhoneKind:
            if word in {kind.value, str(kind.label).lower()}:
                return {"number": match.group("number").strip(), "kind": kind.value}
        raise ValidationError(
            gettext("Mark a number “(emergency)” or “(voice)”, not “(%(word)s)”.")
            % {"word": match.group("kind").strip()}
        )

    def format_item(self, item: Any) -> str:
        if isinstance(item, dict):
            number = str(item.get("number", ""))
            if item.get("kind") != PhoneKind.EMERGENCY:
                return number
            return f"{number} ({str(PhoneKind.EMERGENCY.label).lower()})"  # in the user's language
        return str(item)


class LanguagesField(LinesField):
    """Language codes, separated by commas."""

    separators = re.compile(r"[,;\s]+")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.TextInput(attrs={"placeholder": "en, fr, sw"}))
        super().__init__(*args, **kwargs)

    def cleaner(self, items: list[Any]) -> list[Any]:
        return clean_languages(items)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(str(item) for item in value)
        return value


class ContactForm(ServiceModelForm):
    """A point of contact of a team or an organisation, with who may see it."""

    emails = EmailLinesField(label=_("E-mail addresses"), help_text=_("One a line."))
    phones = PhoneLinesField(
        label=_("Phone numbers"),
        help_text=_("One a line; add “(emergency)” after an emergency number."),
    )
    languages = LanguagesField(
        label=_("Languages"), help_text=_("Language codes separated by commas, such as en, fr.")
    )

    class Meta:
        model = Contact
        fields = [
            "kind",
            "name",
            "title",
            "emails",
            "phones",
            "languages",
            "is_24x7",
            "pgp_key",
            "tlp",
            "distribution",
            "sharing_group",
            "recipient_teams",
        ]
        widgets = {
            "pgp_key": forms.Textarea(
                attrs={"rows": 6, "placeholder": "-----BEGIN PGP PUBLIC KEY BLOCK-----"}
            ),
        }
        help_texts = {
            "pgp_key": _("The ASCII-armoured public key. Leave empty for none."),
            "recipient_teams": _("Teams that always see this contact, whatever its TLP."),
        }

    def __init__(self, *args: Any, holder: Team | Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team = managing_team(holder)
        group_field: Any = self.fields["sharing_group"]
        group_field.queryset = (
            SharingGroup.objects.filter(Q(owner_team=team) | Q(member_teams=team))
            .distinct()
            .order_by("name")
        )
        recipients: Any = self.fields["recipient_teams"]
        recipients.queryset = Team.objects.order_by("short_name")
        recipients.required = False

    def recipient_teams(self) -> list[Team]:
        """The named recipient teams chosen."""
        return list(self.cleaned_data.get("recipient_teams") or [])


class ClaimForm(ServiceModelForm):
    """A constituency claim: what is claimed, where it comes from and for how long."""

    class Meta:
        model = ConstituencyClaim
        fields = ["kind", "value", "source", "source_detail", "valid_from", "valid_until"]
        widgets = {"valid_from": DateInput(), "valid_until": DateInput()}
        help_texts = {
            "value": _(
                "A country code (KE), an AS number (AS64500), a prefix "
                "(198.51.100.0/24) or a domain (example.org)."
            ),
        }

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        kind, value = cleaned.get("kind"), cleaned.get("value")
        if kind and value:
            try:
                cleaned["value"] = normalise_claim_value(kind, value)
            except InvalidClaimError as exc:
                self.add_error("value", str(exc))
        start, end = cleaned.get("valid_from"), cleaned.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", gettext("The claim cannot end before it starts."))
        return cleaned
