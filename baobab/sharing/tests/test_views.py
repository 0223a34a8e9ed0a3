"""The sharing pages: who may open them; the search finds pasted values
exactly and shows each user exactly what the visibility rule allows; an
indicator's page, "we saw it too", the share section, the report editor and
its files (refused, 404, to those who may not see the report), sharing
groups, each language, and a fixed number of queries per list."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from baobab.core.choices import TLP, Distribution
from baobab.core.models import AuditEntry, SharingGroup, Team, User
from baobab.sharing import groups, services
from baobab.sharing.models import Indicator, Report, ReportAttachment, Sighting
from baobab.sharing.services import attach_file
from baobab.sharing.tests.test_api import (
    VIEWERS,
    World,
    build_world,
    mark_everything,
    reference_sees,
    share,
)

pytestmark = pytest.mark.django_db

SEARCH = "/sharing/"


@pytest.fixture(autouse=True)
def _quick_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(make_team: Callable[..., Team], make_user: Callable[..., User]) -> World:
    return build_world(make_team, make_user)


@pytest.fixture
def marked(world: World) -> World:
    return mark_everything(world)


def web(user: User | None, language: str = "en") -> Client:
    """A browser session of ``user`` (anonymous for None) in ``language``."""
    client = Client(headers={"accept-language": language})
    if user is not None:
        client.force_login(user)
    return client


def listed(response: Any, prefix: str = "indicator") -> set[int]:
    """The ids of the rows a list page shows."""
    assert response.status_code == 200, response.content[:500]
    return {int(pk) for pk in re.findall(rf'<tr id="{prefix}-(\d+)"', response.content.decode())}


def _report(world: World, **fields: Any) -> Report:
    fields.setdefault("title", "Spring campaign")
    return services.create_report(world.a, acting_user=None, **fields)


# --- who may open the pages -------------------------------------------------------------


def _urls(world: World) -> list[str]:
    indicator = share(world, tlp=TLP.GREEN)
    report = _report(world)
    attachment = attach_file(
        report, SimpleUploadedFile("notes.txt", b"notes"), acting_user=world["analyst-a"]
    )
    return [
        SEARCH,
        reverse("sharing:indicator", args=[indicator.pk]),
        reverse("sharing:indicator-create"),
        reverse("sharing:reports"),
        reverse("sharing:report", args=[report.pk]),
        reverse("sharing:attachment", args=[report.pk, attachment.pk]),
        reverse("sharing:groups"),
        reverse("sharing:group", args=[world.west.pk]),
    ]


def test_anonymous_visitors_are_sent_to_log_in(world: World) -> None:
    for url in _urls(world):
        response = web(None).get(url)
        assert response.status_code == 302, url
        assert "/login" in response["Location"]


def test_accounts_outside_the_community_are_refused(world: World) -> None:
    for url in _urls(world):
        assert web(world["loner"]).get(url).status_code == 403, url


@pytest.mark.parametrize(
    "who", ["viewer-a", "analyst-a", "admin-a", "analyst-c", "community-admin"]
)
def test_every_page_renders_for_every_role(world: World, who: str) -> None:
    client = web(world[who])
    indicator = share(world, tlp=TLP.GREEN)
    report = _report(world)
    may_share = who != "viewer-a"
    may_change = who in ("analyst-a", "admin-a", "community-admin")
    may_manage = who in ("admin-a", "community-admin")
    expected = {
        **dict.fromkeys(_urls(world), True),
        reverse("sharing:report-create"): may_share,
        reverse("sharing:indicator-edit", args=[indicator.pk]): may_change,
        reverse("sharing:indicator-delete", args=[indicator.pk]): may_change,
        reverse("sharing:report-edit", args=[report.pk]): may_change,
        reverse("sharing:report-delete", args=[report.pk]): may_change,
        reverse("sharing:group-create"): may_manage,
        reverse("sharing:group-edit", args=[world.west.pk]): may_manage,
    }
    expected[reverse("sharing:indicator-create")] = may_share
    for url, allowed in expected.items():
        response = client.get(url)
        assert response.status_code == (200 if allowed else 403), (url, response.status_code)


def test_a_viewer_may_not_share_nor_change(world: World) -> None:
    indicator = share(world)
    client = web(world["viewer-a"])
    page = client.get(reverse("sharing:indicator", args=[indicator.pk])).content.decode()
    assert reverse("sharing:indicator-edit", args=[indicator.pk]) not in page
    assert client.get(reverse("sharing:indicator-edit", args=[indicator.pk])).status_code == 403
    assert client.post(reverse("sharing:indicator-delete", args=[indicator.pk])).status_code == 403
    assert client.get(reverse("sharing:indicator-create")).status_code == 403
    assert client.get(reverse("sharing:report-create")).status_code == 403
    response = client.post(
        reverse("sharing:indicator-create"),
        {"value": "evil.example", "tlp": "amber", "distribution": "community"},
    )
    assert response.status_code == 403  # no team to share for
    assert not Indicator.objects.filter(value="evil.example").exists()


# --- search: exactly what the rule allows ---------------------------------------------------


@pytest.mark.parametrize("who", VIEWERS)
def test_the_search_shows_exactly_what_the_rule_allows(marked: World, who: str) -> None:
    user = marked[who]
    client = web(user)
    expected = {obj.pk for obj in marked.objects if reference_sees(user, obj)}
    assert listed(client.get(SEARCH)) == expected
    for obj in marked.objects:
        defanged = obj.value.replace(".", "[.]")
        assert listed(client.get(SEARCH, {"q": defanged})) == (
            {obj.pk} if obj.pk in expected else set()
        )
        detail = client.get(reverse("sharing:indicator", args=[obj.pk]))
        assert detail.status_code == (200 if obj.pk in expected else 404)


def test_a_pasted_value_is_read_and_said_how(world: World) -> None:
    url = share(world, kind="url", value="http://evil.example/login", tlp=TLP.GREEN)
    share(world, kind="url", value="http://evil.example/other", tlp=TLP.GREEN)
    response = web(world["analyst-c"]).get(SEARCH, {"q": "  hxxp://evil[.]example/login "})
    assert listed(response) == {url.pk}
    page = response.content.decode()
    assert "<code>http://evil.example/login</code>" in page
    # Words that are not a value look in names and descriptions.
    named = share(world, value="192.0.2.44", name="Emotet C2", tlp=TLP.GREEN)
    assert listed(web(world["analyst-c"]).get(SEARCH, {"q": "emotet"})) == {named.pk}


def test_filters_of_the_search_page(marked: World) -> None:
    client = web(marked["analyst-a"])
    red = {obj.pk for obj in marked.objects if obj.tlp == TLP.RED}
    assert listed(client.get(SEARCH, {"tlp": "red"})) == red
    assert listed(client.get(SEARCH, {"type": "ip"})) == {
        obj.pk for obj in marked.objects if obj.kind == "ip"
    }
    assert listed(client.get(SEARCH, {"team": "CERT-B"})) == set()
    assert client.get(SEARCH, {"tlp": "purple"}).status_code == 400


# --- an indicator's page ---------------------------------------------------------------------


def test_also_seen_by_names_only_what_the_reader_may_see(world: World) -> None:
    mine = share(world, team=world.c, value="203.0.113.5")
    share(world, team=world.a, value="203.0.113.5", distribution=Distribution.TEAM)
    theirs = share(world, team=world.b, value="203.0.113.5", tlp=TLP.GREEN)
    services.create_sighting(world.b, theirs, acting_user=None, count=2)
    page = web(world["analyst-c"]).get(reverse("sharing:indicator", args=[mine.pk]))
    section = page.content.decode().split('id="also-seen-by"')[1].split("</section>")[0]
    assert "CERT-B" in section
    assert "CERT-A" not in section


def test_we_saw_it_too_records_a_sighting_no_wider_than_the_indicator(world: World) -> None:
    grouped = share(world, tlp=TLP.AMBER, distribution=Distribution.GROUP, sharing_group=world.west)
    named = share(world, tlp=TLP.RED, distribution=Distribution.TEAM, recipient_teams=[world.c])
    seen = reverse("sharing:indicator-seen", args=[grouped.pk])
    response = web(world["analyst-b"]).post(seen, {"team": world.b.pk, "count": 3})
    assert response.status_code == 302
    sighting = Sighting.objects.get(indicator=grouped)
    assert (sighting.owner_team, sighting.count, sighting.tlp) == (world.b, 3, TLP.AMBER)
    assert (sighting.distribution, sighting.sharing_group) == (Distribution.GROUP, world.west)
    web(world["analyst-c"]).post(
        reverse("sharing:indicator-seen", args=[named.pk]), {"team": world.c.pk, "count": 1}
    )
    sighting = Sighting.objects.get(indicator=named)
    assert (sighting.tlp, sighting.distribution) == (TLP.RED, Distribution.TEAM)
    page = web(world["analyst-a"]).get(reverse("sharing:indicator", args=[grouped.pk]))
    assert "CERT-B" in page.content.decode().split('id="sightings"')[1]
    # A viewer may not record one; nor anybody for an indicator they cannot see.
    assert web(world["viewer-b"]).post(seen, {"team": world.b.pk, "count": 1}).status_code == 302
    assert Sighting.objects.filter(indicator=grouped).count() == 1
    hidden = share(world, distribution=Distribution.TEAM)
    refused = web(world["analyst-c"]).post(
        reverse("sharing:indicator-seen", args=[hidden.pk]), {"team": world.c.pk, "count": 1}
    )
    assert refused.status_code == 404


def test_versions_keep_their_own_marking(world: World) -> None:
    indicator = share(world, tlp=TLP.RED, distribution=Distribution.TEAM, value="192.0.2.99")
    services.update_indicator(
        indicator,
        {"tlp": TLP.GREEN, "distribution": Distribution.COMMUNITY, "name": "now shared"},
        acting_user=None,
    )
    url = reverse("sharing:indicator", args=[indicator.pk])
    owner = web(world["analyst-a"]).get(url).content.decode()
    other = web(world["analyst-c"]).get(url).content.decode()
    assert owner.split('id="versions"')[1].count("<details>") == 2
    assert other.split('id="versions"')[1].count("<details>") == 1
    assert "TLP:RED" not in other.split('id="versions"')[1]


# --- the share section and the indicator form ------------------------------------------------


def test_the_share_section_explains_each_choice_without_script(world: World) -> None:
    page = web(world["analyst-a"]).get(reverse("sharing:indicator-create")).content.decode()
    for tlp in TLP:
        assert tlp.label in page
    assert "Named recipients only." in page
    assert "The recipient organisations only." in page
    assert "Every team of the community." in page
    assert "The teams of the sharing group chosen below." in page
    assert 'id="share-summary"' in page
    assert 'type="application/json"' in page  # the sentences for the script, not code
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)", page)


def test_an_analyst_shares_an_indicator_with_a_group(world: World) -> None:
    response = web(world["analyst-a"]).post(
        reverse("sharing:indicator-create"),
        {
            "team": world.a.pk,
            "value": "hxxps://pay-portal[.]example/login",
            "tlp": "amber",
            "distribution": "group",
            "sharing_group": world.west.pk,
            "labels": "phishing, banking",
            "confidence": "80",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    indicator = Indicator.objects.get()
    assert response["Location"] == reverse("sharing:indicator", args=[indicator.pk])
    assert (indicator.kind, indicator.value) == ("url", "https://pay-portal.example/login")
    assert (indicator.tlp, indicator.sharing_group) == (TLP.AMBER, world.west)
    assert indicator.labels == ["phishing", "banking"]
    entry = AuditEntry.objects.get(object_type="sharing.indicator", action="create")
    assert entry.channel == "web"


def test_the_indicator_form_says_what_is_wrong(world: World) -> None:
    client = web(world["analyst-a"])
    for data, field in (
        ({"kind": "ip", "value": "999.1.1.1"}, "value"),
        ({"value": "not a value at all"}, "kind"),
        ({"value": "evil.example", "distribution": "group"}, "sharing_group"),
        ({"value": "evil.example", "tlp": "purple"}, "tlp"),
    ):
        response = client.post(
            reverse("sharing:indicator-create"),
            {"team": world.a.pk, "tlp": "amber", "distribution": "community", **data},
        )
        assert response.status_code == 400, data
        assert field in response.context["form"].errors, (data, response.context["form"].errors)
    assert not Indicator.objects.exists()


def test_editing_keeps_the_team_and_records_a_version(world: World) -> None:
    indicator = share(world, tlp=TLP.GREEN)
    url = reverse("sharing:indicator-edit", args=[indicator.pk])
    client = web(world["analyst-a"])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "team": world.b.pk,  # ignored: the team stays
            "kind": "ip",
            "value": indicator.value,
            "tlp": "amber+strict",
            "distribution": "team",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    indicator.refresh_from_db()
    assert (indicator.owner_team, indicator.tlp) == (world.a, TLP.AMBER_STRICT)
    assert web(world["analyst-b"]).get(url).status_code == 404  # no longer visible to B
    assert client.post(reverse("sharing:indicator-delete", args=[indicator.pk])).status_code == 302
    assert not Indicator.objects.filter(pk=indicator.pk).exists()


# --- reports -------------------------------------------------------------------------------------


def test_a_report_is_written_with_a_file_and_shown_safely(world: World) -> None:
    indicator = share(world, tlp=TLP.GREEN, value="192.0.2.77")
    secret = share(world, team=world.b, distribution=Distribution.TEAM, value="192.0.2.78")
    client = web(world["analyst-a"])
    response = client.post(
        reverse("sharing:report-create"),
        {
            "team": world.a.pk,
            "title": "Spring campaign",
            "body": "# Findings\n\n**C2** seen.<script>alert(1)</script>[x](javascript:alert(1))",
            "object_refs": f"{indicator.stix_id}\n{secret.stix_id}",
            "tlp": "green",
            "distribution": "community",
            "attachment": SimpleUploadedFile("iocs.csv", b"ip\n192.0.2.77\n", "text/csv"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    report = Report.objects.get()
    attachment = ReportAttachment.objects.get(report=report)
    assert attachment.sha256
    page = web(world["analyst-c"]).get(reverse("sharing:report", args=[report.pk]))
    html = page.content.decode()
    body = html.split('id="report-body"')[1].split("</article>")[0]
    assert "<h1>Findings</h1>" in body
    assert "<strong>C2</strong>" in body
    assert "<script" not in body
    assert "javascript:" not in body.replace("javascript:alert(1))", "")
    references = html.split('id="references"')[1]
    assert "192.0.2.77" in references
    assert secret.stix_id not in html  # hidden from C
    download = web(world["analyst-c"]).get(
        reverse("sharing:attachment", args=[report.pk, attachment.pk])
    )
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert 'filename="iocs.csv"' in download["Content-Disposition"]
    assert download.getvalue() == b"ip\n192.0.2.77\n"


def test_the_editor_previews_the_text_safely_and_saves_nothing(world: World) -> None:
    client = web(world["analyst-a"])
    fields = {
        "team": world.a.pk,
        "title": "Draft",
        "body": "## Timeline\n\n*first* wave<img src=x onerror=alert(1)>",
        "tlp": "amber",
        "distribution": "team",
        "preview": "1",
    }
    response = client.post(reverse("sharing:report-create"), fields)
    assert response.status_code == 200
    preview = response.content.decode().split('id="preview"')[1].split("</section>")[0]
    assert "<h2>Timeline</h2>" in preview
    assert "<em>first</em>" in preview
    assert "<img" not in preview  # raw HTML is shown as text, never as markup
    assert 'value="Draft"' in response.content.decode()  # the form keeps what was typed
    assert not Report.objects.exists()
    without_preview = {name: value for name, value in fields.items() if name != "preview"}
    saved = client.post(reverse("sharing:report-create"), without_preview)
    assert saved.status_code == 302
    assert Report.objects.get().title == "Draft"


def test_a_file_is_refused_to_whoever_may_not_see_its_report(world: World) -> None:
    report = _report(
        world, tlp=TLP.AMBER, distribution=Distribution.GROUP, sharing_group=world.west
    )
    attachment = attach_file(
        report,
        SimpleUploadedFile("x.html", b"<script>alert(1)</script>", "text/html"),
        acting_user=world["analyst-a"],
    )
    url = reverse("sharing:attachment", args=[report.pk, attachment.pk])
    assert web(world["analyst-c"]).get(url).status_code == 404
    assert web(world["admin-d"]).get(url).status_code == 404
    other = _report(world, title="Public", tlp=TLP.CLEAR, distribution=Distribution.PUBLIC)
    # The file of a hidden report is not reached through a visible one either.
    wrong = reverse("sharing:attachment", args=[other.pk, attachment.pk])
    assert web(world["analyst-c"]).get(wrong).status_code == 404
    seen = web(world["viewer-b"]).get(url)
    assert seen.status_code == 200
    assert seen["Content-Type"] == "application/octet-stream"  # never rendered as a page
    assert seen["Content-Disposition"].startswith("attachment;")


def test_files_over_the_limit_are_refused(world: World, settings: Any) -> None:
    settings.SHARING_MAX_ATTACHMENT_BYTES = 10
    response = web(world["analyst-a"]).post(
        reverse("sharing:report-create"),
        {
            "team": world.a.pk,
            "title": "Too big",
            "tlp": "green",
            "distribution": "community",
            "attachment": SimpleUploadedFile("big.bin", b"x" * 11),
        },
    )
    assert response.status_code == 400
    assert "attachment" in response.context["form"].errors
    assert not Report.objects.exists()


def test_the_editor_keeps_references_its_author_cannot_see_and_removes_files(
    world: World,
) -> None:
    theirs = share(world, team=world.b, distribution=Distribution.TEAM, value="192.0.2.80")
    report = _report(world, object_refs=[theirs.stix_id])
    attachment = attach_file(
        report, SimpleUploadedFile("a.txt", b"a"), acting_user=world["analyst-a"]
    )
    client = web(world["analyst-a"])
    edit = reverse("sharing:report-edit", args=[report.pk])
    page = client.get(edit).content.decode()
    assert theirs.stix_id not in page
    response = client.post(
        edit,
        {"title": "Renamed", "object_refs": "", "tlp": "amber", "distribution": "community"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    report.refresh_from_db()
    assert (report.title, report.object_refs) == ("Renamed", [theirs.stix_id])
    delete = reverse("sharing:attachment-delete", args=[report.pk, attachment.pk])
    assert web(world["viewer-a"]).post(delete).status_code == 403
    assert client.post(delete).status_code == 302
    assert not ReportAttachment.objects.exists()
    assert AuditEntry.objects.filter(
        object_type="sharing.reportattachment", action="delete"
    ).exists()


def test_the_report_list_shows_what_the_rule_allows(world: World) -> None:
    seen = _report(
        world, title="For the group", distribution=Distribution.GROUP, sharing_group=world.west
    )
    hidden = _report(world, title="Ours", distribution=Distribution.TEAM)
    assert listed(web(world["viewer-b"]).get(reverse("sharing:reports")), "report") == {seen.pk}
    assert listed(web(world["analyst-c"]).get(reverse("sharing:reports")), "report") == set()
    assert (
        web(world["analyst-c"]).get(reverse("sharing:report", args=[hidden.pk])).status_code == 404
    )
    found = web(world["viewer-b"]).get(reverse("sharing:reports"), {"q": "group"})
    assert listed(found, "report") == {seen.pk}


# --- sharing groups -------------------------------------------------------------------------------


def test_a_team_admin_creates_a_group_adds_and_removes_teams(world: World) -> None:
    client = web(world["admin-b"])
    response = client.post(
        reverse("sharing:group-create"),
        {"owner_team": world.b.pk, "name": "East", "member_teams": [world.c.pk]},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    group = SharingGroup.objects.get(name="East")
    assert set(group.member_teams.all()) == {world.c}
    client.post(reverse("sharing:group-add-team", args=[group.pk]), {"team": world.d.pk})
    assert set(group.member_teams.all()) == {world.c, world.d}
    page = client.get(reverse("sharing:group", args=[group.pk])).content.decode()
    assert "CERT-D" in page
    # D's admin leaves; another team's analyst may not take C out.
    web(world["admin-d"]).post(reverse("sharing:group-remove-team", args=[group.pk, world.d.pk]))
    assert set(group.member_teams.all()) == {world.c}
    refused = web(world["analyst-a"]).post(
        reverse("sharing:group-remove-team", args=[group.pk, world.c.pk])
    )
    assert refused.status_code == 403
    assert (
        web(world["admin-d"]).get(reverse("sharing:group-edit", args=[group.pk])).status_code == 403
    )
    edit = client.post(
        reverse("sharing:group-edit", args=[group.pk]),
        {"name": "East Africa", "members_can_add": "on"},
    )
    assert edit.status_code == 302
    group.refresh_from_db()
    assert (group.name, group.members_can_add, group.owner_team) == ("East Africa", True, world.b)


def test_only_a_teams_admin_creates_groups_and_names_are_unique(world: World) -> None:
    assert web(world["analyst-a"]).get(reverse("sharing:group-create")).status_code == 403
    response = web(world["admin-a"]).post(
        reverse("sharing:group-create"), {"owner_team": world.a.pk, "name": "west"}
    )
    assert response.status_code == 400
    assert "name" in response.context["form"].errors


def test_a_group_in_use_is_kept(world: World) -> None:
    share(world, distribution=Distribution.GROUP, sharing_group=world.west)
    response = web(world["admin-a"]).post(reverse("sharing:group-delete", args=[world.west.pk]))
    assert response.status_code == 302
    assert SharingGroup.objects.filter(pk=world.west.pk).exists()
    empty = groups.create_group(world.a, acting_user=None, name="Empty")
    web(world["admin-a"]).post(reverse("sharing:group-delete", args=[empty.pk]))
    assert not SharingGroup.objects.filter(pk=empty.pk).exists()


# --- languages, queries --------------------------------------------------------------------


@pytest.mark.parametrize(("language", "direction"), [("fr", "ltr"), ("ar", "rtl"), ("pt", "ltr")])
def test_pages_render_in_each_language(world: World, language: str, direction: str) -> None:
    indicator = share(world, tlp=TLP.GREEN)
    report = _report(world, body="**x**")
    client = web(world["analyst-a"], language)
    for url in (
        SEARCH,
        reverse("sharing:indicator", args=[indicator.pk]),
        reverse("sharing:indicator-create"),
        reverse("sharing:report", args=[report.pk]),
        reverse("sharing:report-edit", args=[report.pk]),
        reverse("sharing:groups"),
        reverse("sharing:group", args=[world.west.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert f'lang="{language}"' in html
        assert f'dir="{direction}"' in html


def test_list_pages_take_a_fixed_number_of_queries(
    world: World, django_assert_max_num_queries: Any
) -> None:
    for number in range(30):
        share(world, tlp=TLP.AMBER, distribution=Distribution.GROUP, sharing_group=world.west)
        _report(world, title=f"r{number}", sharing_group=world.west, distribution="group")
        groups.create_group(world.c, acting_user=None, name=f"g{number}", member_teams=[world.d])
    client = web(world["viewer-b"])
    client.get(SEARCH)
    for url in (SEARCH, reverse("sharing:reports"), reverse("sharing:groups")):
        with django_assert_max_num_queries(12):
            assert client.get(url).status_code == 200
