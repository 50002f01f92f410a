"""The GraphQL-over-HTTP audit suite of the `graphql-http` npm package against the server under uvicorn.

Every MUST audit has to pass. The SHOULD audits that fail are exactly those the README lists
(between the `failing-should-audits` markers), with the reason, so the README stays true.
"""

from __future__ import annotations

import json
import re
import subprocess

from tests.conformance.node_project import PROJECT, node_tools
from tests.server import live_server

README = PROJECT.parents[1] / "README.md"
LIST = re.compile(r"<!-- failing-should-audits -->(.*?)<!-- /failing-should-audits -->", re.S)


def documented_failing_shoulds() -> set[str]:
    found = LIST.search(README.read_text(encoding="utf-8"))
    assert found, "README.md has no <!-- failing-should-audits --> list"
    return set(re.findall(r"^\| `([0-9A-Z]{4})` \|", found.group(1), re.M))


def test_graphql_over_http_audits(sqlite_backend):
    node, _ = node_tools()
    with live_server(sqlite_backend.settings) as server:
        run = subprocess.run([node, "audit.mjs", server.graphql_url], cwd=PROJECT, capture_output=True,
                             text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout)

    assert len(results) > 50, "the audit suite ran too few audits to mean anything"
    by_level = {level: [r for r in results if r["requirement"] == level] for level in ("MUST", "SHOULD")}
    assert by_level["MUST"] and by_level["SHOULD"]
    failing_musts = [f"{r['id']} {r['name']}: {r['reason']}" for r in by_level["MUST"] if r["status"] != "ok"]
    assert failing_musts == [], "\n".join(failing_musts)
    failing_shoulds = {r["id"]: f"{r['name']}: {r['reason']}" for r in by_level["SHOULD"] if r["status"] != "ok"}
    assert set(failing_shoulds) == documented_failing_shoulds(), (
        "the README's list of failing SHOULD audits is out of date; failing now:\n"
        + "\n".join(f"{k} {v}" for k, v in sorted(failing_shoulds.items())))
