"""``baobab makemessages``: Django's, also reading the names the code gives
gettext where ``_`` is taken (``_lazy`` for gettext_lazy, ``_gettext`` for
gettext), so no marked string stays out of the catalogues."""

from __future__ import annotations

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [
        *makemessages.Command.xgettext_options,
        "--keyword=_lazy",
        "--keyword=_gettext",
    ]
