"""The look-up inside Django: the index kept correct when the directory
changes (in this process and in others), no SQL per warm look-up, the
``baobab lookup`` command, the API and the page, and contacts under the
visibility rule."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import F
from django.test import Client
from pytest_django import DjangoAssertNumQueries, DjangoCaptureOnCommitCallbacks
from pytest_django.fixtures import Settings as SettingsWrapper
from rest_framework.test import APIClient

from baobab.core.choices import TLP, Distribution, Role, TeamType
from baobab.core.management.base import UsageError
from baobab.core.models import Team, User
from baobab.core.visibility import restrict
from baobab.directory import index as lookup_index
from baobab.directory import services
from baobab.directory.api.lookup import LookupAnswerSerializer
from baobab.directory.index import get_index, lookup
from baobab.directory.lookup import RoutingTable
from baobab.directory.models import ConstituencyClaim, Contact, LookupIndexState, Organisation

MakeTeam = Callable[..., Team]
MakeUser = Callable[..., User]


@pytest.fixture(autouse=True)
def fresh_index() -> Iterator[None]:
    """Every test starts without a cached index (the test database is rolled back)."""
    lookup_index.reset_index()
    yield
    lookup_index.set_ip_to_asn(None)
    lookup_index.reset_index()


@pytest.fixture
def community(
    make_team: MakeTeam, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> dict[str, Any]:
    """A national team with an ISP, a regional coordinator and some claims."""
    with django_capture_on_commit_callbacks(execute=True):
        national = make_team("ke-cirt", name="Kenya CIRT", country="KE")
        regional = make_team("africacert", name="AfricaCERT", team_type=TeamType.REGIONAL)
        isp = services.create_organisation(
            acting_user=None,
            short_name="safcom",
            name="Safaricom",
            kind="isp",
            country="KE",
            managed_by=national,
        )
        prefix = services.create_claim(isp, "prefix", "198.51.100.0/24", acting_user=None)
        services.create_claim(national, "domain", "go.ke", acting_user=None)
        services.create_contact(
            isp,
            acting_user=None,
            name="Safaricom abuse desk",
            emails=["abuse@safcom.example"],
            phones=[{"number": "+254 700 000 000", "kind": "emergency"}],
            tlp=TLP.GREEN,
        )
        services.create_contact(
            national,
            acting_user=None,
            name="Duty officer",
            emails=["duty@ke-cirt.example"],
            is_24x7=True,
            tlp=TLP.GREEN,
        )
    return {"national": national, "regional": regional, "isp": isp, "prefix": prefix}


def holder_names(text: str, user: User | None = None) -> list[str]:
    return [match.holder.short_name for match in lookup(text, user).matches]


# --- the index follows the directory -------------------------------------------


# These tests commit for real: the index is refreshed when a change commits.


@pytest.mark.django_db(transaction=True)
def test_index_follows_claims_added_changed_and_deleted(
    community: dict[str, Any], make_team: MakeTeam, settings: SettingsWrapper
) -> None:
    settings.LOOKUP_INDEX_RECHECK_SECONDS = 3600  # only this process's signal may refresh it
    assert holder_names("203.0.113.5") == ["africacert"]
    academic = make_team("kenet", team_type=TeamType.ACADEMIC, country="KE")

    added = services.create_claim(academic, "prefix", "203.0.113.0/24", acting_user=None)
    assert holder_names("203.0.113.5") == ["kenet"]
    result = lookup("203.0.113.5")
    assert result.matches[0].claim is not None
    assert result.matches[0].claim.id == added.pk

    services.update_claim(added, {"value": "192.0.2.0/24"}, acting_user=None)
    assert holder_names("203.0.113.5") == ["africacert"]
    assert holder_names("192.0.2.1") == ["kenet"]

    services.delete_claim(added, acting_user=None)
    assert holder_names("192.0.2.1") == ["africacert"]


@pytest.mark.django_db(transaction=True)
def test_index_follows_team_changes(
    community: dict[str, Any], make_team: MakeTeam, settings: SettingsWrapper
) -> None:
    settings.LOOKUP_INDEX_RECHECK_SECONDS = 3600
    assert holder_names("GH") == ["africacert"]
    make_team("gh-cert", country="GH")  # national by default
    assert holder_names("GH") == ["gh-cert"]


@pytest.mark.django_db(transaction=True)
def test_a_change_in_this_process_drops_the_index_when_it_commits(
    community: dict[str, Any], settings: SettingsWrapper
) -> None:
    settings.LOOKUP_INDEX_RECHECK_SECONDS = 3600
    before = get_index()
    with transaction.atomic():
        services.create_claim(community["regional"], "country", "GH", acting_user=None)
        services.create_claim(community["regional"], "country", "NG", acting_user=None)
        assert get_index() is before  # not committed yet: nothing changes
    after = get_index()
    assert after is not before
    assert after.generation == before.generation + 1  # one bump per transaction
    assert [m.basis for m in lookup("GH").matches] == ["country"]


@pytest.mark.django_db
def test_changes_from_another_process_are_seen_after_the_recheck_interval(
    community: dict[str, Any], settings: SettingsWrapper
) -> None:
    settings.LOOKUP_INDEX_RECHECK_SECONDS = 3600
    assert holder_names("198.51.100.7") == ["safcom"]
    # Another process moves the claim and bumps the generation; no signal
    # reaches this process.
    ConstituencyClaim.objects.filter(pk=community["prefix"].pk).update(value="192.0.2.0/24")
    LookupIndexState.objects.filter(pk=1).update(generation=F("generation") + 1)
    assert holder_names("198.51.100.7") == ["safcom"]  # still trusted within the interval

    settings.LOOKUP_INDEX_RECHECK_SECONDS = 0
    assert holder_names("198.51.100.7") == ["africacert"]
    assert holder_names("192.0.2.1") == ["safcom"]


@pytest.mark.django_db
def test_no_change_in_generation_keeps_the_index(
    community: dict[str, Any], settings: SettingsWrapper
) -> None:
    settings.LOOKUP_INDEX_RECHECK_SECONDS = 0
    first = get_index()
    ConstituencyClaim.objects.filter(pk=community["prefix"].pk).update(value="192.0.2.0/24")
    assert get_index() is first  # same generation: nothing to rebuild


@pytest.mark.django_db
def test_warm_lookups_run_no_sql(
    community: dict[str, Any],
    make_user: MakeUser,
    settings: SettingsWrapper,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    settings.LOOKUP_INDEX_RECHECK_SECONDS = 3600
    user = make_user(team=community["national"])
    lookup("198.51.100.7", user)  # builds the index and the user's viewer
    queries = ["198.51.100.7", "198.51.100.0/25", "AS37100", "www.go.ke", "https://x.ke/", "KE"]
    with django_assert_num_queries(0):
        for text in queries * 20:
            lookup(text, user)


@pytest.mark.django_db
def test_recheck_costs_one_query(
    community: dict[str, Any],
    settings: SettingsWrapper,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    settings.LOOKUP_INDEX_RECHECK_SECONDS = 0
    lookup("198.51.100.7")
    with django_assert_num_queries(1):  # the generation, nothing else
        lookup("198.51.100.8")


# --- answers -----------------------------------------------------------------


@pytest.mark.django_db
def test_organisation_answer_has_its_coordinating_team(community: dict[str, Any]) -> None:
    result = lookup("198.51.100.7")
    assert (result.kind, result.step, result.conflict) == ("ip", "prefix", False)
    match = result.matches[0]
    assert match.holder.short_name == "safcom"
    assert match.coordinating_team is not None
    assert match.coordinating_team.short_name == "ke-cirt"
    assert match.reason == "longest matching prefix 198.51.100.0/24 claimed by safcom"
    assert [c.name for c in match.holder.contacts] == ["Safaricom abuse desk"]
    assert [c.name for c in match.coordinating_team.contacts] == ["Duty officer"]


@pytest.mark.django_db
def test_an_ip_to_asn_mapping_can_be_plugged_in(
    community: dict[str, Any],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.create_claim(community["isp"], "asn", "AS64500", acting_user=None)
    assert lookup("203.0.113.5").step == "regional"  # no IP → ASN mapping: no ASN step
    lookup_index.set_ip_to_asn(RoutingTable([("203.0.113.0/24", 64500)]))
    result = lookup("203.0.113.5")
    assert (result.step, result.asn) == ("asn", 64500)
    assert [m.holder.short_name for m in result.matches] == ["safcom"]
    assert lookup("198.51.100.7").step == "prefix"  # a prefix claim still comes first
    lookup_index.set_ip_to_asn(None)
    assert lookup("203.0.113.5").step == "regional"


@pytest.mark.django_db
def test_conflicting_claims_are_all_returned(
    community: dict[str, Any],
    make_team: MakeTeam,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        other = make_team("kenet", team_type=TeamType.ACADEMIC)
        services.create_claim(other, "prefix", "198.51.100.0/24", acting_user=None)
    result = lookup("198.51.100.7")
    assert result.conflict
    assert sorted(m.holder.short_name for m in result.matches) == ["kenet", "safcom"]


# --- contacts under the visibility rule ---------------------------------------------


@pytest.mark.django_db
def test_contacts_follow_the_visibility_rule(
    make_team: MakeTeam,
    make_user: MakeUser,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        owner = make_team("ke-cirt", country="KE")
        named = make_team("gh-cert", country="GH")
        other = make_team("ng-cert", country="NG")
        services.create_claim(owner, "country", "KE", acting_user=None)
        for name, tlp, distribution, recipients in [
            ("community green", TLP.GREEN, Distribution.COMMUNITY, []),
            ("public clear", TLP.CLEAR, Distribution.PUBLIC, []),
            ("own team amber", TLP.AMBER, Distribution.TEAM, []),
            ("red for gh", TLP.RED, Distribution.COMMUNITY, [named]),
        ]:
            services.create_contact(
                owner,
                acting_user=None,
                name=name,
                emails=["x@example.org"],
                tlp=tlp,
                distribution=distribution,
                recipient_teams=recipients,
            )
    everyone = {"community green", "public clear", "own team amber", "red for gh"}
    users = {
        "owner": (make_user(team=owner), everyone),
        "named": (make_user(team=named), {"community green", "public clear", "red for gh"}),
        "other": (make_user(team=other), {"community green", "public clear"}),
        "outsider": (make_user(), {"public clear"}),
    }
    for label, (user, expected) in users.items():
        seen = {c.name for c in lookup("KE", user).matches[0].holder.contacts}
        assert seen == expected, label
        by_queryset = set(
            restrict(Contact.objects.filter(team=owner), user).values_list("name", flat=True)
        )
        assert seen == by_queryset, label  # the same rule as every queryset
    cli = {c.name for c in lookup("KE", None).matches[0].holder.contacts}
    assert cli == everyone  # the operator at the command line


# --- the command ----------------------------------------------------------------


@pytest.mark.django_db
def test_command_prints_the_answer(community: dict[str, Any]) -> None:
    out = StringIO()
    call_command("lookup", "198.51.100.7", stdout=out)
    text = out.getvalue()
    assert "safcom" in text
    assert "longest matching prefix 198.51.100.0/24 claimed by safcom" in text
    assert "abuse@safcom.example" in text
    assert "ke-cirt" in text  # the coordinating team
    assert "duty@ke-cirt.example" in text


@pytest.mark.django_db
def test_command_json(community: dict[str, Any]) -> None:
    out = StringIO()
    call_command("lookup", "AS37100", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["kind"] == "asn"
    assert data["normalised"] == "AS37100"
    assert data["step"] == "regional"
    assert data["matches"][0]["holder"]["short_name"] == "africacert"
    out = StringIO()
    call_command("lookup", "https://www.go.ke/page", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert (data["kind"], data["step"]) == ("url", "domain")
    match = data["matches"][0]
    assert match["claim"]["value"] == "go.ke"
    assert match["holder"]["contacts"][0]["emails"] == ["duty@ke-cirt.example"]


@pytest.mark.django_db
def test_command_answers_as_a_given_user_would_see_it(
    community: dict[str, Any], make_team: MakeTeam, make_user: Callable[..., User]
) -> None:
    services.create_contact(
        community["isp"],
        acting_user=None,
        name="Night shift (red)",
        emails=["night@safcom.example"],
        tlp=TLP.RED,
    )
    outsider = make_user("outsider", team=make_team("gh-cert", country="GH"))
    operator_view, outsider_view = StringIO(), StringIO()
    call_command("lookup", "198.51.100.7", stdout=operator_view)
    call_command("lookup", "198.51.100.7", "--user", outsider.username, stdout=outsider_view)
    assert "night@safcom.example" in operator_view.getvalue()
    assert "night@safcom.example" not in outsider_view.getvalue()
    assert "abuse@safcom.example" in outsider_view.getvalue()
    with pytest.raises(UsageError, match="no user"):
        call_command("lookup", "198.51.100.7", "--user", "nobody")


@pytest.mark.django_db
def test_command_refuses_an_unsupported_query_with_code_2() -> None:
    with pytest.raises(UsageError) as caught:
        call_command("lookup", "not a query")
    assert caught.value.returncode == 2
    assert "Expected an IP address" in str(caught.value)


def test_command_exit_code_is_2_for_an_unsupported_query(tmp_path: Path) -> None:
    env = {**os.environ, "DEBUG": "true", "BAOBAB_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    completed = subprocess.run(
        [sys.executable, "-m", "baobab.manage", "lookup", "not a query"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 2
    assert "Expected an IP address" in completed.stderr


# --- the API ------------------------------------------------------------------


@pytest.mark.django_db
def test_api_answers(
    community: dict[str, Any],
    make_user: MakeUser,
    api_client_for: Callable[[User | None], APIClient],
) -> None:
    client = api_client_for(make_user(team=community["national"]))
    response = client.get("/api/v1/lookup/", {"q": "198.51.100.7"})
    assert response.status_code == 200
    data = response.json()
    assert data["step"] == "prefix"
    match = data["matches"][0]
    assert match["claim"] == {
        "id": community["prefix"].pk,
        "kind": "prefix",
        "value": "198.51.100.0/24",
        "holder_kind": "organisation",
        "holder_id": community["isp"].pk,
    }
    assert match["holder"]["contacts"][0]["phones"] == [
        {"number": "+254 700 000 000", "kind": "emergency"}
    ]
    assert match["coordinating_team"]["short_name"] == "ke-cirt"
    # The documented serializer describes exactly what is sent.
    assert LookupAnswerSerializer(data).data == data
    for text in ["AS37100", "www.go.ke", "KE", "203.0.113.0/24"]:
        answer = client.get("/api/v1/lookup/", {"q": text}).json()
        assert LookupAnswerSerializer(answer).data == answer


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "hello", "198.51.100.0/40", None])
def test_api_refuses_unsupported_queries_with_400(
    query: str | None,
    make_team: MakeTeam,
    make_user: MakeUser,
    api_client_for: Callable[[User | None], APIClient],
) -> None:
    client = api_client_for(make_user(team=make_team()))
    response = client.get("/api/v1/lookup/", {} if query is None else {"q": query})
    assert response.status_code == 400
    assert "Expected an IP address" in response.json()["detail"]


@pytest.mark.django_db
def test_api_needs_authentication(
    make_team: MakeTeam, make_user: MakeUser, api_client_for: Callable[[User | None], APIClient]
) -> None:
    assert api_client_for(None).get("/api/v1/lookup/", {"q": "KE"}).status_code == 401
    outsider = api_client_for(make_user())  # an account in no team
    assert outsider.get("/api/v1/lookup/", {"q": "KE"}).status_code == 403


@pytest.mark.django_db
def test_api_is_in_the_schema(client: Client, make_user: MakeUser, make_team: MakeTeam) -> None:
    client.force_login(make_user(team=make_team()))
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    operation = schema["paths"]["/api/v1/lookup/"]["get"]
    assert operation["operationId"] == "lookup"
    assert any(parameter["name"] == "q" for parameter in operation["parameters"])


# --- the page -------------------------------------------------------------------


@pytest.mark.django_db
def test_page_shows_the_answer(
    community: dict[str, Any], make_user: MakeUser, client: Client
) -> None:
    client.force_login(make_user(team=community["national"], role=Role.VIEWER))
    response = client.get("/directory/lookup/", {"q": "198.51.100.7"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="lookup-query"' in body
    assert 'type="submit"' in body
    assert 'id="lookup-result"' in body
    assert "Safaricom" in body
    assert "longest matching prefix 198.51.100.0/24 claimed by safcom" in body
    assert "abuse@safcom.example" in body
    assert "duty@ke-cirt.example" in body  # the coordinating team's contact
    assert "<script" not in body
    assert 'style="' not in body


@pytest.mark.django_db
def test_page_without_query_and_with_a_bad_one(
    make_team: MakeTeam, make_user: MakeUser, client: Client
) -> None:
    client.force_login(make_user(team=make_team()))
    response = client.get("/directory/lookup/")
    assert response.status_code == 200
    assert 'id="lookup-result"' not in response.content.decode()
    response = client.get("/directory/lookup/", {"q": "what?"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Expected an IP address" in body
    assert 'id="lookup-result"' not in body


@pytest.mark.django_db
def test_page_needs_login(client: Client) -> None:
    response = client.get("/directory/lookup/", {"q": "KE"})
    assert response.status_code == 302
    assert "next=/directory/lookup/" in response["Location"]


@pytest.mark.django_db
def test_organisation_holder_in_page_links_to_its_page(
    community: dict[str, Any], make_user: MakeUser, client: Client
) -> None:
    client.force_login(make_user(team=community["national"]))
    body = client.get("/directory/lookup/", {"q": "198.51.100.7"}).content.decode()
    organisation = Organisation.objects.get(short_name="safcom")
    assert f'href="/directory/organisations/{organisation.short_name}/"' in body
    assert 'href="/directory/teams/ke-cirt/"' in body
