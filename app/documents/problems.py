"""One failed rule of an uploaded file: what was measured, what is required, what to do."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    code: str
    message: str  # Chinese, says what to fix
    measured: str | None = None
    required: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"code": str(self.code), "message": self.message, "measured": self.measured,
                "required": self.required}


def size_text(size: int) -> str:
    if size >= 1024 * 1024 * 1024:
        return f"{size / (1024 * 1024 * 1024):.2f} GB"
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.2f} MB"
    return f"{size / 1024:.1f} KB"
