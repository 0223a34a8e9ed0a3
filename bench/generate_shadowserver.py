"""Write a realistic ShadowServer report (see :mod:`baobab.pipeline.synthetic`,
which the benchmarks, the tests and the demo import).

    generate_shadowserver.py REPORT ROWS PATH [--seed N] [--inside PREFIX …]

REPORT is one of scan_telnet, event4_sinkhole, event4_sinkhole_http,
blocklist. Addresses come from the ``--inside`` prefixes (70 %) and random
public-looking addresses; a few lines are malformed or repeated on purpose.
Not a benchmark: ``make bench`` skips it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from baobab.pipeline.synthetic import (
    REPORT_COLUMNS,
    REPORTS,
    Network,
    ReportGenerator,
    ReportStats,
    report_file_name,
    write_report,
)

__all__ = [
    "REPORTS",
    "REPORT_COLUMNS",
    "Network",
    "ReportGenerator",
    "ReportStats",
    "report_file_name",
    "write_report",
]


def main(argv: list[str]) -> int:
    """Write one report and say what it holds."""
    parser = argparse.ArgumentParser(description="Write a synthetic ShadowServer report.")
    parser.add_argument("report", choices=REPORTS)
    parser.add_argument("rows", type=int)
    parser.add_argument("path", type=Path)
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--inside", action="append", default=[], metavar="PREFIX")
    args = parser.parse_args(argv)
    stats = write_report(
        args.path,
        args.report,
        args.rows,
        seed=args.seed,
        inside=[Network(prefix) for prefix in args.inside],
    )
    print(
        f"{stats.rows} rows ({stats.malformed} malformed, {stats.duplicates} repeated, "
        f"{stats.ipv6} IPv6) written to {args.path}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
