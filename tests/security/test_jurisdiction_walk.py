"""Jurisdiction, walked from the schema: no role reaches a unit it may not see.

Two sides of the region are seeded: side A (南宁: a county unit, a region-level department and
the unit it supervises) and side B (柳州: the same shapes), each with registrations in several
states, photos, proof PDFs, import jobs, unit requests and SMS rows. One account of every
role is bound to side A. Then every root Query and Mutation field of the schema is sent as
every role, with arguments pointing at side B, selecting every nested field that leads to
records (the selection is generated from the schema, so a new nested edge is walked too).

`PROBES` must name every root field: a resolver added without a probe here fails
`test_every_root_field_has_a_probe` with its name. What counts as refused:
- LIST: the answer (or a FORBIDDEN/NOT_FOUND error) holds none of side B's ids, names, ID
  numbers (full or masked), phones, unit names or file names;
- FETCH: the record is null (or NOT_FOUND/FORBIDDEN), and nothing of side B shows;
- CHANGE: an error, a payload error or a batch of failed items, and no row of the database changed;
- EXPORT: no link, or a link whose file holds nothing of side B.
Signed download links of every kind, made out to the caller but for side B's records, are refused
when used: the download checks the rights again. The superadmin and the region reviewer, who may
see side B, are the positive control: the same probes must find side B in their answers.
"""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import graphql
import openpyxl
import pytest
import sqlalchemy as sa

from app import downloads
from app.accounts.models import Role
from app.clock import now
from app.documents.models import Attachment
from app.jobs import Job, JobKind, JobStatus
from app.models import metadata
from app.registrations.masking import mask_id_number, mask_personal_numbers, mask_phone
from app.registrations.models import RegistrationStatus as S
from app.sms.models import SmsMessage, SmsStatus
from app.unit_requests.models import UnitRequest, UnitRequestKind, UnitRequestStatus
from app.units.models import UnitLevel
from schema import build_schema
from tests.api import Api, error_codes, finished_job
from tests.documents.support import make_photo, post_files
from tests.factories import (
    PASSWORD,
    candidate,
    make_documents_ready,
    make_exam_session,
    make_registration,
    make_unit,
    make_user,
)

REFUSAL_CODES = {"FORBIDDEN", "NOT_FOUND"}
# Rows that change on every request or in the background, whatever the request asked for.
NOT_COMPARED = {"audit_event", "authtoken", "periodicrun"}
STATES = (S.DRAFT, S.PENDING_INITIAL, S.PENDING_FINAL, S.RETURNED, S.APPROVED, S.ROLLBACK_REQUESTED)
MAX_DEPTH = 5  # below the root field: registrations > edges > node > history > actor > unit


# --- the two sides --------------------------------------------------------------------------


@dataclass
class Side:
    prefix: str
    units: list = field(default_factory=list)
    registrations: dict = field(default_factory=dict)  # status -> Registration
    attachments: list = field(default_factory=list)
    jobs: list = field(default_factory=list)
    requests: list = field(default_factory=list)
    sms: list = field(default_factory=list)
    admin: Any = None

    @property
    def county(self):  # noqa: ANN201
        return self.units[0]

    def registration_ids(self, statuses=STATES) -> list[str]:  # noqa: ANN001
        return [str(r.id) for s, r in self.registrations.items() if s in statuses]


@dataclass
class World:
    exam: Any
    a: Side
    b: Side


def seed_side(db, exam, *, prefix: str, city: str, county: str) -> Side:  # noqa: ANN001
    side = Side(prefix)
    county_unit = make_unit(db, division=county, name=f"{prefix}县级执法单位")
    dept = make_unit(db, division="450000", level=UnitLevel.REGION, is_department=True, name=f"{prefix}自治区某厅")
    child = make_unit(db, division="450000", level=UnitLevel.REGION, supervisor=dept, name=f"{prefix}某厅直属总队")
    city_unit = make_unit(db, division=city, level=UnitLevel.CITY, name=f"{prefix}市直执法单位")
    side.units = [county_unit, dept, child, city_unit]
    for i, status in enumerate(STATES):
        unit = side.units[i % len(side.units)]
        side.registrations[status] = make_registration(db, unit=unit, exam=exam, status=status,
                                                       name=f"{prefix}考生{i}号")
    for unit in side.units:
        make_documents_ready(db, unit=unit, exam=exam)
    make_documents_ready(db, unit=county_unit, exam=exam, registrations=side.registration_ids())
    side.admin = make_user(db, role=Role.UNIT_ADMIN, unit=county_unit, name=f"{prefix}管理员")
    with db.transaction() as session:
        unit_ids = [u.id for u in side.units]
        for attachment in session.execute(sa.select(Attachment).where(Attachment.unit_id.in_(unit_ids))).scalars():
            attachment.file_name = f"{prefix}材料-{attachment.file_name}"
        for kind, status in ((JobKind.REGISTRATION_IMPORT, JobStatus.FAILED),
                             (JobKind.PHOTO_BATCH, JobStatus.SUCCEEDED)):
            session.add(Job(kind=kind, status=status, session_id=exam.id, unit_id=county_unit.id,
                            created_by=side.admin.id, input_name=f"{prefix}报名信息表.xlsx",
                            error_report_key=f"reports/{prefix}.xlsx", finished_at=now()))
        session.add(UnitRequest(
            kind=UnitRequestKind.ADMIN_CHANGE, status=UnitRequestStatus.PENDING, unit_id=county_unit.id,
            unit_name=county_unit.name, credit_code=county_unit.credit_code, division_code=county,
            admin_name=f"{prefix}新管理员", admin_id_number=side.registrations[S.DRAFT].id_number,
            admin_phone=side.registrations[S.DRAFT].phone, requested_by=side.admin.id,
            submitted_at=now(), due_at=now() + timedelta(days=2)))
        session.add(UnitRequest(
            kind=UnitRequestKind.NEW_UNIT, status=UnitRequestStatus.PENDING, unit_name=f"{prefix}申请新单位",
            credit_code=county_unit.credit_code[:-4] + "0000", division_code=county, admin_name=f"{prefix}申请人",
            admin_id_number=side.registrations[S.RETURNED].id_number,
            admin_phone=side.registrations[S.RETURNED].phone, submitted_at=now(), due_at=now() + timedelta(days=2)))
        session.add(SmsMessage(phone=side.registrations[S.APPROVED].phone, template="TRAINING_OPENED",
                               status=SmsStatus.SENT, params={"name": f"{prefix}考生", "session": exam.name}))
    with db.session() as session:
        unit_ids = [u.id for u in side.units]
        side.attachments = list(session.execute(sa.select(Attachment).where(Attachment.unit_id.in_(unit_ids))).scalars())
        side.jobs = list(session.execute(sa.select(Job).where(Job.unit_id == county_unit.id)).scalars())
        side.requests = list(session.execute(sa.select(UnitRequest).where(UnitRequest.division_code == county)).scalars())
        side.sms = list(session.execute(sa.select(SmsMessage).where(
            SmsMessage.phone == side.registrations[S.APPROVED].phone)).scalars())
    return side


@pytest.fixture
def world(backend) -> World:  # noqa: ANN001
    db = backend.database
    exam = make_exam_session(db)
    a = seed_side(db, exam, prefix="南宁甲方", city="450100", county="450102")
    b = seed_side(db, exam, prefix="柳州乙方", city="450200", county="450202")
    return World(exam, a, b)


# --- what side B looks like in an answer ----------------------------------------------------


@dataclass
class Markers:
    """Side B as it could show in a response: typed ids and strings."""

    ids: set[tuple[str, str]]
    strings: set[str]

    def found_in(self, body: Any) -> list[str]:  # noqa: ANN401
        text = json.dumps(body, ensure_ascii=False)
        found = sorted(s for s in self.strings if s in text)
        found += sorted(f"{t}:{i}" for t, i in _typed_ids(body) if (t, i) in self.ids)
        return found


def _typed_ids(value: Any) -> list[tuple[str, str]]:  # noqa: ANN401
    found = []
    if isinstance(value, dict):
        if "__typename" in value and "id" in value:
            found.append((value["__typename"], str(value["id"])))
        for typename, key in (("Unit", "unitId"), ("Registration", "registrationId")):
            if value.get(key) is not None and value.get("__typename") not in ("BatchResult",):
                found.append((typename, str(value[key])))
        for inner in value.values():
            found += _typed_ids(inner)
    elif isinstance(value, list):
        for inner in value:
            found += _typed_ids(inner)
    return found


def markers_of(side: Side, *, statuses=STATES, units: bool = True) -> Markers:  # noqa: ANN001
    ids: set[tuple[str, str]] = set()
    strings: set[str] = set()
    for status, r in side.registrations.items():
        if status in statuses:
            ids.add(("Registration", str(r.id)))
            strings |= {r.name, r.id_number, mask_id_number(r.id_number), r.phone, mask_phone(r.phone)}
    if units:
        for unit in side.units:
            ids |= {("Unit", str(unit.id)), ("UnitRef", str(unit.id))}
            strings |= {unit.name, unit.credit_code}
    ids |= {("Attachment", str(a.id)) for a in side.attachments}
    strings |= {a.file_name for a in side.attachments}
    ids |= {("Job", str(j.id)) for j in side.jobs}
    strings |= {j.input_name for j in side.jobs}
    ids |= {("UnitRequest", str(r.id)) for r in side.requests}
    unit_names = {u.name for u in side.units}
    strings |= {r.unit_name for r in side.requests if units or r.unit_name not in unit_names}
    strings |= {r.admin_name for r in side.requests}
    ids |= {("SmsMessage", str(m.id)) for m in side.sms}
    return Markers(ids, strings)


# --- the roles ------------------------------------------------------------------------------

# role key -> (role, binding on side A); the last two may see side B and are the positive control.
ROLES: dict[str, tuple[Role, Callable[[Side], dict]]] = {
    "unit_admin": (Role.UNIT_ADMIN, lambda a: {"unit": a.county}),
    "county": (Role.COUNTY_REVIEWER, lambda a: {"division": "450102"}),
    "city": (Role.CITY_REVIEWER, lambda a: {"division": "450100"}),
    "dept": (Role.DEPT_REVIEWER, lambda a: {"unit": a.units[1]}),
    "training": (Role.TRAINING_OPERATOR, lambda a: {}),
    "region": (Role.REGION_REVIEWER, lambda a: {}),
    "superadmin": (Role.SUPERADMIN, lambda a: {}),
}
CONTROLS = {"region", "superadmin"}


def hidden_from(role: str, world: World) -> Markers:
    """What of side B `role` may not see: all of it, except that the training company, which
    works region-wide on finally approved candidates, sees those and their units."""
    if role == "training":
        return markers_of(world.b, statuses=(S.DRAFT, S.PENDING_INITIAL, S.PENDING_FINAL, S.RETURNED,
                                              S.ROLLBACK_REQUESTED), units=False)
    return markers_of(world.b)


def hidden_registrations(role: str, world: World) -> list[str]:
    statuses = tuple(s for s in STATES if s != S.APPROVED) if role == "training" else STATES
    return world.b.registration_ids(statuses)


# --- the probes -----------------------------------------------------------------------------

LIST, FETCH, CHANGE, EXPORT, EXEMPT = "list", "fetch", "change", "export", "exempt"


@dataclass
class Probe:
    """`args(world, role)` is the argument text of the root field (side B's ids in it);
    `files` are uploads, as variable name -> (file name, bytes, type) built from the world."""

    kind: str
    args: Callable[[World, str], str] | None = None
    files: Callable[[World], dict[str, tuple[str, bytes, str]]] | None = None
    reason: str = ""
    # Controls must find side B through this probe (the walk can see a leak).
    control: bool = False
    # What the field deliberately tells about side B, with `reason`; anything else is a leak.
    discloses: Callable[[World], set[str]] = lambda world: set()


class Enum(str):
    """An enum value, written bare in a GraphQL literal."""


def q(value: Any) -> str:  # noqa: ANN401
    """A GraphQL literal."""
    if isinstance(value, Enum):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {q(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(q(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _b_candidate(w: World) -> dict:
    """A new candidate who is side B's drafted one (same ID number)."""
    id_number = w.b.registrations[S.DRAFT].id_number
    gender = "MALE" if int(id_number[16]) % 2 else "FEMALE"
    data = candidate(idNumber=id_number, gender=gender, sessionId=str(w.exam.id))
    enums = {"gender", "examType", "personnelNature"}
    return {k: Enum(v) if k in enums else v for k, v in data.items() if v is not None}


def _photo(w: World) -> dict:
    return {"file": (f"{w.b.registrations[S.DRAFT].id_number}.jpg", make_photo(), "image/jpeg")}


def _photos(w: World) -> dict:
    return {"files.0": (f"{w.b.registrations[S.RETURNED].id_number}.jpg", make_photo(), "image/jpeg")}


SESSION = lambda w, r: f"sessionId: {q(str(w.exam.id))}"  # noqa: E731

PROBES: dict[str, Probe] = {
    # Queries
    "me": Probe(LIST),
    "divisions": Probe(LIST, lambda w, r: 'parentCode: "450200"'),
    "serviceContacts": Probe(LIST, lambda w, r: 'divisionCode: "450202"'),
    "registrationOptions": Probe(LIST),
    "units": Probe(LIST, lambda w, r: "first: 100", control=True),
    "examSessions": Probe(LIST),
    "registrations": Probe(LIST, lambda w, r: f"{SESSION(w, r)}, first: 100", control=True),
    "registration": Probe(FETCH, lambda w, r: f"id: {q(hidden_registrations(r, w)[1])}", control=True),
    "job": Probe(FETCH, lambda w, r: f"id: {q(str(w.b.jobs[0].id))}", control=True),
    "unitRequests": Probe(LIST, lambda w, r: "first: 100"),
    "workingCalendar": Probe(LIST, lambda w, r: "year: 2026"),
    "smsMessages": Probe(LIST, lambda w, r: f"phone: {q(w.b.sms[0].phone)}, first: 100"),
    "importTemplateUrl": Probe(LIST),
    "attachments": Probe(LIST, lambda w, r: f"{SESSION(w, r)}, unitId: {q(str(w.b.county.id))}", control=True),
    "statistics": Probe(LIST, lambda w, r: f"{SESSION(w, r)}, groupBy: [UNIT, STATUS]", control=True),
    "auditEvents": Probe(LIST, lambda w, r: "first: 100"),
    # Mutations
    "login": Probe(EXEMPT, reason="public: signs the caller in; tested in tests/graphql/test_sign_in_abuse.py"),
    "logout": Probe(EXEMPT, reason="acts on the caller's own token only"),
    "changePassword": Probe(EXEMPT, reason="acts on the caller's own account only"),
    "updateProfile": Probe(EXEMPT, reason="acts on the caller's own account only"),
    "applyUnitRegistration": Probe(EXEMPT, reason="public: files a pending request, names no existing record"),
    "requestAdminChange": Probe(EXEMPT, reason="acts on the caller's own unit only (no unit argument)"),
    "importRegistrations": Probe(EXEMPT, reason="imports into the caller's own unit only (no unit argument)"),
    "uploadAttachment": Probe(EXEMPT, reason="uploads to the caller's own unit only (no unit argument)"),
    # Names side B's candidate: may create a record of the caller's own unit, but must not tell about B's
    # beyond the name of the unit that registered that ID number (tests/graphql/test_registrations.py
    # holds that deliberate answer: the admin who typed the ID number learns where to ask).
    "createRegistration": Probe(CHANGE, lambda w, r: f"input: {q(_b_candidate(w))}",
                                discloses=lambda w: {w.b.county.name},
                                reason="DUPLICATE_ID_NUMBER names the unit holding that ID number"),
    "createUser": Probe(CHANGE, lambda w, r: "input: " + q({
        "role": Enum("COUNTY_REVIEWER"), "name": "越权账号", "username": "overreach1", "divisionCode": "450202",
        "mobile": "13800138123", "password": PASSWORD})),
    "createUnit": Probe(CHANGE, lambda w, r: "input: " + q({
        "name": "越权新单位", "creditCode": "11450202MB0000001X", "divisionCode": "450202", "level": Enum("COUNTY"),
        "supervisorId": str(w.b.units[1].id)})),
    "createExamSession": Probe(CHANGE, lambda w, r: "input: " + q({
        "name": "越权考试批次", "opensAt": "2026-12-01T00:00:00+08:00", "closesAt": "2026-12-10T00:00:00+08:00"})),
    "updateRegistration": Probe(CHANGE, lambda w, r: f"id: {q(hidden_registrations(r, w)[0])}, input: "
                                + q({"name": "越权修改", "phone": "13900001111"})),
    "deleteRegistration": Probe(CHANGE, lambda w, r: f"id: {q(hidden_registrations(r, w)[0])}"),
    "submitRegistrations": Probe(CHANGE, lambda w, r: f"ids: {q(hidden_registrations(r, w))}"),
    "reviewRegistrations": Probe(CHANGE, lambda w, r: f"ids: {q(hidden_registrations(r, w))}, decision: APPROVE"),
    "requestRollback": Probe(CHANGE, lambda w, r: f"id: {q(str(w.b.registrations[S.APPROVED].id))}, reason: \"越权回退\""
                             if r != "training" else f"id: {q(hidden_registrations(r, w)[0])}, reason: \"越权回退\""),
    "decideRollback": Probe(CHANGE, lambda w, r: f"id: {q(str(w.b.registrations[S.ROLLBACK_REQUESTED].id))}, "
                            "approve: true"),
    "openTraining": Probe(CHANGE, lambda w, r: f"ids: {q(hidden_registrations(r, w))}"),
    "reviewUnitRequest": Probe(CHANGE, lambda w, r: f"id: {q(str(w.b.requests[0].id))}, approve: true"),
    "requestHealthCheck": Probe(CHANGE),
    "updateServiceContact": Probe(CHANGE, lambda w, r: 'divisionCode: "450200", input: {hotline: "0772-1234567"}'),
    "loadHolidaySchedule": Probe(CHANGE, lambda w, r: "year: 2027, holidays: [], workdays: []"),
    "resendSmsMessage": Probe(CHANGE, lambda w, r: f"id: {q(str(w.b.sms[0].id))}"),
    "deleteAttachment": Probe(CHANGE, lambda w, r: f"id: {q(str(w.b.attachments[0].id))}"),
    "uploadPhoto": Probe(CHANGE, lambda w, r: f"registrationId: {q(str(w.b.registrations[S.DRAFT].id))}, "
                         "file: $file", files=_photo),
    # Matches photos to records by the ID number in the file name: side B's must not be matched.
    "uploadPhotos": Probe(CHANGE, lambda w, r: f"{SESSION(w, r)}, files: $files", files=_photos),
    "exportTrainingCandidates": Probe(EXPORT, SESSION),
    "exportStatistics": Probe(EXPORT, lambda w, r: f"{SESSION(w, r)}, groupBy: [UNIT, STATUS]"),
}


def root_fields() -> dict[str, tuple[str, graphql.GraphQLField]]:
    schema = build_schema()._schema  # noqa: SLF001
    found = {}
    for operation, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        for name, root_field in root.fields.items():
            found[name] = (operation, root_field)
    return found


def selection(type_: graphql.GraphQLOutputType, depth: int = 0) -> str:
    """Every field of `type_` that takes no required argument, objects followed down to MAX_DEPTH."""
    named = graphql.get_named_type(type_)
    if isinstance(named, graphql.GraphQLScalarType | graphql.GraphQLEnumType):
        return ""
    if not isinstance(named, graphql.GraphQLObjectType):
        return "{ __typename }"
    parts = ["__typename"]
    for name, child in named.fields.items():
        if any(graphql.is_required_argument(arg) for arg in child.args.values()):
            continue
        inner = graphql.get_named_type(child.type)
        if isinstance(inner, graphql.GraphQLScalarType | graphql.GraphQLEnumType):
            parts.append(name)
        elif depth < MAX_DEPTH:
            parts.append(f"{name} {selection(child.type, depth + 1)}")
    return "{ " + " ".join(parts) + " }"


def document(name: str, operation: str, root_field: graphql.GraphQLField, args: str) -> str:
    declarations = ""
    if "$files" in args:
        declarations = "($files: [Upload!]!)"
    elif "$file" in args:
        declarations = "($file: Upload!)"
    call = f"{name}({args})" if args else name
    return f"{operation}{declarations} {{ {call} {selection(root_field.type)} }}"


def test_every_root_field_has_a_probe():
    missing = [name for name in root_fields() if name not in PROBES]
    assert not missing, (f"root fields without a jurisdiction probe: {', '.join(missing)} — add each to PROBES in "
                         "tests/security/test_jurisdiction_walk.py with arguments pointing at side B")
    stale = [name for name in PROBES if name not in root_fields()]
    assert not stale, f"probes for fields the schema no longer has: {stale}"
    for name, probe in PROBES.items():
        assert probe.kind != EXEMPT or probe.reason, f"{name}: an exemption needs its reason"


def test_every_download_kind_has_a_probe():
    import app.asgi  # noqa: F401  registers every builder

    assert set(downloads.BUILDERS) == set(LINK_PROBES) | set(EXPORT_KINDS), (
        f"download kinds {sorted(set(downloads.BUILDERS) - set(LINK_PROBES) - set(EXPORT_KINDS))} have no "
        "jurisdiction probe: add them to LINK_PROBES or EXPORT_KINDS")


# --- checking ------------------------------------------------------------------------------


def snapshot(db) -> dict[str, list]:  # noqa: ANN001
    """Every row of every compared table, in a stable order."""
    with db.engine.connect() as connection:
        return {table.name: sorted(map(repr, connection.execute(sa.select(table)).all()))
                for table in metadata.sorted_tables if table.name not in NOT_COMPARED}


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]


def refused(body: dict, name: str) -> bool:
    codes = error_codes(body)
    if codes:
        return set(codes) <= REFUSAL_CODES
    payload = (body.get("data") or {}).get(name)
    if payload is None:
        return True
    if "results" in payload:
        return bool(payload["results"]) and not any(item["ok"] for item in payload["results"])
    if payload.get("errors"):
        return all(value in (None, []) for key, value in payload.items() if key not in ("errors", "__typename"))
    return False


@dataclass
class Tally:
    fields: set = field(default_factory=set)
    roles: set = field(default_factory=set)
    probes: int = 0
    refusals: int = 0
    leaks: list = field(default_factory=list)
    control_hits: dict = field(default_factory=dict)

    def line(self, backend: str) -> str:
        exempt = sum(probe.kind == EXEMPT for probe in PROBES.values())
        return (f"jurisdiction walk ({backend}): fields walked {len(self.fields)} of {len(PROBES)} "
                f"({exempt} exempt, each with its reason), roles {len(self.roles)}, "
                f"probes {self.probes}, refusals {self.refusals}, leaks {len(self.leaks)}")


def send(api: Api, token: str, probe: Probe, text: str, world: World) -> tuple[dict, set[str]]:
    """The response, and the file names the caller sent (echoing those back, masked or not, tells nothing)."""
    if probe.files is None:
        return api.run(text, token=token), set()
    files = probe.files(world)
    variables: dict[str, Any] = {}
    for path in files:
        name, _, index = path.partition(".")
        variables[name] = [None] * (int(index) + 1) if index else None
    body = post_files(api, token, text, variables, {f"variables.{p}": spec for p, spec in files.items()})
    names = {spec[0] for spec in files.values()}
    return body, names | {mask_personal_numbers(n) for n in names}  # results show them masked


def walk_role(api: Api, db, world: World, role: str, token: str, tally: Tally, fields) -> None:  # noqa: ANN001
    hidden = hidden_from(role, world) if role not in CONTROLS else markers_of(world.b)
    caller_id = api.data("{ me { id } }", token=token)["me"]["id"]
    for name, probe in PROBES.items():
        if probe.kind == EXEMPT or (role in CONTROLS and probe.kind not in (LIST, FETCH)):
            continue
        operation, root_field = fields[name]
        text = document(name, operation, root_field, probe.args(world, role) if probe.args else "")
        before = snapshot(db) if probe.kind == CHANGE else None
        body, sent = send(api, token, probe, text, world)
        tally.fields.add(name)
        tally.probes += 1
        assert not (set(error_codes(body)) - REFUSAL_CODES - {"INVALID", "INVALID_STATE"}), (
            f"{role} {name}: the probe itself is broken: {json.dumps(body, ensure_ascii=False)[:600]}")
        told = probe.discloses(world)
        seen = [m for m in hidden.found_in(body) if m not in told and not any(m in name for name in sent)]
        if role in CONTROLS:
            tally.control_hits[(role, name)] = bool(seen)
            continue
        seen += links_to(hidden, body, caller_id)
        if seen:
            tally.leaks.append(f"{role} {name}: {seen[:5]} {json.dumps(body, ensure_ascii=False)[:1500]}")
        if probe.kind == FETCH:
            assert refused(body, name), f"{role} {name} was not refused: {json.dumps(body, ensure_ascii=False)[:600]}"
            tally.refusals += 1
        elif probe.kind == CHANGE:
            job = finished_job_of(api, token, body, name)
            seen = [m for m in hidden.found_in(job) if not any(m in name for name in sent)]
            seen += links_to(hidden, job, caller_id)
            if seen:
                tally.leaks.append(f"{role} {name} job: {seen[:5]} {json.dumps(job, ensure_ascii=False)[:1500]}")
            after = snapshot(db)
            changed = changed_tables(before, after)
            if name in ALLOWED_OWN_CHANGES and role in ALLOWED_OWN_CHANGES[name]:
                # New rows of the caller's own may appear there; no existing row may change or go.
                growing = ALLOWED_OWN_CHANGES[name][role]
                changed = [t for t in changed if t not in growing or not set(before[t]) <= set(after[t])]
            else:
                assert refused(body, name), (
                    f"{role} {name} was not refused: {json.dumps(body, ensure_ascii=False)[:600]}")
            assert not changed, f"{role} {name} changed {changed}: {json.dumps(body, ensure_ascii=False)[:400]}"
            tally.refusals += 1
        elif probe.kind == EXPORT:
            url = ((body.get("data") or {}).get(name) or {}).get("url")
            if url is None:
                assert refused(body, name), f"{role} {name}: {json.dumps(body, ensure_ascii=False)[:400]}"
                tally.refusals += 1
            else:
                check_export(api, url, hidden, role, name, tally)
        elif probe.kind == LIST:
            tally.refusals += 1


# Tables where these may add rows of the caller's own unit (never change one): a unit admin's
# new record (were side B's candidate free to register), a photo batch job of its own.
ALLOWED_OWN_CHANGES = {
    "createRegistration": {"unit_admin": {"registration", "reviewaction"}},
    "uploadPhotos": {"unit_admin": {"job"}},
}


# A signed link's parameter -> the record it opens.
LINK_TARGETS = {"registration_id": "Registration", "attachment_id": "Attachment", "job_id": "Job"}


def links_to(hidden: Markers, body: Any, caller_id: str) -> list[str]:  # noqa: ANN401
    """Side B's records among the signed links in `body`, and links made out to anyone but the caller."""
    found = []
    for token in re.findall(r"/downloads/([\w-]+)\.", json.dumps(body)):
        claims = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if str(claims["u"]) != caller_id:
            found.append(f"link made out to user {claims['u']}")
        for key, typename in LINK_TARGETS.items():
            if (typename, str(claims["p"].get(key))) in hidden.ids:
                found.append(f"link to {typename}:{claims['p'][key]}")
    return found


def finished_job_of(api: Api, token: str, body: dict, name: str) -> dict:
    """The job a mutation started, once finished, with every field (its results name records too)."""
    job = ((body.get("data") or {}).get(name) or {}).get("job")
    if not job:
        return {}
    job_type = build_schema()._schema.get_type("Job")  # noqa: SLF001
    finished = finished_job(api, f"query($id: ID!) {{ job(id: $id) {selection(job_type)} }}", job["id"], token)
    assert finished["status"] in ("SUCCEEDED", "FAILED"), finished
    return finished


def check_export(api: Api, url: str, hidden: Markers, role: str, name: str, tally: Tally) -> None:
    response = api.client.get(url)
    assert response.status_code == 200, response.text
    workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    cells = [str(value) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)
             for value in row if value is not None]
    seen = sorted(s for s in hidden.strings if any(s in cell for cell in cells))
    if seen:
        tally.leaks.append(f"{role} {name} export: {seen[:5]}")
    tally.refusals += 1


def sign_in(api: Api, db, world: World) -> dict[str, str]:  # noqa: ANN001
    tokens = {}
    for key, (role, binding) in ROLES.items():
        bound = binding(world.a)
        if role == Role.UNIT_ADMIN:  # one admin per unit: side A's own
            tokens[key] = api.login(world.a.admin.username, PASSWORD)
            continue
        user = make_user(db, role=role, unit=bound.get("unit"), division=bound.get("division"),
                         name=f"甲方{key}账号")
        tokens[key] = api.login(user.username, PASSWORD)
    return tokens


def test_no_role_reaches_the_other_side(backend, world, capsys):  # noqa: ANN001
    db, api = backend.database, Api(backend.client)
    tokens = sign_in(api, db, world)
    fields = root_fields()
    tally = Tally()
    for role, token in tokens.items():
        tally.roles.add(role)
        walk_role(api, db, world, role, token, tally, fields)
    assert not tally.leaks, "side B leaked:\n" + "\n".join(tally.leaks)
    for name, probe in PROBES.items():
        if probe.control:
            assert tally.control_hits[("superadmin", name)], f"the superadmin found nothing of side B in {name}"
    assert tally.control_hits[("region", "registrations")] and tally.control_hits[("region", "registration")]
    with capsys.disabled():
        print("\n" + tally.line(backend.name))


# --- signed download links -------------------------------------------------------------------

# kind -> the parameters of a link to side B's record (the builders read only these).
LINK_PROBES: dict[str, Callable[[World], dict]] = {
    "photo": lambda w: {"registration_id": w.b.registrations[S.DRAFT].id, "hash": "1" * 64},
    "attachment": lambda w: {"attachment_id": w.b.attachments[0].id},
    "import-report": lambda w: {"job_id": w.b.jobs[0].id},
}
# Built from the caller's jurisdiction at download time; their files are checked in the walk.
EXPORT_KINDS = {"statistics", "training-candidates"}


def test_download_links_for_the_other_side_are_refused(backend, world):  # noqa: ANN001
    db, api = backend.database, Api(backend.client)
    tokens = sign_in(api, db, world)
    me = "{ me { id } }"
    tried = 0
    for role, token in tokens.items():
        if role in CONTROLS:
            continue
        user_id = int(api.data(me, token=token)["me"]["id"])
        for kind, params in LINK_PROBES.items():
            if role == "training" and kind == "photo":
                params_b = {"registration_id": int(hidden_registrations(role, world)[0]), "hash": "1" * 64}
            else:
                params_b = params(world)
            url = downloads.link(backend.settings.secret_key, kind=kind, user_id=user_id, params=params_b)
            response = api.client.get(url)
            assert response.status_code in (403, 404), f"{role} opened side B's {kind}: {response.status_code}"
            assert not hidden_from(role, world).found_in(response.text), response.text
            tried += 1
    # A link is bound to the account it was made for: tampering with the parameters breaks the signature.
    token = downloads.sign(backend.settings.secret_key, kind="attachment", user_id=world.a.admin.id,
                           params={"attachment_id": world.a.attachments[0].id})
    body, _, mac = token.partition(".")
    forged = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1] + "." + mac
    assert api.client.get(f"/downloads/{forged}").status_code == 404
    assert tried == (len(ROLES) - len(CONTROLS)) * len(LINK_PROBES)

