"""References hidden from a viewer never reach them, whatever property
names them."""

from __future__ import annotations

from typing import Any

from baobab.sharing.stix.references import as_seen, references_of

SECRET = "indicator--11111111-1111-4111-8111-111111111111"
OPEN = "indicator--22222222-2222-4222-8222-222222222222"
AUTHOR = "identity--33333333-3333-4333-8333-333333333333"
TLP = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
STATEMENT = "marking-definition--44444444-4444-4444-8444-444444444444"


def _object(kind: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "id": f"{kind}--0", "object_marking_refs": [TLP], **fields}


def test_every_reference_is_found_at_any_depth() -> None:
    content = _object(
        "x-example",
        created_by_ref=AUTHOR,
        x_target_ref=SECRET,
        extensions={"extension-definition--1": {"seen_refs": [OPEN]}},
        granular_markings=[{"marking_ref": STATEMENT, "selectors": ["name"]}],
    )
    assert set(references_of(content)) == {AUTHOR, SECRET, OPEN, TLP, STATEMENT}


def test_nothing_hidden_leaves_the_object_as_it_is() -> None:
    content = _object("note", object_refs=[OPEN], content="x")
    assert as_seen(content, {SECRET}) is content


def test_what_stands_on_a_hidden_object_is_left_out() -> None:
    assert as_seen(_object("relationship", source_ref=SECRET, target_ref=OPEN), {SECRET}) is None
    assert as_seen(_object("sighting", sighting_of_ref=SECRET), {SECRET}) is None
    assert as_seen(_object("x-example", x_target_ref=SECRET), {SECRET}) is None


def test_hidden_ids_leave_lists_and_a_hidden_creator_is_dropped() -> None:
    note = _object("note", created_by_ref=AUTHOR, object_refs=[SECRET, OPEN])
    assert as_seen(note, {SECRET}) == {**note, "object_refs": [OPEN]}
    # All of them hidden: the creator is named instead (STIX wants one).
    assert as_seen(note, {SECRET, OPEN})["object_refs"] == [AUTHOR]  # type: ignore[index]
    # Creator hidden too: the object's TLP marking.
    seen = as_seen(note, {SECRET, OPEN, AUTHOR})
    assert seen is not None
    assert "created_by_ref" not in seen
    assert seen["object_refs"] == [TLP]
    sighting = _object("sighting", sighting_of_ref=OPEN, where_sighted_refs=[AUTHOR])
    assert as_seen(sighting, {AUTHOR}) == _object("sighting", sighting_of_ref=OPEN)


def test_a_granular_marking_whose_definition_is_hidden_is_dropped() -> None:
    content = _object(
        "indicator", granular_markings=[{"marking_ref": STATEMENT, "selectors": ["name"]}]
    )
    assert as_seen(content, {STATEMENT}) == _object("indicator")
