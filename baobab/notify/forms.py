"""Forms of the notification pages: a policy and a message template.

The forms read and check what was typed; the services layer makes the change
and checks again (who may, the contact the team may see, a template that
renders).
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from baobab.core.models import Team
from baobab.directory.forms import ServiceModelForm, https_urls
from baobab.notify.models import MessageTemplate, NotificationPolicy
from baobab.notify.policy_names import unknown_message, unknown_names
from baobab.notify.queries import policy_contacts, team_templates
from baobab.notify.services import POLICY_FIELDS


class NamesField(forms.CharField):
    """A list of names typed separated by commas (or one a line); each is
    checked by :func:`baobab.notify.policy_names.unknown_names`."""

    def __init__(self, *args: Any, names_of: str, **kwargs: Any) -> None:
        self.names_of = names_of
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(str(item) for item in value)
        return value

    def to_python(self, value: Any) -> Any:
        if isinstance(value, list):
            names = [str(item).strip() for item in value]
        else:
            names = [part.strip() for part in re.split(r"[\s,;]+", value or "")]
        names = list(dict.fromkeys(name for name in names if name))
        unknown = unknown_names(self.names_of, names)
        if unknown:
            raise ValidationError(unknown_message(self.names_of, unknown), code="invalid")
        return names


class PolicyForm(ServiceModelForm):
    """A notification policy of one team: its recipient (the team, a contact
    the team may see, a webhook), the events it picks, its rhythm and form."""

    types = NamesField(
        label=_("Classification types"),
        names_of="types",
        help_text=_("RSIT types separated by commas (scanner, phishing). Empty: every type."),
    )
    taxonomies = NamesField(
        label=_("Taxonomies"),
        names_of="taxonomies",
        help_text=_("RSIT taxonomies separated by commas (vulnerable). Empty: every taxonomy."),
    )
    feeds = NamesField(
        label=_("Feeds"),
        names_of="feeds",
        help_text=_("Feed names separated by commas. Empty: every feed."),
    )
    group_by = NamesField(
        label=_("Grouped by"),
        names_of="group_by",
        help_text=_("Event fields separated by commas. Empty: classification.type."),
    )
    webhook_secret = forms.CharField(
        label=_("Webhook secret"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("The key the webhook's requests are signed with. Empty: keep the current one."),
    )

    class Meta:
        model = NotificationPolicy
        formfield_callback = https_urls
        fields = list(POLICY_FIELDS)

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        kwargs.setdefault("instance", NotificationPolicy(team=team))
        super().__init__(*args, **kwargs)
        self.team = team
        contact: Any = self.fields["contact"]
        contact.queryset = policy_contacts(team)
        contact.help_text = _("Only contacts your team may see.")
        template: Any = self.fields["template"]
        template.queryset = team_templates(team)
        template.help_text = _("Empty: the wording Baobab ships.")

    def clean_webhook_secret(self) -> str:
        secret: str = self.cleaned_data.get("webhook_secret") or ""
        return secret or self.instance.webhook_secret


class TemplateForm(ServiceModelForm):
    """A team's wording of its messages in one language (Jinja syntax)."""

    class Meta:
        model = MessageTemplate
        fields = ["name", "language", "subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 16, "spellcheck": "false"})}

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        kwargs.setdefault("instance", MessageTemplate(team=team))
        super().__init__(*args, **kwargs)
        self.team = team
        self.fields["body"].help_text = _(
            "Jinja syntax. The preview shows the template with events your team would send."
        )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        others = team_templates(self.team).filter(
            name=cleaned.get("name"), language=cleaned.get("language")
        )
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise ValidationError(_("The team has a template of this name in this language."))
        return cleaned
