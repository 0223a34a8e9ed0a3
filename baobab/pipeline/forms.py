"""Forms of the pipeline's pages: a feed's settings and a report upload.

The forms read and check what was typed; the services layer makes the change
and checks again (the parser and its report type, the RSIT type, who may).
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from baobab.core.models import Team, User
from baobab.core.permissions import is_community_admin
from baobab.directory.forms import ServiceModelForm
from baobab.directory.services import teams_administered_by
from baobab.pipeline.choices import RSIT, TAXONOMY_OF_TYPE, Taxonomy
from baobab.pipeline.collectors import validate_options
from baobab.pipeline.fields import kind_of
from baobab.pipeline.models import Feed
from baobab.pipeline.parsers import registry

# /pipeline/feeds/new/ is the page that creates a feed.
RESERVED_NAME = "new"


def parser_choices() -> list[tuple[str, str]]:
    """Every parser Baobab ships, with what it reads."""
    return [
        (name, f"{name} — {parser.description}" if getattr(parser, "description", "") else name)
        for name, parser in registry().items()
    ]


def type_choices() -> list[tuple[Any, Any]]:
    """RSIT types grouped by taxonomy, after an empty choice."""
    labels = dict(Taxonomy.choices)
    return [
        ("", _("None")),
        *(
            (labels[taxonomy], [(type_, type_) for type_ in types])
            for taxonomy, types in RSIT.items()
        ),
    ]


class JSONObjectField(forms.JSONField):
    """A JSON object (``{}`` when left empty)."""

    def to_python(self, value: Any) -> Any:
        result = super().to_python(value)
        if result in (None, ""):
            return {}
        if not isinstance(result, dict):
            raise ValidationError(gettext("Enter a JSON object, such as {}."), code="invalid")
        return result


class FieldNamesField(forms.CharField):
    """Event field names (source.ip, classification.type…), one a line or
    separated by commas; a name Baobab does not know is refused."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3}))
        super().__init__(*args, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value: Any) -> Any:
        if isinstance(value, list):
            names = [str(item).strip() for item in value]
        else:
            names = [part.strip() for part in re.split(r"[\s,;]+", value or "")]
        names = [name for name in names if name]
        unknown = [name for name in names if kind_of(name) is None]
        if unknown:
            raise ValidationError(
                gettext("Unknown event fields: %(names)s.") % {"names": ", ".join(unknown)},
                code="invalid",
            )
        return list(dict.fromkeys(names))


class FeedForm(ServiceModelForm):
    """A feed: where its reports come from, how to read them, how its events
    are marked, deduplicated and kept. The team running it is one the user
    administers (any team, for community administrators)."""

    parser = forms.ChoiceField(
        label=_("Parser"),
        choices=lambda: [("", _("None (a MISP feed)")), *parser_choices()],
        required=False,
    )
    classification_type = forms.ChoiceField(
        label=_("Default type"), choices=type_choices, required=False
    )
    parser_options = JSONObjectField(
        label=_("Parser options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_('A JSON object, such as {"columns": {"ip": "source.ip"}}.'),
    )
    collector_options = JSONObjectField(
        label=_("Collector options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_(
            "A JSON object. Secrets are never stored here: name an environment variable "
            "starting with BAOBAB_FEED_ instead."
        ),
    )
    dedup_fields = FieldNamesField(
        label=_("Deduplication fields"),
        help_text=_("Event fields, one a line. Empty: every field but raw and time.observation."),
    )

    class Meta:
        model = Feed
        fields = [
            "name",
            "provider",
            "description",
            "owner_team",
            "parser",
            "report",
            "parser_options",
            "collector",
            "collector_options",
            "schedule_minutes",
            "enabled",
            "tlp",
            "classification_taxonomy",
            "classification_type",
            "classification_identifier",
            "dedup_fields",
            "dedup_window_hours",
            "retention_days",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner: Any = self.fields["owner_team"]
        owner.queryset = (
            Team.objects.order_by("short_name")
            if is_community_admin(user)
            else teams_administered_by(user).order_by("short_name")
        )
        owner.required = not is_community_admin(user)
        owner.help_text = _("Its members see the feed's events; its analysts submit reports.")

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"]
        if name == RESERVED_NAME:
            raise ValidationError(
                gettext("%(name)s is reserved: choose another name.") % {"name": name}
            )
        others = Feed.objects.filter(name=name)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise ValidationError(gettext("The name %(name)s is already taken.") % {"name": name})
        return name

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if "collector" in cleaned and "collector_options" in cleaned:
            try:
                validate_options(cleaned["collector"], cleaned["collector_options"])
            except ValidationError as exc:
                self.add_error("collector_options", exc)
        type_ = cleaned.get("classification_type")
        taxonomy = cleaned.get("classification_taxonomy")
        if type_:
            expected = TAXONOMY_OF_TYPE[type_]
            if not taxonomy:
                cleaned["classification_taxonomy"] = expected
            elif taxonomy != expected:
                self.add_error(
                    "classification_taxonomy",
                    gettext("The type %(type)s belongs to the taxonomy %(taxonomy)s.")
                    % {"type": type_, "taxonomy": expected},
                )
        return cleaned


class UploadForm(forms.Form):
    """A report handed in through the web page."""

    file = forms.FileField(
        label=_("Report"),
        error_messages={"required": _("Choose the report to upload.")},
        help_text=_(
            "The file as the provider sends it; its name may tell the report type "
            "(2024-05-01-scan_telnet-….csv)."
        ),
    )
