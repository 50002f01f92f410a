"""A realistic demo data set: units in every city and county, reviewers, an open session, registrations
with their review histories (app/demo_registrations.py), proof PDFs and photos.

`examreg demo --scale 200000` takes well under a minute on PostgreSQL: rows go in by COPY
(executemany on SQLite), and the accounts share one hash per demo password.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from PIL import Image as PILImage
from PIL import ImageDraw
from pypdf import PdfWriter
from sqlmodel import Session, select
from stdnum.cn import ric, uscc

from app.accounts.models import Role, User
from app.accounts.service import unit_admin_username
from app.auth.passwords import hash_password
from app.calendar.service import WorkingCalendar
from app.calendar.working_days import refresh_working_days
from app.clock import CHINA, now
from app.db import Database
from app.demo_registrations import (
    STATE_WEIGHTS,
    Actor,
    Histories,
    Record,
    WorkingClock,
    Writer,
    chain_for,
    draw_states,
    write_histories,
    write_registrations,
)
from app.divisions.models import Division, DivisionLevel
from app.documents import photo_rules
from app.documents.models import Attachment, AttachmentCategory, CheckStatus, Photo
from app.documents.service import (
    ATTACHMENT_FOLDER,
    CATEGORY_LABELS,
    JPG_SUFFIX,
    PDF_SUFFIX,
    PHOTO_FOLDER,
    verdict_for,
)
from app.exams.models import ExamSession
from app.registrations.choices import EDUCATIONS, ENFORCEMENT_FIELDS, POLITICAL_STATUSES
from app.registrations.models import ExamType, Gender, PersonnelNature
from app.registrations.models import RegistrationStatus as S
from app.registrations.rules import birth_date_of, id_number_problem
from app.settings import Settings
from app.storage import Storage, storage_for
from app.units.models import Unit, UnitLevel
from app.units.service import NewUnit, add_unit

SESSION_NAME = "2026年全区行政执法人员资格（续职）培训考试"
DEMO_PASSWORD = "Demo2026pass"
WINDOW_DAYS, WINDOW_DAYS_SO_FAR = 35, 21  # the demo session's registration window, three weeks in

SURNAMES = "李黄韦陈梁覃蒙莫刘张王林杨卢罗廖周谭吴唐潘何蓝农黎邓赵"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华丹玲斌宁海燕志红春梅建国永庆"
ETHNIC_MIX = ["汉族"] * 6 + ["壮族"] * 3 + ["瑶族", "苗族", "侗族", "仫佬族", "毛南族"]
STATUS_MIX = [status for status, weight in STATE_WEIGHTS.items() for _ in range(weight)]
MAJORS = ["法学", "行政管理", "汉语言文学", "计算机科学与技术", None]
POSITIONS = ["科员", "副科长", "科长", "四级主任科员", None]
UNIT_TEMPLATES = ["市场监督管理局", "综合行政执法局", "交通运输局", "农业农村局", "自然资源局", "生态环境分局"]
CITY_UNIT_TEMPLATES = ["市场监督管理局", "城市管理综合行政执法局", "生态环境局"]
UNIT_WEIGHTS = {UnitLevel.COUNTY: 5, UnitLevel.CITY: 3, UnitLevel.REGION: 4}  # records per unit, before its size
BACKLOGGED_OFFICES = 0.15  # review offices that take several times as long: the overdue reviews


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
            # A code the validator does not know (a city's 00 code, say) is not a birth place: fall back.
            place = division_code if attempt < 5 and not division_code.endswith("00") else "450103"
            born = date(self.rng.randint(1965, born_before), self.rng.randint(1, 12), self.rng.randint(1, 28))
            body = f"{place}{born:%Y%m%d}{self.rng.randint(0, 999):03d}"
            number = body + ric.calc_check_digit(body + "0")  # expects a full-length number
            if number not in self.used and id_number_problem(number) is None:
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
        registering = [u for u in units.values() if not u.is_department or u.level != UnitLevel.REGION]
        admins, reviewers = _accounts(session, database.settings, units, registering, people)
        opens = datetime.combine(now().astimezone(CHINA).date() - timedelta(days=WINDOW_DAYS_SO_FAR), time(0),
                                 tzinfo=CHINA)
        exam = ExamSession(name=SESSION_NAME, registration_opens_at=opens.astimezone(UTC),
                           registration_closes_at=(opens + timedelta(days=WINDOW_DAYS)).astimezone(UTC))
        session.add(exam)
        session.flush()
        refresh_working_days(session)  # the review times in the statistics count on it
        storage = storage_for(database.settings)
        _documents(session, storage, exam, registering)
        records = _registrations(session, exam, registering, admins, reviewers, people, scale, rng)
        _photos(session, storage, records, rng)
        return _logins(session)


def _units(session: Session, codes: CreditCodes, scale: int) -> dict[str, Unit]:
    """The named units the logins refer to, then units in every city and county-level division."""
    def unit(key: str, name: str, division: str, level: UnitLevel, **kw) -> None:  # noqa: ANN003
        if name in names:
            return
        names.add(name)
        units[key] = add_unit(session, new=NewUnit(name=name, credit_code=codes.make(division),
                                                   division_code=division, level=level, **kw))

    units: dict[str, Unit] = {}
    names: set[str] = set()
    unit("gx_scjg", "广西壮族自治区市场监督管理局", "450000", UnitLevel.REGION, is_department=True)
    unit("gx_jtt", "广西壮族自治区交通运输厅", "450000", UnitLevel.REGION, is_department=True)
    session.flush()
    unit("gx_scjg_zd", "广西壮族自治区市场监督管理局执法稽查总队", "450000", UnitLevel.REGION,
         supervisor_id=units["gx_scjg"].id)
    unit("gx_jt_zd", "广西壮族自治区交通运输综合行政执法局", "450000", UnitLevel.REGION,
         supervisor_id=units["gx_jtt"].id)
    unit("nn_jt", "南宁市交通运输局", "450100", UnitLevel.CITY, is_department=True)
    session.flush()
    unit("nn_jt_zd", "南宁市交通运输综合行政执法支队", "450100", UnitLevel.CITY, supervisor_id=units["nn_jt"].id)
    unit("nn_cg", "南宁市城市管理综合行政执法局", "450100", UnitLevel.CITY)
    unit("xn_scjg", "南宁市兴宁区市场监督管理局", "450102", UnitLevel.COUNTY)
    unit("qx_zf", "南宁市青秀区综合行政执法局", "450103", UnitLevel.COUNTY)
    unit("cz_scjg", "柳州市城中区市场监督管理局", "450202", UnitLevel.COUNTY)
    unit("xf_jt", "桂林市秀峰区交通运输局", "450302", UnitLevel.COUNTY)
    divisions = session.exec(select(Division).where(Division.level != DivisionLevel.REGION).order_by(Division.code))
    cities = {d.code: d.name for d in divisions if d.level == DivisionLevel.CITY}
    per_county = min(len(UNIT_TEMPLATES), 1 + scale // 40_000)
    for code, city in cities.items():
        for template in CITY_UNIT_TEMPLATES[: 1 + scale // 100_000]:
            unit(f"c{code}{template}", f"{city}{template}", code, UnitLevel.CITY)
    for county in session.exec(select(Division).where(Division.level == DivisionLevel.COUNTY)
                               .order_by(Division.code)):
        # 区 are named with their city (南宁市兴宁区…); county-level cities and counties stand alone.
        place = f"{cities[county.parent_code]}{county.name}" if county.name.endswith("区") else county.name
        for template in UNIT_TEMPLATES[:per_county]:
            unit(f"c{county.code}{template}", f"{place}{template}", county.code, UnitLevel.COUNTY)
    session.flush()
    return units


class Passwords:
    """One hash per demo password: hashing each account's (about 0.4 s) would dominate a large demo.
    Every unit administrator starts with the same published initial password anyway."""

    def __init__(self, settings: Settings) -> None:
        self.initial = hash_password(settings.initial_password)
        self.demo = hash_password(DEMO_PASSWORD)


def _accounts(session: Session, settings: Settings, units: dict[str, Unit], registering: list[Unit],
              people: People) -> tuple[dict[int, Actor], dict[tuple[Role, str | int], Actor]]:
    """The named logins, a reviewer for every justice bureau and department, an administrator per unit."""
    passwords = Passwords(settings)
    divisions = {d.code: d for d in session.exec(select(Division))}
    accounts: list[User] = []
    reviewers: dict[tuple[Role, str | int], User] = {}

    def reviewer(role: Role, name: str, username: str, *, division: str | None = None,
                 unit: str | None = None) -> None:
        account = User(username=username, password_hash=passwords.demo, role=role, name=name,
                       division_code=division, unit_id=units[unit].id if unit else None, mobile=people.phone(),
                       must_change_password=False)
        accounts.append(account)
        key = division if role in (Role.CITY_REVIEWER, Role.COUNTY_REVIEWER) else units[unit].id if unit else ""
        reviewers.setdefault((role, key), account)

    reviewer(Role.SUPERADMIN, "系统管理员", "admin")
    reviewer(Role.REGION_REVIEWER, "自治区司法厅审核员", "gx_sft")
    reviewer(Role.TRAINING_OPERATOR, "千翔科技培训运营", "qianxiang")
    reviewer(Role.DEPT_REVIEWER, "自治区市场监管局审核员", "gx_scjg", unit="gx_scjg")
    reviewer(Role.DEPT_REVIEWER, "自治区交通运输厅审核员", "gx_jtt", unit="gx_jtt")
    reviewer(Role.DEPT_REVIEWER, "南宁市交通运输局审核员", "nn_jt", unit="nn_jt")
    reviewer(Role.CITY_REVIEWER, "南宁市司法局审核员", "nanning_sfj", division="450100")
    reviewer(Role.CITY_REVIEWER, "柳州市司法局审核员", "liuzhou_sfj", division="450200")
    reviewer(Role.CITY_REVIEWER, "桂林市司法局审核员", "guilin_sfj", division="450300")
    reviewer(Role.COUNTY_REVIEWER, "兴宁区司法局审核员", "xingning_sfj", division="450102")
    reviewer(Role.COUNTY_REVIEWER, "青秀区司法局审核员", "qingxiu_sfj", division="450103")
    reviewer(Role.COUNTY_REVIEWER, "城中区司法局审核员", "chengzhong_sfj", division="450202")
    reviewer(Role.COUNTY_REVIEWER, "秀峰区司法局审核员", "xiufeng_sfj", division="450302")
    for code, division in divisions.items():  # every other justice bureau: sfj + its division code
        role = {DivisionLevel.CITY: Role.CITY_REVIEWER, DivisionLevel.COUNTY: Role.COUNTY_REVIEWER}.get(division.level)
        if role is not None and (role, code) not in reviewers:
            reviewer(role, f"{division.name}司法局审核员", f"sfj{code}", division=code)
    admins: dict[int, User] = {}
    taken: set[str] = set()
    for unit in registering:
        while True:
            name = people.name()
            id_number = people.id_number(unit.division_code, born_before=1995)[0]
            username = unit_admin_username(name, birth_date_of(id_number))
            if username not in taken:
                taken.add(username)
                break
        admins[unit.id] = User(username=username, password_hash=passwords.initial, role=Role.UNIT_ADMIN,
                               unit_id=unit.id, name=name, birth_date=birth_date_of(id_number), id_number=id_number,
                               mobile=people.phone(), must_change_password=True)
        accounts.append(admins[unit.id])
    session.add_all(accounts)
    session.flush()
    return ({unit_id: Actor(a.id, a.role.value) for unit_id, a in admins.items()},
            {key: Actor(a.id, a.role.value) for key, a in reviewers.items()})


def _registrations(session: Session, exam: ExamSession, units: list[Unit], admins: dict[int, Actor],
                   reviewers: dict[tuple[Role, str | int], Actor], people: People, scale: int,
                   rng: random.Random) -> dict[str, Record]:
    """`scale` records over the units (bigger and smaller offices), each with its whole history."""
    calendar = WorkingCalendar.load(session)
    at = now()
    opens = exam.registration_opens_at
    clock = WorkingClock(calendar, opens.astimezone(CHINA).date() - timedelta(days=90),
                         at.astimezone(CHINA).date() + timedelta(days=60))
    training = reviewers[(Role.TRAINING_OPERATOR, "")]
    histories = Histories(rng, clock, calendar, opens, at, training)
    paces = {}  # a review office's pace: most are prompt, some are backlogged
    chains = []
    for unit in units:
        office = unit.division_code if unit.level == UnitLevel.COUNTY else unit.supervisor_id or unit.city_code
        if office not in paces:
            paces[office] = rng.uniform(3, 8) if rng.random() < BACKLOGGED_OFFICES else rng.uniform(0.6, 1.5)
        chains.append(chain_for(unit, reviewers, admins[unit.id], paces[office]))
    sizes = [UNIT_WEIGHTS[c.unit.level] * math.exp(rng.gauss(0, 0.5)) for c in chains]
    records: dict[str, Record] = {}
    rows = []
    for chain, status in zip(rng.choices(chains, weights=sizes, k=scale), draw_states(rng, scale), strict=True):
        record = histories.record(chain, status)
        id_number, gender = people.id_number(chain.unit.division_code)
        records[id_number] = record
        exam_type = ExamType.RENEWAL if rng.random() < 0.55 else ExamType.QUALIFICATION
        created, updated = record.steps[0][3], record.steps[-1][3]
        rows.append((
            exam.id, chain.unit.id, record.status, people.name(), gender, rng.choice(ETHNIC_MIX), id_number,
            rng.choice(POLITICAL_STATUSES[:3] + ("群众",)), rng.choice(EDUCATIONS[1:4]),
            rng.choice(MAJORS), people.phone(), rng.choice(POSITIONS), rng.choice(ENFORCEMENT_FIELDS[:12]), exam_type,
            f"GX{rng.randint(10_000_000, 99_999_999)}" if exam_type == ExamType.RENEWAL else None,
            PersonnelNature.ENTRUSTED if rng.random() < 0.1 else PersonnelNature.STAFF,
            date(rng.randint(2005, 2022), rng.randint(1, 12), 1), None, False, record.submitted_at, record.due_at,
            None, chain.admin.id, created, updated, len(record.steps),
        ))
    writer = Writer(session.connection())
    write_registrations(writer, rows)
    ids = write_histories(writer, exam.id, records)
    for number, record in records.items():
        record.registration_id = ids[number]
    return records


DISTINCT_PHOTOS = 12  # real, checked photos, shared out among the records (storage keeps each once)
DRAFT_PHOTO_SHARES = {CheckStatus.OK: 0.55, CheckStatus.REJECTED: 0.1}  # the rest of the drafts have none yet


def _documents(session: Session, storage: Storage, exam: ExamSession, units: list[Unit]) -> None:
    """Every unit's proof PDFs, checked OK (submission needs them)."""
    attachments = []
    for unit in units:
        pdf = _demo_pdf(unit.name)
        stored = storage.put(pdf, folder=ATTACHMENT_FOLDER, suffix=PDF_SUFFIX)
        for category, label in CATEGORY_LABELS.items():
            if category == AttachmentCategory.OTHER:
                continue
            attachments.append(Attachment(
                session_id=exam.id, unit_id=unit.id, category=category, file_name=f"{label}.pdf",
                content_hash=stored.sha256, size=stored.size, pages=1, status=CheckStatus.OK, problems=[]))
    session.add_all(attachments)
    session.flush()


def _photos(session: Session, storage: Storage, records: dict[str, Record], rng: random.Random) -> None:
    """An OK photo for every submitted record (they could not be otherwise); most drafts have one, a few
    a rejected one (72 dpi)."""
    good = [verdict_for(storage, _demo_photo(rng)) for _ in range(DISTINCT_PHOTOS)]
    low = _demo_photo(rng, dpi=72)
    rejected = photo_rules.inspect_photo(low)
    rejected_file = storage.put(low, folder=PHOTO_FOLDER, suffix=JPG_SUFFIX)
    rows = []
    for number, record in records.items():
        verdict = rng.choices([CheckStatus.OK, CheckStatus.REJECTED, None],
                              [*DRAFT_PHOTO_SHARES.values(), 1 - sum(DRAFT_PHOTO_SHARES.values())])[0]
        if record.status != S.DRAFT:
            verdict = CheckStatus.OK
        at = record.steps[0][3] + timedelta(minutes=rng.randint(5, 600))
        if verdict == CheckStatus.OK:
            photo = rng.choice(good)
            rows.append((record.registration_id, f"{number}.jpg", photo.stored.sha256, photo.stored.size,
                         photo.facts.width, photo.facts.height, photo.facts.dpi, verdict, [], record.chain.admin.id,
                         min(at, record.submitted_at or at)))
        elif verdict == CheckStatus.REJECTED:
            rows.append((record.registration_id, f"{number}.jpg", rejected_file.sha256, rejected_file.size,
                         rejected.width, rejected.height, rejected.dpi, verdict,
                         [p.as_dict() for p in rejected.problems], record.chain.admin.id, at))
    Writer(session.connection()).write(Photo.__table__, [
        "registration_id", "file_name", "content_hash", "size", "width", "height", "dpi", "status", "problems",
        "uploaded_by", "created_at"], rows)


def _demo_pdf(title: str) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _demo_photo(rng: random.Random, *, dpi: int = 300) -> bytes:
    """A plausible ID photo that meets every rule: white background, 413 x 531 px, 300 dpi, > 100 KB."""
    image = PILImage.new("RGB", (413, 531), "white")
    shade = rng.randint(60, 120)
    ImageDraw.Draw(image).ellipse((126, 80, 286, 280), fill=(shade + 90, shade + 60, shade + 40))
    body = PILImage.effect_noise((313, 261), 70).convert("RGB")
    image.paste(PILImage.blend(PILImage.new("RGB", body.size, (20, 30, 60)), body, 0.55), (50, 270))
    face = PILImage.effect_noise((140, 170), 40).convert("RGB")
    image.paste(PILImage.blend(image.crop((136, 100, 276, 270)), face, 0.3), (136, 100))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=100, subsampling=0, dpi=(dpi, dpi))
    return out.getvalue()


def _logins(session: Session) -> list[Login]:
    """The named logins, a few unit administrators, then the other justice bureaus' (sfj + division code)."""
    rows = session.execute(sa.text(
        "SELECT u.role, u.username, u.must_change_password, COALESCE(n.name, d.name, '') "
        "FROM app_user u LEFT JOIN unit n ON n.id = u.unit_id LEFT JOIN division d ON d.code = u.division_code "
        "ORDER BY CASE WHEN u.role = 'UNIT_ADMIN' THEN 1 WHEN u.username LIKE 'sfj%' THEN 2 ELSE 0 END, u.id"
    )).all()
    named = [r for r in rows if r[0] != "UNIT_ADMIN" and not r[1].startswith("sfj")]
    admins = [r for r in rows if r[0] == "UNIT_ADMIN"][:12]
    chosen = (named + admins + [r for r in rows if r not in named and r not in admins])[:40]
    return [Login(role, username, "8888" if must else DEMO_PASSWORD, where) for role, username, must, where in chosen]
