"""The published MISP feed under /misp/feed/."""

from django.urls import path

from baobab.sharing.misp import views

app_name = "misp"

urlpatterns = [
    path("feed/manifest.json", views.manifest, name="feed-manifest"),
    path("feed/hashes.csv", views.hashes, name="feed-hashes"),
    path("feed/<str:event_uuid>.json", views.event, name="feed-event"),
]
