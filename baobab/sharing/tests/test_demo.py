"""The demo's shared objects show the rules at work for each demo user."""

from __future__ import annotations

import pytest

from baobab.core.choices import TLP
from baobab.core.models import User
from baobab.directory import demo as directory_demo
from baobab.sharing import demo
from baobab.sharing.models import Indicator, Report
from baobab.sharing.queries import visible

pytestmark = pytest.mark.django_db


def _values(username: str | None) -> set[str]:
    user = User.objects.get(username=username) if username else None
    return set(visible(Indicator, user).values_list("value", flat=True))


def test_every_tlp_is_shared_and_each_user_sees_what_the_rules_allow() -> None:
    directory_demo.load()
    counts = demo.load()
    assert counts["indicators"] == len(demo.INDICATORS)
    assert demo.load() == {}  # once only
    assert set(Indicator.objects.values_list("tlp", flat=True)) == set(TLP)

    group_url = "http://mpesa-verify.example/login.php"
    red_ip, own_email = "198.51.100.23", "support@mpesa-verify.example"
    assert {group_url, red_ip, own_email} <= _values("analyst-ke")  # the owner sees all of its own
    assert group_url in _values("analyst-mz")  # a member of the group
    assert red_ip not in _values("analyst-mz")
    assert group_url not in _values("viewer-ng")  # not in the group
    assert own_email not in _values("viewer-ng")
    assert "mpesa-verify.example" in _values("viewer-ng")  # community, TLP:GREEN
    assert _values(None) == {"192.0.2.66", "9e107d9d372bb6826bd81d3542a419d6"}
    assert set(visible(Report, None).values_list("tlp", flat=True)) == {TLP.CLEAR}
