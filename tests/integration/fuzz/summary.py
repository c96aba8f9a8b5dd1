"""The schema fuzzer's count of cases, for the end of a run (hooked in tests/conftest.py, which
the xdist controller loads; it never loads this folder's conftest)."""

from __future__ import annotations


def write_summary(terminalreporter) -> None:
    """How many cases the schema fuzzer sent (over every operation, store and xdist worker)."""
    cases, statuses, items = 0, {}, 0
    for reports in terminalreporter.stats.values():
        for report in reports:
            properties = dict(getattr(report, "user_properties", ()) or ())
            if getattr(report, "when", None) == "teardown" and "fuzz_cases" in properties:
                items += 1
                cases += properties["fuzz_cases"]
                for status, count in properties["fuzz_statuses"].items():
                    statuses[int(status)] = statuses.get(int(status), 0) + count
    if items:
        terminalreporter.write_line(
            f"schema fuzzing: {cases} cases over {items} operation runs; statuses "
            + ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items())))
