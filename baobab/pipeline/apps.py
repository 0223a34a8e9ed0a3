from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PipelineConfig(AppConfig):
    name = "baobab.pipeline"
    label = "pipeline"
    verbose_name = _("Threat-data pipeline")
    default_auto_field = "django.db.models.BigAutoField"
