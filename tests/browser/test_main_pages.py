"""The main pages in a real browser: a first visit (log in, French and Arabic,
look up an address, open the responsible team's page), and a team admin's
work on the directory while another team's member sees only what TLP allows."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser: Any, live_server: Any) -> Any:
    call_command("demo")
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    yield page
    context.close()
    # The strict Content-Security-Policy must not have blocked anything.
    assert not [m for m in messages if "Content Security Policy" in m], messages


def _log_in(page: Any, username: str = "analyst-ke") -> None:
    page.goto("/")
    page.fill("#id_username", username)
    page.fill("#id_password", "baobab-demo")
    page.click("button[type=submit]:near(#id_password)")
    page.wait_for_load_state()
    assert "/account/login" not in page.url


def _switch_language(page: Any, code: str) -> None:
    page.select_option("#language-select", code)
    page.click(".language-switcher button[type=submit]")
    page.wait_for_load_state()


def test_login_languages_lookup_and_team_page(page: Any) -> None:
    _log_in(page)

    _switch_language(page, "fr")
    assert page.get_attribute("html", "lang") == "fr"
    assert page.get_attribute("html", "dir") == "ltr"
    assert "Annuaire" in page.inner_text("nav.main-nav")

    _switch_language(page, "ar")
    assert page.get_attribute("html", "lang") == "ar"
    assert page.get_attribute("html", "dir") == "rtl"
    # The header is laid out right to left: the brand sits at the right edge.
    brand = page.locator(".brand").bounding_box()
    viewport = page.viewport_size
    assert brand["x"] > viewport["width"] / 2

    page.goto("/directory/lookup/")
    page.fill("#lookup-query", "192.0.2.7")
    page.click("form button[type=submit]:near(#lookup-query)")
    page.wait_for_selector("#lookup-result")
    result = page.inner_text("#lookup-result")
    assert "KE-CIRT-DEMO" in result or "Kenya" in result
    page.screenshot(path="/tmp/baobab-lookup-ar.png", full_page=True)

    page.click("#lookup-result a[href*='/directory/teams/KE-CIRT-DEMO']")
    page.wait_for_load_state()
    assert page.url.rstrip("/").endswith("/directory/teams/KE-CIRT-DEMO")
    assert "Kenya National CIRT (demo)" in page.inner_text("h1")
    assert page.get_attribute("html", "dir") == "rtl"

    _switch_language(page, "en")
    assert page.get_attribute("html", "dir") == "ltr"
    assert "Kenya National CIRT (demo)" in page.inner_text("h1")
    page.screenshot(path="/tmp/baobab-team-en.png", full_page=True)


def test_team_admin_searches_and_adds_a_contact_that_tlp_then_guards(page: Any) -> None:
    _log_in(page, "admin-sn")
    page.goto("/directory/")
    page.fill("#id_q", "Sénégal")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    rows = page.inner_text("table tbody")
    assert "SN-CERT-DEMO" in rows
    assert "KE-CIRT-DEMO" not in rows

    page.click("table tbody a[href*='/directory/teams/SN-CERT-DEMO']")
    page.wait_for_load_state()
    page.click("text=Add a contact")
    page.wait_for_load_state()
    page.fill("#id_name", "Night duty (browser test)")
    page.fill("#id_emails", "night@sn-cert-demo.example")
    page.fill("#id_phones", "+000 555 0999 (emergency)")
    page.select_option("#id_tlp", "red")
    page.click("form.card button[type=submit]")
    page.wait_for_load_state()
    assert page.url.rstrip("/").endswith("/directory/teams/SN-CERT-DEMO")
    assert "night@sn-cert-demo.example" in page.inner_text("main")
    assert "Its team only (TLP:RED)" in page.inner_text("main")
    page.screenshot(path="/tmp/baobab-team-admin.png", full_page=True)

    page.context.clear_cookies()
    _log_in(page, "viewer-ng")
    page.goto("/directory/teams/SN-CERT-DEMO/")
    main = page.inner_text("main")
    assert "CERT Sénégal (demo)" in main
    assert "night@sn-cert-demo.example" not in main  # TLP:RED stays with its team
    assert page.locator("text=Add a contact").count() == 0  # a viewer of another team
