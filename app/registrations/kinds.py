"""The fixed kinds a candidate's data takes (性别, 考试类型, 人员性质), apart from the entities.

Kept free of SQLModel so the row rules (app/registrations/rules.py) load in a
small process: the import's sandboxed reader checks rows with them.
"""

from __future__ import annotations

from enum import StrEnum


class Gender(StrEnum):
    MALE = "MALE"
    FEMALE = "FEMALE"


class ExamType(StrEnum):
    QUALIFICATION = "QUALIFICATION"  # 资格考试
    RENEWAL = "RENEWAL"  # 续职考试


class PersonnelNature(StrEnum):
    STAFF = "STAFF"  # 在编在职
    ENTRUSTED = "ENTRUSTED"  # 受委托
