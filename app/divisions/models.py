"""行政区划 (GB/T 2260): region > cities > county-level divisions."""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import Field, SQLModel

from app.models_base import enum_column

REGION_CODE = "450000"


class DivisionLevel(StrEnum):
    REGION = "REGION"
    CITY = "CITY"
    COUNTY = "COUNTY"


class Division(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=6)
    name: str = Field(max_length=50)
    parent_code: str | None = Field(default=None, foreign_key="division.code", index=True)
    level: DivisionLevel = enum_column(DivisionLevel, name="division_level")

    @property
    def city_code(self) -> str | None:
        if self.level == DivisionLevel.REGION:
            return None
        return self.code[:4] + "00"
