"""Counting what a fuzz run sent and how the service answered, and what counts as a failure."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

FIGURES: list[str] = []  # printed in the terminal summary (tests/fuzz/conftest.py)
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def is_chinese(message: str | None) -> bool:
    return bool(message and CHINESE.search(message))


@dataclass
class Tally:
    """Inputs tried, how many the service refused, and every failure (a 5xx, a masked error, a bad verdict)."""

    name: str
    tried: int = 0
    rejected: int = 0
    server_errors: int = 0
    internal_errors: int = 0
    failures: list[str] = field(default_factory=list)

    def answer(self, what: str, status: int, body: dict[str, Any] | None) -> bool:
        """Count one HTTP answer; False (and a failure) for a 5xx or an INTERNAL_SERVER_ERROR.
        What counts as rejected is the caller's to say (a refused upload, a refused document)."""
        self.tried += 1
        if status >= 500:
            self.server_errors += 1
            self.failures.append(f"{what}: HTTP {status}")
            return False
        codes = [(e.get("extensions") or {}).get("code") for e in (body or {}).get("errors") or []]
        if "INTERNAL_SERVER_ERROR" in codes:
            self.internal_errors += 1
            self.failures.append(f"{what}: INTERNAL_SERVER_ERROR {body}")
            return False
        return True

    def fail(self, what: str) -> None:
        self.failures.append(what)

    def report(self, **more: Any) -> str:
        extra = "".join(f", {key.replace('_', ' ')} {value}" for key, value in more.items())
        line = (f"[fuzz] {self.name}: inputs tried {self.tried}, rejected {self.rejected}, "
                f"5xx seen {self.server_errors}, INTERNAL_SERVER_ERROR seen {self.internal_errors}{extra}, "
                f"failures {len(self.failures)}")
        FIGURES.append(line)
        print(line)
        return line
