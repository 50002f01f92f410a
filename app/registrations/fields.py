"""The template's fields once: domain name, API name, column header, required."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldSpec:
    key: str  # attribute on Registration
    api: str  # GraphQL field / UserError.field
    header: str  # exact column header in the template, without the `*`
    required: bool


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("name", "name", "姓名", True),
    FieldSpec("gender", "gender", "性别", True),
    FieldSpec("ethnicity", "ethnicity", "民族", True),
    FieldSpec("id_number", "idNumber", "身份证号码", True),
    FieldSpec("political_status", "politicalStatus", "政治面貌", False),
    FieldSpec("education", "education", "学历", True),
    FieldSpec("major", "major", "所学专业", False),
    FieldSpec("phone", "phone", "手机号码", True),
    FieldSpec("unit_name", "unit", "工作单位", True),
    FieldSpec("position", "position", "职务职级", False),
    FieldSpec("enforcement_field", "enforcementField", "执法门类", True),
    FieldSpec("exam_type", "examType", "报考类型", True),
    FieldSpec("certificate_number", "certificateNumber", "原执法证号", False),
    FieldSpec("personnel_nature", "personnelNature", "人员性质", True),
    FieldSpec("work_start_date", "workStartDate", "参加工作时间", False),
    FieldSpec("remarks", "remarks", "备注", False),
)

BY_KEY = {f.key: f for f in FIELDS}
BY_API = {f.api: f for f in FIELDS}

# The data fields a user enters for a candidate (工作单位 is the unit itself).
DATA_KEYS: tuple[str, ...] = tuple(f.key for f in FIELDS if f.key != "unit_name")


def template_headers() -> list[str]:
    """Header row of the import template, exactly as DESIGN.md fixes it."""
    return ["序号"] + [f.header + ("*" if f.required else "") for f in FIELDS]
