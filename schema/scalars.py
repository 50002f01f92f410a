"""The scalars Strawberry provides, described in the schema's two languages like everything else."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

from strawberry.file_uploads import Upload, UploadDefinition
from strawberry.schema.types.base_scalars import DateDefinition, DateTimeDefinition
from strawberry.types.scalar import ScalarDefinition

DESCRIBED_SCALARS: dict[object, ScalarDefinition] = {
    date: dataclasses.replace(DateDefinition, description="日期 ISO 8601 date, YYYY-MM-DD"),
    datetime: dataclasses.replace(
        DateTimeDefinition,
        description="日期时间 ISO 8601 date and time; sent in UTC with its offset, e.g. 2026-03-01T00:30:00+00:00"),
    Upload: dataclasses.replace(
        UploadDefinition,
        description="上传的文件 A file sent as a part of a GraphQL multipart request (multipart/form-data)"),
}
