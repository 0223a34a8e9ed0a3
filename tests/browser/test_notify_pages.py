"""Notifications in a real browser: the demo's Kenyan analyst opens the
team's outbox, reads a digest held for review and releases it; the delivery
pass then writes it out. A viewer of another team finds no trace of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from baobab.notify import delivery
from baobab.notify.choices import MessageStatus
from baobab.notify.models import OutboxMessage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser: Any, live_server: Any, settings: Any, tmp_path: Path) -> Any:
    settings.DATA_DIR = tmp_path / "data"
    settings.EMAIL_HOST = ""
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    call_command("demo")
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    yield page
    context.close()
    assert not [m for m in messages if "Content Security Policy" in m], messages


def _log_in(page: Any, username: str) -> None:
    page.goto("/")
    page.fill("#id_username", username)
    page.fill("#id_password", "baobab-demo")
    page.click("button[type=submit]:near(#id_password)")
    page.wait_for_load_state()
    assert "/account/login" not in page.url


def test_an_analyst_releases_a_held_digest(page: Any, tmp_path: Path) -> None:
    held = OutboxMessage.objects.filter(
        team__short_name="KE-CIRT-DEMO", status=MessageStatus.HELD
    ).first()
    assert held is not None
    _log_in(page, "analyst-ke")
    page.click("nav >> text=Notifications")
    page.wait_for_load_state()
    page.click("text=KE-CIRT-DEMO")
    page.wait_for_load_state()
    page.goto(f"/notify/KE-CIRT-DEMO/outbox/?status={MessageStatus.HELD}")
    rows = page.inner_text("table#outbox tbody")
    assert held.reference in rows
    page.click(f"text={held.reference}")
    page.wait_for_load_state()
    assert "TLP:" in page.inner_text("main")
    assert held.subject.split()[0] in page.inner_text("main")
    page.click("button:has-text('Release')")
    page.wait_for_load_state()
    held.refresh_from_db()
    assert held.status == MessageStatus.QUEUED
    assert delivery.deliver().sent >= 1
    held.refresh_from_db()
    assert held.status == MessageStatus.SENT
    assert (tmp_path / "mail" / f"{held.reference}.eml").is_file()


def test_another_teams_viewer_sees_nothing_of_it(page: Any) -> None:
    held = OutboxMessage.objects.filter(team__short_name="KE-CIRT-DEMO").first()
    assert held is not None
    _log_in(page, "viewer-ng")
    response = page.goto(f"/notify/KE-CIRT-DEMO/outbox/{held.pk}/")
    assert response is not None
    assert response.status == 404
    assert held.reference not in page.content()
    page.goto("/notify/")
    assert "KE-CIRT-DEMO" not in page.inner_text("main")
