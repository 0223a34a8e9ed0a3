"""Benchmark of the STIX 2.1 import: a 100,000-object bundle into SQLite.

A bundle of mixed objects is generated (seeded): mostly indicators of every
value type (a few with patterns of several comparisons, kept as received),
TLP markings of both TLP versions and none, reports naming 20 objects
each, sightings, relationships to malware, other organisations' identities,
objects of an unknown ``x-`` type and a statement marking definition.

(a) ``baobab stix import FILE --team bench`` in a child process, into a
    fresh SQLite database: the whole import as an operator runs it (Python
    and Django start-up, JSON reading, validation by the STIX validator on
    every core, mapping, bulk writes, one transaction), objects per second.
(b) The same import again: every object is held already (idempotence).
(c) The validation alone (:func:`baobab.sharing.stix.validation.bundle_errors`,
    in this process), and the plain ``stix2validator.validate_instance`` on
    the first ``BENCH_STIX_PLAIN`` objects, per object, to compare.

Prints one JSON line per figure: {"name": …, "value": …, "unit": …}.
Environment: BENCH_STIX_OBJECTS (default 100,000), BENCH_STIX_PLAIN (2,000;
0 skips it), BENCH_KEEP_DATA=1 keeps the temporary folder.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEED = 20240901
TEAM = "bench"
CREATED = "2024-09-01T08:00:00.000Z"
START = dt.datetime(2024, 9, 1, 8, tzinfo=dt.UTC)
TLP1 = {
    "clear": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    "green": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
    "amber": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
}
TLP2 = {
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"


def emit(name: str, value: float, unit: str) -> None:
    """Print one figure as a JSON line."""
    print(json.dumps({"name": name, "value": round(value, 3), "unit": unit}), flush=True)


def note(text: str) -> None:
    """A remark for the reader, on standard error (standard output is JSON lines)."""
    print(f"bench/sharing_stix: {text}", file=sys.stderr, flush=True)


class Generator:
    """Seeded STIX objects of the kinds a CSIRT exchanges."""

    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.moment = 0

    def hex(self, digits: int) -> str:
        return f"{self.rng.getrandbits(digits * 4):0{digits}x}"

    def id(self, kind: str) -> str:
        return f"{kind}--{uuid.UUID(int=self.rng.getrandbits(128), version=4)}"

    def time(self) -> str:
        """Distinct, increasing timestamps (milliseconds)."""
        self.moment += self.rng.randint(1, 5000)
        moment = START + dt.timedelta(milliseconds=self.moment)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

    def markings(self) -> list[str]:
        roll = self.rng.random()
        if roll < 0.4:
            return [TLP2[self.rng.choice(list(TLP2))]]
        if roll < 0.7:
            return [TLP1[self.rng.choice(list(TLP1))]]
        return []

    def common(self, kind: str, creator: str) -> dict[str, Any]:
        moment = self.time()
        obj: dict[str, Any] = {
            "type": kind,
            "spec_version": "2.1",
            "id": self.id(kind),
            "created_by_ref": creator,
            "created": moment,
            "modified": moment,
        }
        markings = self.markings()
        if markings:
            obj["object_marking_refs"] = markings
        return obj

    def pattern(self) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.30:
            address = ".".join(str(rng.randint(1, 223 if n == 0 else 254)) for n in range(4))
            return f"[ipv4-addr:value = '{address}']"
        if roll < 0.55:
            return f"[domain-name:value = '{self.hex(rng.randint(6, 16))}.example.org']"
        if roll < 0.70:
            return f"[url:value = 'http://{self.hex(8)}.example.net/{self.hex(12)}']"
        if roll < 0.85:
            return f"[file:hashes.'SHA-256' = '{rng.getrandbits(256):064x}']"
        if roll < 0.90:
            return f"[file:hashes.MD5 = '{rng.getrandbits(128):032x}']"
        if roll < 0.95:
            return f"[email-addr:value = '{self.hex(8)}@example.com']"
        if roll < 0.98:
            return f"[ipv6-addr:value = '2001:db8::{rng.randint(1, 65535):x}']"
        return (
            f"[ipv4-addr:value = '198.51.100.{rng.randint(1, 254)}'] OR "
            f"[domain-name:value = '{self.hex(8)}.example.com']"
        )

    def indicator(self, creator: str) -> dict[str, Any]:
        obj = self.common("indicator", creator)
        obj.update(
            {
                "name": f"Indicator {self.hex(6)}",
                "indicator_types": ["malicious-activity"],
                "pattern": self.pattern(),
                "pattern_type": "stix",
                "valid_from": obj["created"],
            }
        )
        if self.rng.random() < 0.3:
            obj["confidence"] = self.rng.randint(10, 100)
        return obj


def bundle(total: int, seed: int = SEED) -> dict[str, Any]:
    """A bundle of ``total`` objects of mixed types (mostly indicators)."""
    make = Generator(seed)
    statement = {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": make.id("marking-definition"),
        "created": CREATED,
        "definition_type": "statement",
        "definition": {"statement": "Copyright the bench community."},
    }
    tlp2 = [
        {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": marking,
            "created": "2022-10-01T00:00:00.000Z",
            "name": f"TLP:{label.upper()}",
            "extensions": {
                TLP2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": label}
            },
        }
        for label, marking in TLP2.items()
    ]
    objects: list[dict[str, Any]] = [statement, *tlp2]
    identities = []
    for number in range(max(1, total // 200)):
        identity = make.common("identity", "")
        del identity["created_by_ref"]
        identity.update({"name": f"Organisation {number}", "identity_class": "organization"})
        identities.append(identity)
    creators = [identity["id"] for identity in identities]
    malware = []
    for number in range(max(1, total // 500)):
        item = make.common("malware", make.rng.choice(creators))
        item.update({"name": f"Family {number}", "is_family": True})
        malware.append(item)
    customs = []
    for number in range(max(1, total // 330)):
        item = make.common("x-bench-note", make.rng.choice(creators))
        item.update({"x_text": f"note {number}", "x_score": number % 7})
        customs.append(item)
    reports_n, sightings_n, relationships_n = total // 100, total // 25, total // 25
    fixed = len(objects) + len(identities) + len(malware) + len(customs)
    indicators_n = total - fixed - reports_n - sightings_n - relationships_n
    indicators = [make.indicator(make.rng.choice(creators)) for _ in range(indicators_n)]
    ids = [indicator["id"] for indicator in indicators]
    reports = []
    for number in range(reports_n):
        item = make.common("report", make.rng.choice(creators))
        item.update(
            {
                "name": f"Report {number}",
                "description": "A campaign seen in the region.",
                "published": item["created"],
                "report_types": ["threat-report"],
                "object_refs": make.rng.sample(ids, 20),
            }
        )
        reports.append(item)
    sightings = []
    for _ in range(sightings_n):
        item = make.common("sighting", make.rng.choice(creators))
        item.update(
            {
                "sighting_of_ref": make.rng.choice(ids),
                "first_seen": item["created"],
                "last_seen": item["created"],
                "count": make.rng.randint(1, 50),
                "where_sighted_refs": [item["created_by_ref"]],
            }
        )
        sightings.append(item)
    relationships = []
    for _ in range(relationships_n):
        item = make.common("relationship", make.rng.choice(creators))
        item.update(
            {
                "relationship_type": "indicates",
                "source_ref": make.rng.choice(ids),
                "target_ref": make.rng.choice(malware)["id"],
            }
        )
        relationships.append(item)
    objects += identities + malware + customs + indicators + reports + sightings + relationships
    return {"type": "bundle", "id": make.id("bundle"), "objects": objects}


def child_env(data_dir: Path) -> dict[str, str]:
    """The environment of a ``baobab`` child: production mode, its own data folder."""
    env = dict(os.environ)
    for name in ("DATABASE_URL", "CELERY_BROKER_URL"):
        env.pop(name, None)
    env.update(
        {
            "BAOBAB_DATA_DIR": str(data_dir),
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": "localhost",
            "DJANGO_SETTINGS_MODULE": "baobab.settings",
        }
    )
    return env


def setup_database() -> None:
    """Child process: migrate and create the receiving team."""
    import django  # noqa: PLC0415

    django.setup()
    from django.core.management import call_command  # noqa: PLC0415

    from baobab.core.services import create_team  # noqa: PLC0415

    call_command("migrate", verbosity=0, interactive=False)
    create_team(acting_user=None, short_name=TEAM, name="Bench CSIRT", team_type="national")


def run_import(path: Path, env: dict[str, str]) -> tuple[dict[str, Any], float, float, float]:
    """``baobab stix import`` in a child: its JSON report, wall and CPU seconds
    (the child's and its validation workers'), peak memory in MiB (of the
    largest of those processes)."""
    baobab = str(Path(sys.executable).with_name("baobab"))
    args = [baobab, "stix", "import", str(path), "--team", TEAM, "--json"]
    started = time.perf_counter()
    child = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.PIPE)
    assert child.stdout is not None
    output = child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status):
        raise RuntimeError(f"baobab stix import failed: {os.waitstatus_to_exitcode(status)}")
    cpu = usage.ru_utime + usage.ru_stime
    return json.loads(output), seconds, cpu, usage.ru_maxrss / 1024


def validation_figures(data: dict[str, Any], plain: int) -> None:
    """(c): the validation alone, and the plain validator per object."""
    from stix2validator import ValidationOptions, validate_instance  # noqa: PLC0415

    from baobab.sharing.stix.validation import bundle_errors  # noqa: PLC0415

    started = time.perf_counter()
    errors = bundle_errors(data)
    seconds = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"the generated bundle is invalid: {errors[:3]}")
    emit("sharing_stix_validation_seconds", seconds, "s")
    emit("sharing_stix_validation_objects_per_second", len(data["objects"]) / seconds, "objects/s")
    if plain:
        sample = {**data, "objects": data["objects"][:plain]}
        started = time.perf_counter()
        validate_instance(sample, ValidationOptions(version="2.1"))
        per_object = (time.perf_counter() - started) / plain
        emit("sharing_stix_plain_validator_ms_per_object", per_object * 1000, "ms")


def main() -> None:
    """Generate the bundle, then measure (a), (b) and (c)."""
    total = int(os.environ.get("BENCH_STIX_OBJECTS", "100000"))
    plain = int(os.environ.get("BENCH_STIX_PLAIN", "2000"))
    work = Path(tempfile.mkdtemp(prefix="baobab-bench-stix-"))
    try:
        data = bundle(total)
        path = work / "bundle.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        emit("sharing_stix_bundle_objects", len(data["objects"]), "objects")
        emit("sharing_stix_bundle_size", path.stat().st_size / 2**20, "MiB")
        env = child_env(work / "data")
        subprocess.run(
            [sys.executable, __file__, "--setup-database"], env=env, cwd=ROOT, check=True
        )
        report, seconds, cpu, memory = run_import(path, env)
        if report["created"] + report["not_stored"] != len(data["objects"]):
            note(f"unexpected report: {report}")
        emit("sharing_stix_import_seconds", seconds, "s")
        emit("sharing_stix_import_objects_per_second", len(data["objects"]) / seconds, "objects/s")
        emit("sharing_stix_import_cpu_seconds", cpu, "s")
        emit("sharing_stix_import_peak_memory", memory, "MiB")
        if total >= 100_000 and seconds >= 60:
            note(f"the import took {seconds:.1f} s: over the 60 s target")
        again, seconds, _cpu, _memory = run_import(path, env)
        if again["unchanged"] + again["not_stored"] != len(data["objects"]):
            note(f"unexpected report on the second import: {again}")
        emit("sharing_stix_reimport_seconds", seconds, "s")
        validation_figures(data, plain)
    except BaseException:
        os.environ["BENCH_KEEP_DATA"] = "1"
        raise
    finally:
        if os.environ.get("BENCH_KEEP_DATA") == "1":
            note(f"data kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def entry() -> None:
    """The benchmark, or its database set-up child."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setup-database", action="store_true")
    if parser.parse_args().setup_database:
        setup_database()
    else:
        main()


if __name__ == "__main__":
    entry()
