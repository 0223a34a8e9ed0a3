"""Pages of the pipeline: feeds and their runs, event search, quarantine."""

from django.urls import path

from baobab.pipeline.views import events, feeds, quarantine, runs

app_name = "pipeline"

urlpatterns: list = [
    path("feeds/", feeds.feed_list, name="feeds"),
    path("feeds/new/", feeds.feed_create, name="feed-create"),
    path("feeds/<str:name>/", feeds.feed_detail, name="feed"),
    path("feeds/<str:name>/edit/", feeds.feed_edit, name="feed-edit"),
    path("feeds/<str:name>/delete/", feeds.feed_delete, name="feed-delete"),
    path("feeds/<str:name>/upload/", runs.feed_upload, name="feed-upload"),
    path("runs/<int:pk>/", runs.run_detail, name="run"),
    path("events/", events.event_list, name="events"),
    path("events/<int:pk>/", events.event_detail, name="event"),
    path("quarantine/", quarantine.quarantine_list, name="quarantine"),
    path("quarantine/<int:pk>/reprocess/", quarantine.quarantine_reprocess, name="reprocess"),
    path("quarantine/<int:pk>/discard/", quarantine.quarantine_discard, name="discard"),
]
