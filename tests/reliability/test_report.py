"""docs/RELIABILITY.md is the tests' own account of what they try: it cannot drift from them.

``HEART_WRITE_RELIABILITY=1 python -m pytest tests/reliability/test_report.py`` rewrites it.
"""

from __future__ import annotations

import importlib
import inspect
import os

from tests.reliability.ledger import REPORT, collect, reliability_modules, render


def test_the_committed_report_matches_what_the_tests_declare():
    expected = render(collect())
    if os.environ.get("HEART_WRITE_RELIABILITY") == "1":
        REPORT.write_text(expected)
    assert REPORT.exists(), (
        "docs/RELIABILITY.md is missing: run HEART_WRITE_RELIABILITY=1 python -m pytest tests/reliability/test_report.py"
    )
    assert REPORT.read_text() == expected, (
        "docs/RELIABILITY.md differs from the tests' declarations: "
        "run HEART_WRITE_RELIABILITY=1 python -m pytest tests/reliability/test_report.py and commit it"
    )


def test_every_reliability_test_declares_what_it_proves():
    declared = {row.test for row in collect()}
    for name in reliability_modules():
        module = importlib.import_module(name)
        if module.__name__.endswith("test_report"):
            continue
        file = name.rsplit(".", 1)[-1] + ".py"
        for test_name, _ in inspect.getmembers(module, inspect.isfunction):
            if test_name.startswith("test_"):
                assert f"{file}::{test_name}" in declared, f"{file}::{test_name} is missing from the report (use @proves)"
