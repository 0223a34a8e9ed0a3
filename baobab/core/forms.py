"""Forms of the core pages: second factor, API tokens, team members and
community settings. They only validate input; the services make the changes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from baobab.core.choices import Role
from baobab.core.models import User

COMMUNITY_ADMIN_ROLE = "community_admin"

TOTP_ROLE_CHOICES = [
    *Role.choices,
    (COMMUNITY_ADMIN_ROLE, _("Community administrator")),
]


class TotpCodeForm(forms.Form):
    """A six-digit code from the user's authenticator app."""

    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=10,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ]*",
                "autofocus": True,
            }
        ),
    )

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"].strip().replace(" ", "")
        if not code.isdigit() or len(code) != 6:
            raise forms.ValidationError(_("Enter the six digits your app shows."))
        return code


class TokenCreateForm(forms.Form):
    """Name a new API token so that its owner knows later what it is for."""

    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        required=False,
        help_text=_("What the token is for, such as a script or a sensor."),
    )


class AddMemberForm(forms.Form):
    """Add an existing user to a team."""

    username = forms.CharField(label=_("User name"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.VIEWER)

    def clean_username(self) -> User:
        name = self.cleaned_data["username"].strip()
        user = User.objects.filter(username__iexact=name, is_active=True).first()
        if user is None:
            raise forms.ValidationError(
                _("There is no active user named %(name)s."), params={"name": name}
            )
        return user


class NewMemberForm(forms.Form):
    """Create a new user directly in a team."""

    username = forms.CharField(label=_("User name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.VIEWER)
    password = forms.CharField(
        label=_("Initial password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Give it to the person over a trusted channel; they can change it on their "
            "account page. Without one, the account cannot log in yet."
        ),
    )


class RoleForm(forms.Form):
    """Change a member's role."""

    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class CommunitySettingsForm(forms.Form):
    """What community administrators change at run time."""

    name = forms.CharField(label=_("Community name"), max_length=120, required=False)
    totp_required_roles = forms.MultipleChoiceField(
        label=_("Roles that must use a second factor"),
        choices=TOTP_ROLE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Users with any of these roles must set up a TOTP second factor at their next login."
        ),
    )

    def changes(self) -> dict[str, Any]:
        """The cleaned data in the shape ``update_community_settings`` takes."""
        order = [value for value, _label in TOTP_ROLE_CHOICES]
        roles = sorted(self.cleaned_data["totp_required_roles"], key=order.index)
        return {"name": self.cleaned_data["name"], "totp_required_roles": roles}
