"""Sharing in a real browser: an analyst shares an indicator with a sharing
group at TLP:AMBER through the share section (its sentence follows the
choices); an analyst of another team in the group finds it by pasting the
defanged value and, on their own team's copy, sees the first team under
"also seen by"; an analyst of a team outside the group finds nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from baobab.core.choices import TLP, Role
from baobab.core.models import Team, User
from baobab.sharing import groups, services
from baobab.sharing.models import Indicator

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"  # make_user's
VALUE = "update-check.example"
DEFANGED = "update-check[.]example"


@pytest.fixture
def teams(make_team: Callable[..., Team], make_user: Callable[..., User]) -> dict[str, Team]:
    found = {
        "ke": make_team("KE-CIRT", name="Kenya CIRT"),
        "gh": make_team("GH-CERT", name="Ghana CERT"),
        "ng": make_team("NG-CERT", name="Nigeria CERT"),
    }
    make_user("analyst-ke", team=found["ke"], role=Role.ANALYST, password=PASSWORD)
    gh = make_user("analyst-gh", team=found["gh"], role=Role.ANALYST, password=PASSWORD)
    make_user("analyst-ng", team=found["ng"], role=Role.ANALYST, password=PASSWORD)
    groups.create_group(found["ke"], acting_user=None, name="West", member_teams=[found["gh"]])
    # GH-CERT already shares the same value, for itself.
    services.create_indicator(
        found["gh"], acting_user=gh, kind="domain", value=VALUE, tlp=TLP.AMBER, distribution="team"
    )
    return found


@pytest.fixture
def page(browser: Any, live_server: Any, teams: dict[str, Team]) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    yield page
    context.close()
    # The strict Content-Security-Policy must not have blocked anything.
    assert not [m for m in messages if "Content Security Policy" in m], messages


def _log_in(page: Any, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]:near(#id_password)")
    page.wait_for_load_state()
    assert "/account/login" not in page.url


def _search(page: Any, text: str) -> str:
    page.click("nav.main-nav >> text=Sharing")
    page.wait_for_load_state()
    page.fill("#id_q", text)
    page.click("#indicator-search button[type=submit]")
    page.wait_for_load_state()
    return str(page.inner_text("table#indicators tbody"))


def test_shared_with_a_group_found_by_its_members_only(page: Any, teams: dict[str, Team]) -> None:
    _log_in(page, "analyst-ke")
    page.click("nav.main-nav >> text=Sharing")
    page.wait_for_load_state()
    page.click("text=Share an indicator")
    page.wait_for_load_state()
    page.fill("#id_value", "hxxps://update-check[.]example")
    page.select_option("#id_kind", "domain")
    page.fill("#id_value", DEFANGED)
    # Without a group distribution the group is not asked for (the script hides it).
    assert not page.is_visible("#share-group")
    page.check("#share-tlp input[value='amber']")
    page.check("#share-distribution input[value='group']")
    assert page.is_visible("#share-group")
    summary = page.inner_text("#share-summary")
    assert "sharing group" in summary
    assert "organisations and their clients" in page.inner_text("#share-tlp")
    page.select_option("#id_sharing_group", label="West")
    assert "sharing group West" in page.inner_text("#share-summary")
    page.screenshot(path="/tmp/baobab-share-section.png", full_page=True)
    page.click("#indicator-form button[type=submit]")
    page.wait_for_load_state()
    assert "/sharing/indicators/" in page.url
    shared = Indicator.objects.get(owner_team=teams["ke"])
    assert (shared.value, shared.tlp) == (VALUE, TLP.AMBER)
    assert shared.sharing_group is not None
    assert shared.sharing_group.name == "West"
    assert "TLP:AMBER" in page.inner_text("main")
    assert "West" in page.inner_text("#audience")

    # A member of another team in the group finds it by the defanged value,
    # and sees KE-CIRT under "also seen by" on its own copy.
    _log_in(page, "analyst-gh")
    rows = _search(page, DEFANGED)
    assert "KE-CIRT" in rows
    assert "GH-CERT" in rows
    assert VALUE in page.inner_text("#search-reading")
    page.click(f"#indicator-{Indicator.objects.get(owner_team=teams['gh']).pk} a")
    page.wait_for_load_state()
    assert "KE-CIRT" in page.inner_text("#also-seen-by")
    page.click("#seen-form button[type=submit]")
    page.wait_for_load_state()
    assert "GH-CERT" in page.inner_text("#sightings")
    page.screenshot(path="/tmp/baobab-also-seen-by.png", full_page=True)

    # A team outside the group finds nothing, not even that it exists.
    _log_in(page, "analyst-ng")
    rows = _search(page, DEFANGED)
    assert "KE-CIRT" not in rows
    assert "No indicator you may see matches." in rows
    response = page.goto(f"/sharing/indicators/{shared.pk}/")
    assert response is not None
    assert response.status == 404


def test_the_share_section_reads_right_to_left_in_arabic(page: Any) -> None:
    _log_in(page, "analyst-ke")
    page.goto("/sharing/indicators/new/")
    page.select_option("#language-select", "ar")
    page.click(".language-switcher button[type=submit]")
    page.wait_for_load_state()
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.is_visible("#share-tlp")
    # Each TLP choice carries its plain-words meaning next to it.
    assert page.locator("#share-tlp label .choice-description").count() == len(TLP)
    page.screenshot(path="/tmp/baobab-share-section-ar.png", full_page=True)
