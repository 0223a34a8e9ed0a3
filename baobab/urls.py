"""Top-level URLs: pages, REST API (/api/v1/), health and security.txt."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from baobab.core.views import pages

urlpatterns = [
    path("healthz", pages.healthz, name="healthz"),
    path(".well-known/security.txt", pages.security_txt, name="security-txt"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/v1/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"
    ),
    path("api/v1/", include("baobab.core.api.urls")),
    path("api/v1/", include("baobab.directory.api.urls")),
    path("api/v1/", include("baobab.pipeline.api.urls")),
    path("api/v1/", include("baobab.notify.api.urls")),
    path("api/v1/", include("baobab.sharing.api.urls")),
    path("directory/", include("baobab.directory.urls")),
    path("pipeline/", include("baobab.pipeline.urls")),
    path("notify/", include("baobab.notify.urls")),
    path("sharing/", include("baobab.sharing.urls")),
    path("taxii2/", include("baobab.sharing.taxii.urls")),
    path("misp/", include("baobab.sharing.misp.urls")),
    path("", include("baobab.core.urls")),
]
