"""A realistic demo data set: units of every level, reviewers, an open session, registrations."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from PIL import Image as PILImage
from PIL import ImageDraw
from pypdf import PdfWriter
from sqlmodel import Session, select
from stdnum.cn import ric, uscc

from app.accounts.models import Role
from app.accounts.service import NewUser, create_account
from app.calendar.service import REVIEW_WORKING_DAYS, WorkingCalendar
from app.clock import now
from app.db import Database
from app.divisions.models import Division, DivisionLevel
from app.documents.models import Attachment, AttachmentCategory, CheckStatus, Photo
from app.documents.service import ATTACHMENT_FOLDER, CATEGORY_LABELS, PDF_SUFFIX, verdict_for
from app.exams.models import ExamSession
from app.registrations.choices import EDUCATIONS, ENFORCEMENT_FIELDS, POLITICAL_STATUSES
from app.registrations.models import ExamType, Gender, PersonnelNature, Registration
from app.registrations.models import RegistrationStatus as S
from app.registrations.workflow import PENDING_REVIEW
from app.reviews.models import ReviewAction, ReviewActionKind
from app.storage import Storage, storage_for
from app.units.models import Unit, UnitLevel
from app.units.service import NewUnit, add_unit

SESSION_NAME = "2026年全区行政执法人员资格（续职）培训考试"
DEMO_PASSWORD = "Demo2026pass"

SURNAMES = "李黄韦陈梁覃蒙莫刘张王林杨卢罗廖周谭吴唐潘何蓝农黎邓赵"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华丹玲斌宁海燕志红春梅建国永庆"
ETHNIC_MIX = ["汉族"] * 6 + ["壮族"] * 3 + ["瑶族", "苗族", "侗族", "仫佬族", "毛南族"]
STATUS_MIX = [S.DRAFT] * 30 + [S.PENDING_INITIAL] * 20 + [S.PENDING_FINAL] * 15 + [S.RETURNED] * 10 \
    + [S.APPROVED] * 15 + [S.TRAINING_OPENED] * 10
UNIT_TEMPLATES = ["市场监督管理局", "综合行政执法局", "交通运输局", "农业农村局", "自然资源局", "生态环境分局"]


@dataclass(frozen=True)
class Login:
    role: str
    username: str
    password: str
    note: str


class CreditCodes:
    """Valid, distinct unified social credit codes (GB 32100), e.g. 11450102MB1234567X."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def make(self, division_code: str) -> str:
        while True:
            body = "11" + division_code + "MB" + "".join(self.rng.choice("0123456789") for _ in range(7))
            code = body + uscc.calc_check_digit(body)
            if code not in self.used:
                self.used.add(code)
                return code


class People:
    """Distinct plausible candidates with valid GB 11643 ID numbers."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def id_number(self, division_code: str, *, born_before: int = 2002) -> tuple[str, Gender]:
        for attempt in range(1000):
            # A division newer than the birth year is not a valid birth place: fall back.
            place = division_code if attempt < 5 and not division_code.endswith("00") else "450103"
            born = date(self.rng.randint(1965, born_before), self.rng.randint(1, 12), self.rng.randint(1, 28))
            body = f"{place}{born:%Y%m%d}{self.rng.randint(0, 999):03d}"
            number = body + ric.calc_check_digit(body + "0")  # expects a full-length number
            if number not in self.used and ric.is_valid(number):
                self.used.add(number)
                return number, Gender.MALE if int(number[16]) % 2 else Gender.FEMALE
        raise RuntimeError("could not make a distinct ID number")

    def name(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2))))

    def phone(self) -> str:
        return self.rng.choice(["13", "15", "17", "18", "19"]) + f"{self.rng.randint(0, 999_999_999):09d}"


def load_demo(database: Database, *, scale: int = 300, seed: int = 2026) -> list[Login]:
    """Load the demo once; a second run only prints the logins again."""
    rng = random.Random(seed)
    with database.transaction() as session:
        if session.exec(select(ExamSession).where(ExamSession.name == SESSION_NAME)).first():
            return _logins(session)
        people = People(rng)
        codes = CreditCodes(rng)
        units = _units(session, codes, scale)
        _accounts(session, database, units, people)
        exam = ExamSession(name=SESSION_NAME, registration_opens_at=now() - timedelta(days=7),
                           registration_closes_at=now() + timedelta(days=30))
        session.add(exam)
        session.flush()
        registering = [u for u in units.values() if not u.is_department or u.level != UnitLevel.REGION]
        _registrations(session, exam, registering, people, scale, rng)
        _documents(session, storage_for(database.settings), exam, registering, rng)
        return _logins(session)


def _units(session: Session, codes: CreditCodes, scale: int) -> dict[str, Unit]:
    def unit(key: str, name: str, division: str, level: UnitLevel, **kw) -> None:  # noqa: ANN003
        units[key] = add_unit(session, new=NewUnit(name=name, credit_code=codes.make(division),
                                                   division_code=division, level=level, **kw))

    units: dict[str, Unit] = {}
    unit("gx_scjg", "广西壮族自治区市场监督管理局", "450000", UnitLevel.REGION, is_department=True)
    session.flush()
    unit("gx_scjg_zd", "广西壮族自治区市场监督管理局执法稽查总队", "450000", UnitLevel.REGION,
         supervisor_id=units["gx_scjg"].id)
    unit("nn_jt", "南宁市交通运输局", "450100", UnitLevel.CITY, is_department=True)
    session.flush()
    unit("nn_jt_zd", "南宁市交通运输综合行政执法支队", "450100", UnitLevel.CITY, supervisor_id=units["nn_jt"].id)
    unit("nn_cg", "南宁市城市管理综合行政执法局", "450100", UnitLevel.CITY)
    unit("xn_scjg", "南宁市兴宁区市场监督管理局", "450102", UnitLevel.COUNTY)
    unit("qx_zf", "南宁市青秀区综合行政执法局", "450103", UnitLevel.COUNTY)
    unit("cz_scjg", "柳州市城中区市场监督管理局", "450202", UnitLevel.COUNTY)
    unit("xf_jt", "桂林市秀峰区交通运输局", "450302", UnitLevel.COUNTY)
    if scale > 1000:  # spread a large data set over every county-level division
        counties = session.exec(select(Division).where(Division.level == DivisionLevel.COUNTY).order_by(Division.code))
        for county in counties:
            for template in UNIT_TEMPLATES[: 1 + scale // 50_000]:
                unit(f"c{county.code}{template}", f"{county.name}{template}", county.code, UnitLevel.COUNTY)
    session.flush()
    return units


def _accounts(session: Session, database: Database, units: dict[str, Unit], people: People) -> None:
    settings = database.settings

    def account(role: Role, name: str, *, username: str | None = None, password: str | None = DEMO_PASSWORD,
                unit: str | None = None, division: str | None = None, id_division: str = "450102") -> None:
        id_number = people.id_number(id_division, born_before=1995)[0] if role == Role.UNIT_ADMIN else None
        create_account(session, settings=settings, new=NewUser(
            role=role, name=name, username=username, unit_id=units[unit].id if unit else None,
            division_code=division, id_number=id_number, mobile=people.phone(), password=password,
        ))

    account(Role.SUPERADMIN, "系统管理员", username="admin")
    account(Role.REGION_REVIEWER, "自治区司法厅审核员", username="gx_sft")
    account(Role.TRAINING_OPERATOR, "千翔科技培训运营", username="qianxiang")
    account(Role.DEPT_REVIEWER, "自治区市场监管局审核员", username="gx_scjg", unit="gx_scjg")
    account(Role.DEPT_REVIEWER, "南宁市交通运输局审核员", username="nn_jt", unit="nn_jt")
    account(Role.CITY_REVIEWER, "南宁市司法局审核员", username="nanning_sfj", division="450100")
    account(Role.CITY_REVIEWER, "柳州市司法局审核员", username="liuzhou_sfj", division="450200")
    account(Role.CITY_REVIEWER, "桂林市司法局审核员", username="guilin_sfj", division="450300")
    account(Role.COUNTY_REVIEWER, "兴宁区司法局审核员", username="xingning_sfj", division="450102")
    account(Role.COUNTY_REVIEWER, "青秀区司法局审核员", username="qingxiu_sfj", division="450103")
    account(Role.COUNTY_REVIEWER, "城中区司法局审核员", username="chengzhong_sfj", division="450202")
    account(Role.COUNTY_REVIEWER, "秀峰区司法局审核员", username="xiufeng_sfj", division="450302")
    for key, unit in units.items():
        if unit.is_department and unit.level == UnitLevel.REGION:
            continue
        account(Role.UNIT_ADMIN, people.name(), unit=key, password=None, id_division=unit.division_code)


def _registrations(session: Session, exam: ExamSession, units: list[Unit], people: People, scale: int,
                   rng: random.Random) -> None:
    admins = dict(session.execute(sa.text("SELECT unit_id, id FROM app_user WHERE role = 'UNIT_ADMIN'")).all())
    weights = [5 if u.level == UnitLevel.COUNTY else 3 for u in units]
    started = now()
    calendar = WorkingCalendar.load(session)
    for offset in range(0, scale, 5000):
        rows = []
        for _ in range(min(5000, scale - offset)):
            unit = rng.choices(units, weights)[0]
            id_number, gender = people.id_number(unit.division_code)
            status = rng.choice(STATUS_MIX)
            exam_type = rng.choice([ExamType.QUALIFICATION, ExamType.RENEWAL])
            submitted = None if status == S.DRAFT else started - timedelta(hours=rng.randint(1, 150))
            rows.append(dict(
                session_id=exam.id, unit_id=unit.id, status=status, name=people.name(), gender=gender,
                ethnicity=rng.choice(ETHNIC_MIX), id_number=id_number,
                political_status=rng.choice(POLITICAL_STATUSES[:3] + ("群众",)), education=rng.choice(EDUCATIONS[1:4]),
                major=rng.choice(["法学", "行政管理", "汉语言文学", "计算机科学与技术", None]), phone=people.phone(),
                position=rng.choice(["科员", "副科长", "科长", "四级主任科员", None]),
                enforcement_field=rng.choice(ENFORCEMENT_FIELDS[:12]), exam_type=exam_type,
                certificate_number=f"GX{rng.randint(10_000_000, 99_999_999)}" if exam_type == ExamType.RENEWAL else None,
                personnel_nature=PersonnelNature.ENTRUSTED if rng.random() < 0.1 else PersonnelNature.STAFF,
                work_start_date=date(rng.randint(2005, 2022), rng.randint(1, 12), 1), remarks=None,
                rollback_used=False, submitted_at=submitted, created_by=admins.get(unit.id),
                due_at=calendar.due(submitted, REVIEW_WORKING_DAYS) if status in PENDING_REVIEW else None,
                created_at=started, updated_at=started, version=1,
            ))
        session.execute(sa.insert(Registration), rows)
    ids = session.execute(sa.select(Registration.id, Registration.status, Registration.created_by)
                          .where(Registration.session_id == exam.id)).all()
    actions = [dict(registration_id=i, actor_id=by, action=ReviewActionKind.CREATE, from_status=None,
                    to_status=S.DRAFT, at=started) for i, _, by in ids]
    actions += [dict(registration_id=i, actor_id=by, action=ReviewActionKind.SUBMIT, from_status=S.DRAFT,
                     to_status=S.PENDING_INITIAL, at=started) for i, status, by in ids if status != S.DRAFT]
    for chunk in range(0, len(actions), 10000):
        session.execute(sa.insert(ReviewAction), actions[chunk:chunk + 10000])


MAX_DEMO_PHOTOS = 400


def _documents(session: Session, storage: Storage, exam: ExamSession, units: list[Unit], rng: random.Random) -> None:
    """Every unit's proof PDFs, and photos for the records already submitted (they could not be otherwise)."""
    for unit in units:
        pdf = _demo_pdf(unit.name)
        stored = storage.put(pdf, folder=ATTACHMENT_FOLDER, suffix=PDF_SUFFIX)
        for category, label in CATEGORY_LABELS.items():
            if category == AttachmentCategory.OTHER:
                continue
            session.add(Attachment(session_id=exam.id, unit_id=unit.id, category=category, file_name=f"{label}.pdf",
                                   content_hash=stored.sha256, size=stored.size, pages=1, status=CheckStatus.OK,
                                   problems=[]))
    submitted = session.execute(sa.select(Registration.id, Registration.id_number).where(
        Registration.session_id == exam.id, Registration.status != S.DRAFT).limit(MAX_DEMO_PHOTOS)).all()
    for registration_id, id_number in submitted:
        verdict = verdict_for(storage, _demo_photo(rng))
        session.add(Photo(registration_id=registration_id, file_name=f"{id_number}.jpg",
                          content_hash=verdict.stored.sha256, size=verdict.stored.size, width=verdict.facts.width,
                          height=verdict.facts.height, dpi=verdict.facts.dpi, status=CheckStatus.OK, problems=[]))


def _demo_pdf(title: str) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _demo_photo(rng: random.Random) -> bytes:
    """A plausible ID photo that meets every rule: white background, 413 x 531 px, 300 dpi, > 100 KB."""
    image = PILImage.new("RGB", (413, 531), "white")
    shade = rng.randint(60, 120)
    ImageDraw.Draw(image).ellipse((126, 80, 286, 280), fill=(shade + 90, shade + 60, shade + 40))
    body = PILImage.effect_noise((313, 261), 70).convert("RGB")
    image.paste(PILImage.blend(PILImage.new("RGB", body.size, (20, 30, 60)), body, 0.55), (50, 270))
    face = PILImage.effect_noise((140, 170), 40).convert("RGB")
    image.paste(PILImage.blend(image.crop((136, 100, 276, 270)), face, 0.3), (136, 100))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=100, subsampling=0, dpi=(300, 300))
    return out.getvalue()


def _logins(session: Session) -> list[Login]:
    rows = session.execute(sa.text(
        "SELECT u.role, u.username, u.must_change_password, COALESCE(n.name, d.name, '') "
        "FROM app_user u LEFT JOIN unit n ON n.id = u.unit_id LEFT JOIN division d ON d.code = u.division_code "
        "ORDER BY u.id"
    )).all()
    return [Login(role, username, "8888" if must else DEMO_PASSWORD, where) for role, username, must, where in rows][:40]
