"""The demo community: loads once, is clearly marked, uses documentation space only."""

from __future__ import annotations

import ipaddress

import pytest
from django.core.management import call_command

from baobab.core.models import AuditEntry, Team, User
from baobab.directory.choices import ClaimKind
from baobab.directory.models import ConstituencyClaim, Organisation

DOCUMENTATION_NETS = [
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
]
DOCUMENTATION_ASNS = set(range(64496, 64512)) | set(range(65536, 65552))


@pytest.mark.django_db
def test_demo_loads_once_and_is_marked(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("demo", "--if-empty")
    call_command("demo", "--if-empty")
    out = capsys.readouterr().out
    assert "Demo log-in" in out
    assert Team.objects.filter(team_type="national").count() >= 12
    assert Team.objects.filter(team_type="regional").count() == 1
    assert not Team.objects.filter(is_demo=False).exists()
    assert all("(demo)" in team.name for team in Team.objects.all())
    assert all("(demo)" in org.name for org in Organisation.objects.all())
    assert User.objects.get(username="coordinator").check_password("baobab-demo")
    assert AuditEntry.objects.filter(channel="cli").count() > 50


@pytest.mark.django_db
def test_demo_uses_documentation_space_only() -> None:
    call_command("demo")
    for claim in ConstituencyClaim.objects.filter(kind=ClaimKind.PREFIX):
        net = ipaddress.ip_network(claim.value)
        assert any(net.subnet_of(doc) for doc in DOCUMENTATION_NETS if doc.version == net.version)  # type: ignore[arg-type]
    for claim in ConstituencyClaim.objects.filter(kind=ClaimKind.ASN):
        assert int(claim.value) in DOCUMENTATION_ASNS
    for claim in ConstituencyClaim.objects.filter(kind=ClaimKind.DOMAIN):
        assert claim.value.endswith(".example")


@pytest.mark.django_db
def test_demo_is_skipped_when_teams_exist(
    make_team: object, capsys: pytest.CaptureFixture[str]
) -> None:
    make_team("REAL-CERT")  # type: ignore[operator]
    call_command("demo", "--if-empty")
    assert "not loaded" in capsys.readouterr().out
    assert not Team.objects.filter(is_demo=True).exists()
