"""The dependency audit (.ci/audit, run by .ci/run): a known vulnerability with a fix fails the
run; one with no fix yet, or a vulnerability service that cannot be reached, is said plainly
and does not. The real pip-audit runs against a vulnerability service on 127.0.0.1.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bot.offline.server import free_port
from tests.reliability.ledger import proves
from tests.support.harness import ROOT

AUDIT = ROOT / ".ci" / "audit"


def load_audit() -> Any:
    """.ci/audit as a module (a script without the .py its name would need to be imported)."""
    loader = importlib.machinery.SourceFileLoader("ci_audit", str(AUDIT))
    spec = importlib.util.spec_from_file_location("ci_audit", AUDIT, loader=loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["ci_audit"] = module  # its dataclasses look themselves up there
    loader.exec_module(module)
    return module


audit = load_audit()


def dependency(name: str, version: str = "1.0", *vulns: tuple[str, list[str]]) -> dict[str, Any]:
    return {"name": name, "version": version, "vulns": [{"id": i, "fix_versions": fixes} for i, fixes in vulns]}


UNREACHABLE_STDERR = "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.osv.dev'): Max retries exceeded"
CASES = {
    "a vulnerability with a fix": (
        1,
        {"dependencies": [dependency("flask", "3.1.0", ("GHSA-1", ["3.1.1"]))]},
        "",
        "VULNERABLE flask",
    ),
    "a vulnerability with no fix yet": (0, {"dependencies": [dependency("pyyaml", "6.0", ("PYSEC-2", []))]}, "", "no fix yet"),
    "no vulnerability": (0, {"dependencies": [dependency("click"), dependency("flask")]}, "", "2 dependencies audited"),
    "one fixable among skipped": (
        1,
        {"dependencies": [dependency("flask", "3.1.0", ("GHSA-1", ["3.1.1"])), {"name": "x", "skip_reason": "local"}]},
        "",
        "1 dependencies could not be audited",
    ),
    "every dependency unknown to the service": (
        0,
        {
            "dependencies": [
                {"name": n, "skip_reason": f"Dependency not found on PyPI and could not be audited: {n}"} for n in "ab"
            ]
        },
        "",
        "could not be reached",
    ),
    "the service cannot be reached": (1, None, UNREACHABLE_STDERR, "could not be reached"),
    "pip-audit fails otherwise": (2, None, "ERROR: Invalid requirement: 'flask>>3'", "pip-audit failed"),
}


@pytest.mark.parametrize("case", list(CASES))
@proves(
    "Attack",
    "Dependency audit, the verdict (.ci/audit): a known vulnerability with a fix, one with no fix yet, none, a fixable "
    "one among unauditable packages, a service that knows none of the packages, a service that cannot be reached, "
    "pip-audit failing for another reason",
    len(CASES),
    "fails (exit 1) on a fixable vulnerability or a real pip-audit failure; otherwise passes and says which case it was",
)
def test_the_audit_verdict(case):
    returncode, report, stderr, expected = CASES[case]
    verdict = audit.judge(returncode, report, stderr)
    assert verdict.code == (
        1 if case in ("a vulnerability with a fix", "one fixable among skipped", "pip-audit fails otherwise") else 0
    )
    assert any(expected in line for line in verdict.lines), verdict.lines


class FakeOSV(BaseHTTPRequestHandler):
    """OSV's query API on 127.0.0.1: click 8.1.0 has a fixed vulnerability, pyyaml an unfixed one."""

    def do_POST(self) -> None:
        query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        name = query["package"]["name"]
        events = {"click": [{"introduced": "0"}, {"fixed": "8.1.8"}], "pyyaml": [{"introduced": "0"}]}.get(name)
        vulns = (
            [
                {
                    "id": f"GHSA-{name}-test",
                    "summary": "test",
                    "affected": [
                        {"package": {"name": name, "ecosystem": "PyPI"}, "ranges": [{"type": "ECOSYSTEM", "events": events}]}
                    ],
                }
            ]
            if events
            else []
        )
        body = json.dumps({"vulns": vulns} if vulns else {}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def osv() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOSV)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/query"
    server.shutdown()


def run_audit(requirements: Path, osv_url: str, tmp_path: Path) -> subprocess.CompletedProcess:
    options = ["-s", "osv", "--osv-url", osv_url, "--disable-pip", "--no-deps", "--cache-dir", str(tmp_path / "cache")]
    return subprocess.run(
        [sys.executable, str(AUDIT), str(requirements), "--", *options], capture_output=True, text=True, timeout=300
    )


@proves(
    "Attack",
    "Dependency audit, end to end: the real pip-audit on pinned requirements against a vulnerability service on "
    "127.0.0.1 that reports a fixed vulnerability, then only an unfixed one, then is down",
    3,
    "exit 1 naming the package, the advisory and the fixed version; exit 0 with the unfixed one named; exit 0 saying "
    "the service could not be reached",
)
def test_the_audit_end_to_end(osv, tmp_path):
    vulnerable = tmp_path / "vulnerable.txt"
    vulnerable.write_text("click==8.1.0\nflask==3.1.3\n")
    found = run_audit(vulnerable, osv, tmp_path)
    assert found.returncode == 1, found.stdout + found.stderr
    assert "VULNERABLE click 8.1.0: GHSA-click-test (fixed in 8.1.8)" in found.stdout
    unfixed = tmp_path / "unfixed.txt"
    unfixed.write_text("pyyaml==6.0.2\nflask==3.1.3\n")
    known = run_audit(unfixed, osv, tmp_path)
    assert known.returncode == 0 and "known, no fix yet: pyyaml 6.0.2" in known.stdout, known.stdout + known.stderr
    down = run_audit(vulnerable, f"http://127.0.0.1:{free_port()}/v1/query", tmp_path)
    assert down.returncode == 0 and "could not be reached" in down.stdout, down.stdout + down.stderr
