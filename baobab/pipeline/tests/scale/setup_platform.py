"""Prepare a platform for the real-worker tests (run as a child process, its
database and data folder given by the environment): migrate, load the demo
community's directory, register the test feed and write a generated
ShadowServer report. Prints what the report holds as JSON.

    python -m baobab.pipeline.tests.scale.setup_platform ROWS REPORT_PATH
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import django


def main(rows: int, report: Path) -> None:
    """Set the platform up and write the report."""
    django.setup()
    from django.core.management import call_command  # noqa: PLC0415 - after setup

    from baobab.directory import demo as directory_demo  # noqa: PLC0415
    from baobab.pipeline.demo import OUTSIDE, networks  # noqa: PLC0415
    from baobab.pipeline.services import create_feed  # noqa: PLC0415
    from baobab.pipeline.synthetic import ReportGenerator  # noqa: PLC0415

    call_command("migrate", verbosity=0, interactive=False)
    directory_demo.load()
    create_feed(acting_user=None, name="scale-telnet", parser="shadowserver", report="scan_telnet")
    # No repeated lines: a repeat on both sides of a chunk boundary, stored by
    # two workers at once, would be counted once as stored and once per team.
    generator = ReportGenerator(
        "scan_telnet",
        seed=20240501,
        day=dt.date(2024, 5, 1),
        inside=networks(),
        outside=OUTSIDE,
        inside_share=0.8,
        ipv6_share=0.05,
        malformed_share=0.002,
        duplicate_share=0.0,
    )
    stats = generator.write(report, rows)
    print(json.dumps({"rows": stats.rows, "malformed": stats.malformed, "unique": stats.unique}))


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]))
