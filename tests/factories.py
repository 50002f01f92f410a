"""make_*(...) with sensible defaults, through the app's own services where they exist."""

from __future__ import annotations

import itertools
import random
from datetime import timedelta
from typing import Any

from app.accounts.models import Role, User
from app.accounts.service import NewUser, create_account
from app.clock import now
from app.db import Database
from app.demo import CreditCodes, People
from app.exams.models import ExamSession
from app.registrations.models import Registration, RegistrationStatus
from app.units.models import Unit, UnitLevel
from app.units.service import NewUnit, add_unit

PASSWORD = "Passw0rd2026"
_rng = random.Random(7)
_people = People(_rng)
_codes = CreditCodes(_rng)
_counter = itertools.count(1)


def make_unit(
    db: Database, *, division: str = "450102", level: UnitLevel = UnitLevel.COUNTY,
    supervisor: Unit | None = None, is_department: bool = False, name: str | None = None,
) -> Unit:
    with db.transaction() as session:
        return add_unit(session, new=NewUnit(
            name=name or f"测试执法单位{next(_counter)}", credit_code=_codes.make(division),
            division_code=division, level=level, supervisor_id=supervisor.id if supervisor else None,
            is_department=is_department,
        ))


def make_user(
    db: Database, *, role: Role, unit: Unit | None = None, division: str | None = None,
    password: str | None = PASSWORD, name: str | None = None,
) -> User:
    """`password=None` creates the account with the initial password 8888."""
    with db.transaction() as session:
        return create_account(session, settings=db.settings, new=NewUser(
            role=role, name=name or _people.name(), unit_id=unit.id if unit else None,
            username=None if role == Role.UNIT_ADMIN else f"user{next(_counter)}",
            division_code=division,
            id_number=_people.id_number("450102", born_before=1995)[0] if role == Role.UNIT_ADMIN else None,
            mobile=_people.phone(), password=password,
        ))


def make_exam_session(db: Database, *, open: bool = True) -> ExamSession:
    start = now() - timedelta(days=3) if open else now() - timedelta(days=30)
    with db.transaction() as session:
        exam = ExamSession(name=f"测试考试批次{next(_counter)}", registration_opens_at=start,
                           registration_closes_at=start + timedelta(days=10 if open else 5))
        session.add(exam)
    return exam


def candidate(**overrides: Any) -> dict[str, Any]:
    """Valid GraphQL RegistrationInput data for a new candidate."""
    id_number, gender = _people.id_number("450103", born_before=1990)
    data = {
        "name": _people.name(), "gender": gender.value, "ethnicity": "壮族", "idNumber": id_number,
        "politicalStatus": "中共党员", "education": "大学本科", "major": "法学", "phone": _people.phone(),
        "position": "科员", "enforcementField": "市场监管", "examType": "QUALIFICATION",
        "personnelNature": "STAFF", "workStartDate": "2012-07-01", "remarks": None,
    }
    data.update(overrides)
    return data


def make_registration(
    db: Database, *, unit: Unit, exam: ExamSession, status: RegistrationStatus = RegistrationStatus.DRAFT,
    **overrides: Any,
) -> Registration:
    id_number, gender = _people.id_number("450103")
    values: dict[str, Any] = dict(
        name=_people.name(), gender=gender, ethnicity="汉族", id_number=id_number, education="大学本科",
        phone=_people.phone(), enforcement_field="公安", exam_type="QUALIFICATION", personnel_nature="STAFF",
    )
    values.update(overrides)
    with db.transaction() as session:
        registration = Registration(session_id=exam.id, unit_id=unit.id, status=status, **values)
        session.add(registration)
    return registration


def make_documents_ready(db: Database, *, unit: Unit, exam: ExamSession, registrations: list[int] = (),
                         delegation: bool = False) -> None:
    """The proof PDFs of a unit and the photos of some records, as checked OK (the upload paths
    have their own tests; the workflow only reads the verdicts)."""
    from app.documents.models import Attachment, AttachmentCategory, CheckStatus, Photo

    categories = [AttachmentCategory.ESTABLISHMENT_PLAN, AttachmentCategory.POWER_LIST,
                  AttachmentCategory.EMPLOYMENT_PROOF] + ([AttachmentCategory.DELEGATION_LETTER] if delegation else [])
    with db.transaction() as session:
        for category in categories:
            session.add(Attachment(session_id=exam.id, unit_id=unit.id, category=category,
                                   file_name=f"{category.value}.pdf", content_hash="0" * 64, size=1000, pages=1,
                                   status=CheckStatus.OK))
        for registration_id in registrations:
            session.add(Photo(registration_id=int(registration_id), file_name="photo.jpg", content_hash="1" * 64,
                              size=200_000, width=413, height=531, dpi=300, status=CheckStatus.OK))
