from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "baobab.directory"
    label = "directory"
    verbose_name = _("Directory")

    def ready(self) -> None:
        from baobab.directory import signals  # noqa: F401, PLC0415 - connects receivers
