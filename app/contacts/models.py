"""服务咨询电话: the hotline per city (and the region's), editable by operators."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class ServiceContact(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    division_code: str = Field(foreign_key="division.code", unique=True)
    label: str = Field(max_length=100)
    # None until the operators publish the number for this region.
    hotline: str | None = Field(default=None, max_length=100)
    supervision_phone: str = Field(default="0771-5770807", max_length=30)
    service_hours: str = Field(default="报名考试期间每天8:00－18:00人工服务", max_length=100)
