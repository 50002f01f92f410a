"""The README's frontend guide, executed: every example in the section, in order and as written,
against the server under uvicorn, each answer checked against the one the README shows.

An example is a fenced block whose info string is `<language> title=guide-<name>`: `graphql`
(posted with httpx, or a subscription over graphql-transport-ws), `sh` (run by bash, `$TOKEN` set)
or `js` (run by node with graphql-ws). `guide-<name>.variables` holds its variables and
`guide-<name>.response` the answer: JSON in which "..." matches any value, `"...": "..."` in an
object allows other keys and a trailing "..." in a list allows other elements; `http` (status
line, headers that must be present, JSON body); or `text` (the last lines printed).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from app.accounts.models import Role
from app.accounts.service import NewUser, create_account
from app.registrations.models import RegistrationStatus
from tests.conformance.node_project import PROJECT as NODE_PROJECT
from tests.conformance.node_project import SKIP_REASON, node_available, node_tools, node_with_websocket
from tests.factories import candidate, make_exam_session, make_registration, make_unit
from tests.imports.support import filled_template, person_row
from tests.server import LiveServer

README = Path(__file__).parents[2] / "README.md"
HEADING = "## 前端接入指南 / Frontend guide"
DOCUMENTED_URL = "http://127.0.0.1:8000"
BLOCK = re.compile(r"^```(?P<lang>\S+) title=guide-(?P<name>[\w.-]+)\n(?P<body>.*?)^```$", re.M | re.S)
ANY = "..."


@dataclass
class Example:
    name: str
    lang: str
    body: str
    variables: dict[str, Any] | None = None
    response: tuple[str, str] | None = None  # (language, text)


@dataclass
class Run:
    live: LiveServer
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)


def guide_section() -> str:
    text = README.read_text(encoding="utf-8")
    assert HEADING in text, f"README.md has no section {HEADING!r}"
    section = text.split(HEADING, 1)[1]
    return section.split("\n## ", 1)[0]


def examples() -> list[Example]:
    section = guide_section()
    blocks = list(BLOCK.finditer(section))
    fences = len(re.findall(r"^```", section, re.M))
    assert fences == 2 * len(blocks), "every fenced block in the guide needs a title=guide-<name> info string"
    found: dict[str, Example] = {}
    for block in blocks:
        name, lang, body = block["name"], block["lang"], block["body"]
        base, _, part = name.partition(".")
        if not part:
            assert name not in found, f"two examples named guide-{name}"
            found[name] = Example(name, lang, body)
            continue
        assert base in found, f"guide-{name} comes before its example guide-{base}"
        if part == "variables":
            found[base].variables = json.loads(body)
        elif part == "response":
            found[base].response = (lang, body)
        else:
            raise AssertionError(f"unknown attachment guide-{name}")
    return list(found.values())


def matches(expected: Any, actual: Any) -> bool:  # noqa: ANN401
    if expected == ANY:
        return True
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return False
        keys = {k for k in expected if k != ANY}
        if expected.get(ANY) != ANY and set(actual) != keys:
            return False
        return all(k in actual and matches(expected[k], actual[k]) for k in keys)
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return False
        if expected and expected[-1] == ANY:
            return all(any(matches(e, a) for a in actual) for e in expected[:-1])
        return len(expected) == len(actual) and all(matches(e, a) for e, a in zip(expected, actual, strict=True))
    return expected == actual


def check(example: Example, answer: Any) -> None:  # noqa: ANN401
    assert example.response, f"guide-{example.name} shows no response (add a guide-{example.name}.response block)"
    lang, text = example.response
    shown = json.dumps(answer, ensure_ascii=False) if not isinstance(answer, str) else answer
    if lang == "json":
        assert matches(json.loads(text), answer), f"guide-{example.name} answered\n{shown}"
    elif lang == "http":
        status, headers, body = parse_http(text)
        got_status, got_headers, got_body = parse_http(answer)
        assert got_status == status, f"guide-{example.name} answered\n{answer}"
        for name, value in headers.items():
            assert got_headers.get(name) == value, f"guide-{example.name}: header {name}\n{answer}"
        assert matches(json.loads(body), json.loads(got_body)), f"guide-{example.name} answered\n{answer}"
    elif lang == "text":
        lines = text.strip().splitlines()
        assert answer.strip().splitlines()[-len(lines):] == lines, f"guide-{example.name} printed\n{answer}"
    else:
        raise AssertionError(f"guide-{example.name}.response: unknown language {lang}")


def parse_http(text: str) -> tuple[int, dict[str, str], str]:
    head, _, body = text.replace("\r\n", "\n").partition("\n\n")
    status_line, *header_lines = head.splitlines()
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


def run_graphql(example: Example, run: Run) -> Any:  # noqa: ANN401
    token = run.env.get("TOKEN")
    if example.body.lstrip().startswith("subscription"):
        return subscribe(run.live, example.body, example.variables, token)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(run.live.graphql_url, json={"query": example.body, "variables": example.variables},
                          headers=headers, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def subscribe(live: LiveServer, query: str, variables: dict[str, Any] | None, token: str | None) -> Any:  # noqa: ANN401
    """graphql-transport-ws by hand: the answer is the last `next` payload before `complete`."""
    with connect(live.websocket_url, subprotocols=["graphql-transport-ws"], open_timeout=10) as socket:
        socket.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
        assert json.loads(socket.recv(timeout=10))["type"] == "connection_ack"
        socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}}))
        last = None
        while True:
            message = json.loads(socket.recv(timeout=60))
            if message["type"] == "complete":
                return last
            assert message["type"] == "next", message
            last = message["payload"]


def run_sh(example: Example, run: Run) -> Any:  # noqa: ANN401
    script = example.body.replace(DOCUMENTED_URL, run.live.base_url)
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=run.workdir, capture_output=True,
                          text=True, timeout=60, env={"PATH": os.environ["PATH"], **run.env})
    assert done.returncode == 0, f"guide-{example.name} failed:\n{done.stderr}"
    return done.stdout if done.stdout.startswith("HTTP/") else json.loads(done.stdout)


def run_js(example: Example, run: Run) -> Any:  # noqa: ANN401
    node, _ = node_tools()
    source = example.body.replace(DOCUMENTED_URL.replace("http", "ws"), run.live.websocket_url.removesuffix("/graphql"))
    # The module lives inside the Node project so that its imports resolve; node_modules is not in git.
    module = NODE_PROJECT / "node_modules" / ".guide" / f"{example.name}-{uuid.uuid4().hex[:8]}.mjs"
    module.parent.mkdir(exist_ok=True)
    module.write_text("const token = process.env.TOKEN;\n" + source, encoding="utf-8")
    try:
        done = subprocess.run([*node_with_websocket(node), str(module)], capture_output=True, text=True,
                              timeout=60, env={"PATH": os.environ["PATH"], **run.env})
    finally:
        module.unlink()
    assert done.returncode == 0, f"guide-{example.name} failed:\n{done.stderr}"
    return done.stdout


RUNNERS = {"graphql": run_graphql, "sh": run_sh, "js": run_js}
# What later examples use from an earlier answer.
CAPTURES = {"login": ("TOKEN", ("data", "login", "token"))}


def seed(live: LiveServer, workdir: Path) -> None:
    """The data the guide speaks of: 张三19780509 (initial password), exam session 1, three
    registrations and a filled template for two more people."""
    database = live.database
    unit = make_unit(database, name="南宁市兴宁区市场监督管理局", division="450102")
    with database.transaction() as session:
        create_account(session, settings=database.settings, new=NewUser(
            role=Role.UNIT_ADMIN, name="张三", unit_id=unit.id, id_number="450102197805090036",
            mobile="13907710001"))
    exam = make_exam_session(database)
    assert exam.id == 1, "the guide's examples speak of exam session 1: the tables must start empty"
    for name in ("韦东", "黄丽", "陆明"):
        make_registration(database, unit=unit, exam=exam, status=RegistrationStatus.DRAFT, name=name)
    rows = [person_row(candidate(sessionId=exam.id), unit.name) for _ in range(2)]
    (workdir / "报名信息表.xlsx").write_bytes(filled_template(rows))


def test_every_guide_example_runs_as_documented(live, tmp_path):
    found = examples()
    assert {"login", "me", "page", "upload", "progress", "user-error"} <= {e.name for e in found}
    seed(live, tmp_path)
    run = Run(live=live, workdir=tmp_path)
    not_run = []
    for example in found:
        if example.lang == "js" and not node_available():
            not_run.append(example.name)  # nothing later depends on a js example's answer
            continue
        runner = RUNNERS.get(example.lang)
        if runner is None:
            pytest.fail(f"guide-{example.name}: no way to run a {example.lang} example")
        answer = runner(example, run)
        check(example, answer)
        if capture := CAPTURES.get(example.name):
            variable, path = capture
            value = answer
            for key in path:
                value = value[key]
            run.env[variable] = value
    if not_run:
        pytest.skip(f"{SKIP_REASON}; every other example passed, not run: {', '.join(not_run)}")
