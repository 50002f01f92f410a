"""执法单位: a law-enforcement unit, placed in a division and a review chain."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from app.models_base import enum_column, timestamp


class UnitLevel(StrEnum):
    REGION = "REGION"  # 自治区有关单位
    CITY = "CITY"  # 市直单位
    COUNTY = "COUNTY"  # 县（市、区）单位


class Unit(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, index=True)
    credit_code: str = Field(max_length=18, unique=True)
    division_code: str = Field(foreign_key="division.code", index=True)
    # Denormalised from the division so jurisdiction filters need no join.
    city_code: str | None = Field(default=None, max_length=6, index=True)
    level: UnitLevel = enum_column(UnitLevel, name="unit_level")
    # Region-level (or city-level) department that reviews this unit first.
    supervisor_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    is_department: bool = Field(default=False)
    created_at: datetime = timestamp()
