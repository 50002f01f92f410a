"""The small Node project beside this file (graphql-http's audits, graphql-ws): node, npm and `npm ci`."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

PROJECT = Path(__file__).parent


SKIP_REASON = "node and npm are needed for the Node client checks (install Node.js 20 or newer)"


def node_available() -> bool:
    return bool(shutil.which("node") and shutil.which("npm"))


def node_tools() -> tuple[str, str]:
    """node and npm, installed from the lock file; the calling test is skipped when they are absent."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip(SKIP_REASON)
    install(npm)
    return node, npm


def install(npm: str) -> None:
    """`npm ci` once per package-lock.json: node_modules (ignored by git) keeps the digest of the lock it holds."""
    digest = hashlib.sha256((PROJECT / "package-lock.json").read_bytes()).hexdigest()
    stamp = PROJECT / "node_modules" / ".installed-lock.sha256"
    if stamp.exists() and stamp.read_text() == digest:
        return
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PROJECT, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"
    stamp.write_text(digest)


def node_with_websocket(node: str) -> list[str]:
    """The node command with a global WebSocket (built in from Node 22; behind a flag on Node 20)."""
    probe = subprocess.run([node, "-e", "process.exit(typeof WebSocket === 'function' ? 0 : 1)"], timeout=60)
    return [node] if probe.returncode == 0 else [node, "--experimental-websocket"]
