"""Photos in batch: many JPEGs or a ZIP of them, checked in a job, matched by the ID number in each name.

The request only stores the uploads and queues the job. The worker reads each
photo with a bound (ZIP entries are never extracted to disk), checks every rule
(decoding at reduced scale, in two threads: Pillow decodes without the GIL),
stores the passing ones upright and without EXIF, attaches them in small
transactions and reports a verdict per photo with progress. A redelivered or
re-queued job simply runs again: attaching the same photo twice is harmless.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.auth.permissions import require_unit_admin
from app.clock import now
from app.db import Database
from app.documents import archives, photo_rules
from app.documents.models import CheckStatus
from app.documents.problems import Problem, size_text
from app.documents.service import PhotoVerdict, photos_by_registration, place_photo, verdict_for
from app.errors import AppError, ErrorCode
from app.exams.service import get_exam_session, require_window_open
from app.jobs import ACTOR_FOR_KIND, Job, JobKind, JobStatus, claim_job, create_job, heartbeat
from app.registrations.models import Registration
from app.registrations.workflow import EDITABLE, STATUS_LABELS
from app.storage import Storage

log = logging.getLogger(__name__)
ACTOR = "check_photo_batch"
INPUT_FOLDER = "photo-batches"
MAX_FILES = archives.MAX_ENTRIES
MAX_UPLOAD_BYTES = 1024 * 1024 * 1024  # all files of one batch together
CHUNK = 50  # photos per transaction and progress report
THREADS = 2


class PhotoOutcome(StrEnum):
    ATTACHED = "ATTACHED"  # passed every rule and is now the registration's photo
    REJECTED = "REJECTED"  # failed a rule (or its name is not an ID number)
    NO_MATCH = "NO_MATCH"  # no registration of the unit in this session has that ID number
    DUPLICATE = "DUPLICATE"  # several photos in the batch for the same ID number
    NOT_EDITABLE = "NOT_EDITABLE"  # the registration can no longer be changed


@dataclass(frozen=True)
class BatchFile:
    """One uploaded file of the batch, before it is stored."""

    name: str
    stream: BinaryIO
    size: int


@dataclass
class _Item:
    index: int
    name: str
    read: Callable[[], bytes]
    declared_size: int | None = None
    id_number: str | None = None
    registration: Registration | None = None
    outcome: PhotoOutcome | None = None
    problems: list[Problem] = field(default_factory=list)
    verdict: PhotoVerdict | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index, "fileName": self.name, "idNumber": self.id_number,
            "registrationId": self.registration.id if self.registration is not None else None,
            "outcome": self.outcome.value if self.outcome else None,
            "problems": [p.as_dict() for p in self.problems],
        }


def start_photo_batch(session: Session, *, user: User, storage: Storage, session_id: int,
                      files: list[BatchFile]) -> Job:
    require_unit_admin(user)
    require_window_open(get_exam_session(session, session_id))
    if not files:
        raise AppError(ErrorCode.REQUIRED, "请选择要上传的照片（身份证号码.jpg）或照片的 ZIP 压缩包", "files")
    if len(files) > MAX_FILES:
        raise AppError(ErrorCode.INVALID, f"一次选择了 {len(files)} 个文件，最多 {MAX_FILES} 个，请分批上传", "files")
    total = sum(f.size for f in files)
    if total > MAX_UPLOAD_BYTES:
        raise AppError(ErrorCode.FILE_TOO_LARGE,
                       f"本次上传共 {size_text(total)}，一次最多 {size_text(MAX_UPLOAD_BYTES)}，请分批上传", "files")
    inputs = []
    for upload in files:
        head = upload.stream.read(8)
        upload.stream.seek(0)
        is_zip = archives.looks_like_zip(head) or upload.name.lower().endswith(".zip")
        stored = storage.put(upload.stream, folder=INPUT_FOLDER, suffix=".zip" if is_zip else ".jpg")
        inputs.append({"key": stored.key, "name": photo_rules.base_name(upload.name)[:255], "zip": is_zip,
                       "size": stored.size})
    label = inputs[0]["name"] if len(inputs) == 1 else f"{inputs[0]['name']} 等 {len(inputs)} 个文件"
    return create_job(session, kind=JobKind.PHOTO_BATCH, actor_name=ACTOR, session_id=session_id,
                      unit_id=user.unit_id, created_by=user.id, input_name=label[:255],
                      input_key=inputs[0]["key"], options={"files": inputs})


def run_photo_batch(database: Database, storage: Storage, job_id: int) -> None:
    job = claim_job(database, job_id)
    if job is None:
        return  # finished, or another worker has it
    try:
        result = _check_batch(database, storage, job)
    except archives.UnsafeArchive as refused:
        _finish(database, job, error=refused.message)
    except Exception:
        # A bug must not leave the job RUNNING forever; the user learns it failed and can retry.
        log.exception("photo batch %s failed", job.id)
        _finish(database, job, error="处理照片时发生意外错误，请稍后重新上传；如仍失败请联系客服")
    else:
        _finish(database, job, result=result)
    _drop_inputs(database, storage, job)


def _check_batch(database: Database, storage: Storage, job: Job) -> dict[str, Any]:
    with database.session() as session:
        user = session.get(User, job.created_by)
        registrations = {r.id_number.upper(): r for r in session.exec(select(Registration).where(
            Registration.session_id == job.session_id, Registration.unit_id == job.unit_id))}
    with contextlib.ExitStack() as stack:
        items = _items(stack, storage, (job.options or {}).get("files", []))
        heartbeat(database, job, processed=0, total=len(items))
        _match(items, registrations)
        with ThreadPoolExecutor(THREADS, thread_name_prefix="photo-check") as pool:
            # Every photo is queued at once, so checking goes on while a finished chunk is being attached.
            verdicts = [pool.submit(_judge, storage, item) for item in items]
            for start in range(0, len(items), CHUNK):
                chunk = items[start:start + CHUNK]
                for item, verdict in zip(chunk, verdicts[start:start + CHUNK], strict=True):
                    item.verdict = verdict.result()
                _attach(database, storage, user, chunk)
                heartbeat(database, job, processed=min(start + CHUNK, len(items)))
    return _result(items)


def _items(stack: contextlib.ExitStack, storage: Storage, inputs: list[dict]) -> list[_Item]:
    items: list[_Item] = []
    for source in inputs:
        if source["zip"]:
            archive, entries = archives.open_archive(stack.enter_context(_seekable(storage, source["key"])))
            stack.callback(archive.close)
            for entry in entries:
                items.append(_Item(index=len(items) + 1, name=entry.name, declared_size=entry.declared_size,
                                   read=lambda a=archive, e=entry: archives.read_entry(a, e)))
        else:
            items.append(_Item(index=len(items) + 1, name=source["name"], declared_size=source.get("size"),
                               read=lambda key=source["key"]: _read_bounded(storage, key)))
    if len(items) > MAX_FILES:
        raise archives.UnsafeArchive(f"本次共有 {len(items)} 张照片，一次最多 {MAX_FILES} 张，请分批上传")
    return items


def _match(items: list[_Item], registrations: dict[str, Registration]) -> None:
    """ID number from each name, duplicates in the batch, the registration it belongs to."""
    for item in items:
        item.id_number = photo_rules.id_number_from_name(item.name)
    counts = Counter(i.id_number for i in items if i.id_number)
    names: dict[str, list[str]] = {}
    for item in items:
        if item.id_number:
            names.setdefault(item.id_number, []).append(item.name)
    for item in items:
        if item.id_number is None:
            item.outcome = PhotoOutcome.REJECTED
            item.problems.append(photo_rules.check_file_name(item.name))
        elif counts[item.id_number] > 1:
            item.outcome = PhotoOutcome.DUPLICATE
            shown = "、".join(names[item.id_number][:5])
            item.problems.append(Problem(
                PhotoOutcome.DUPLICATE, f"本批有 {counts[item.id_number]} 张照片对应身份证号码 {item.id_number}（{shown}），"
                "无法确定用哪一张，请只保留一张后重新上传", f"{counts[item.id_number]} 张", "每人 1 张"))
        elif (registration := registrations.get(item.id_number)) is None:
            item.outcome = PhotoOutcome.NO_MATCH
            item.problems.append(Problem(
                PhotoOutcome.NO_MATCH, f"本单位在本次考试中没有身份证号码为 {item.id_number} 的报名信息，"
                "请先添加报名信息，或核对文件名中的身份证号码", item.id_number, "本单位已有的报名信息"))
        else:
            item.registration = registration
            if registration.status not in EDITABLE:
                item.outcome = PhotoOutcome.NOT_EDITABLE
                item.problems.append(Problem(
                    PhotoOutcome.NOT_EDITABLE, f"该报名信息当前为“{STATUS_LABELS[registration.status]}”，不能更换照片",
                    STATUS_LABELS[registration.status], "未提交、已退回或待审核"))


def _judge(storage: Storage, item: _Item) -> PhotoVerdict | None:
    """Every photo rule; a passing photo that will be attached is stored as kept."""
    if item.outcome == PhotoOutcome.DUPLICATE:
        return None
    if item.declared_size is not None and item.declared_size > photo_rules.MAX_BYTES:
        # Judged from the size alone: a ZIP entry this large is never inflated.
        return _report([photo_rules.check_size(item.declared_size)], item.declared_size)
    try:
        data = item.read()
    except Exception:  # noqa: BLE001  a damaged entry (bad CRC, unsupported compression) is that photo's verdict
        return _report([Problem(photo_rules.PhotoProblemCode.UNREADABLE,
                                "压缩包中的这个文件已损坏，无法解压，请重新压缩后上传", "无法解压", "完整的 JPG 照片")])
    if archives.looks_like_archive(data[:8]):
        return _report([Problem(photo_rules.PhotoProblemCode.NOT_JPEG,
                                "这个文件是压缩包而不是照片，压缩包内不能再套压缩包，请解开后只打包照片", "压缩包", "JPEG")],
                       len(data))
    if item.outcome is None:
        return verdict_for(storage, data)
    return PhotoVerdict(photo_rules.inspect_photo(data), None)  # reported, not kept


def _report(problems: list[Problem], size: int = 0) -> PhotoVerdict:
    return PhotoVerdict(photo_rules.PhotoFacts(size=size, problems=problems), None)


def _attach(database: Database, storage: Storage, user: User, chunk: list[_Item]) -> None:
    """Outcomes for a chunk, and its passing photos attached in one transaction (one bulk flush)."""
    for item in chunk:
        if item.verdict is not None:
            item.problems.extend(item.verdict.facts.problems)
        if item.outcome is None and (item.verdict is None or item.verdict.stored is None):
            item.outcome = PhotoOutcome.REJECTED
    candidates = [i for i in chunk if i.outcome is None]
    try:
        _attach_all(database, storage, user, candidates)
    except IntegrityError:
        # A single upload for one of these records inserted its photo meanwhile: once more, with fresh rows.
        for item in candidates:
            item.outcome = None
        _attach_all(database, storage, user, candidates)


def _attach_all(database: Database, storage: Storage, user: User, candidates: list[_Item]) -> None:
    with database.transaction() as session:
        ids = [i.registration.id for i in candidates]
        fresh = {r.id: r for r in session.exec(select(Registration).where(col(Registration.id).in_(ids)))}
        photos = photos_by_registration(session, ids)
        for item in candidates:
            registration = fresh.get(item.registration.id)
            if registration is None:  # deleted while the batch ran
                item.outcome = PhotoOutcome.NO_MATCH
                item.problems.append(Problem(PhotoOutcome.NO_MATCH, "对应的报名信息已被删除", item.id_number, ""))
                continue
            try:
                place_photo(session, storage=storage, user=user, registration=registration,
                            file_name=photo_rules.base_name(item.name), stored=item.verdict.stored,
                            facts=item.verdict.facts, status=CheckStatus.OK, existing=photos.get(registration.id))
            except AppError as refused:  # submitted or approved since the batch started
                item.outcome = PhotoOutcome.NOT_EDITABLE
                item.problems.append(Problem(PhotoOutcome.NOT_EDITABLE, refused.message))
                continue
            item.outcome = PhotoOutcome.ATTACHED


def _result(items: list[_Item]) -> dict[str, Any]:
    counts = Counter(i.outcome.value for i in items if i.outcome)
    attached = counts.get(PhotoOutcome.ATTACHED, 0)
    row_errors = [
        {"row": i.index, "column": i.name, "code": str(p.code), "message": p.message}
        for i in items for p in i.problems
    ]
    message = f"共 {len(items)} 张照片：{attached} 张已关联到报名信息"
    if len(items) - attached:
        message += f"，{len(items) - attached} 张未通过，请按每张照片的说明修改后重新上传这些照片"
    return {"photos": [i.as_dict() for i in items], "rowErrors": row_errors,
            "photoSummary": {"total": len(items), **{o.value: counts.get(o.value, 0) for o in PhotoOutcome},
                             "message": message}}


def _finish(database: Database, job: Job, *, result: dict | None = None, error: str | None = None) -> None:
    with database.transaction() as session:
        values: dict[str, Any] = {"status": JobStatus.FAILED if error else JobStatus.SUCCEEDED,
                                  "result": result, "error": error, "finished_at": now(), "heartbeat_at": now()}
        if not error:
            values["processed"] = Job.total
        session.execute(sa.update(Job).where(Job.id == job.id, Job.status == JobStatus.RUNNING,
                                             Job.attempts == job.attempts)
                        .values(**values).execution_options(synchronize_session=False))


def _drop_inputs(database: Database, storage: Storage, job: Job) -> None:
    """The uploads are not kept once checked, unless another unfinished batch uses the same file."""
    keys = {f["key"] for f in (job.options or {}).get("files", [])}
    with database.session() as session:
        for other in session.exec(select(Job).where(
                Job.kind == JobKind.PHOTO_BATCH, Job.id != job.id,
                col(Job.status).in_([JobStatus.QUEUED, JobStatus.RUNNING]))):
            keys -= {f["key"] for f in (other.options or {}).get("files", [])}
    for key in keys:
        try:
            storage.delete(key)
        except Exception:  # noqa: BLE001  a left-over upload is harmless
            log.warning("could not delete batch upload %s", key, exc_info=True)


@contextlib.contextmanager
def _seekable(storage: Storage, key: str) -> Iterator[BinaryIO]:
    """ZIP reading needs to seek; object-store bodies are spooled to a temporary file first."""
    stream = storage.open(key)
    try:
        if getattr(stream, "seekable", lambda: False)():
            yield stream
            return
        with tempfile.TemporaryFile() as spool:
            while chunk := stream.read(1 << 20):
                spool.write(chunk)
            spool.seek(0)
            yield spool
    finally:
        stream.close()


def _read_bounded(storage: Storage, key: str) -> bytes:
    with storage.open(key) as stream:
        return stream.read(photo_rules.MAX_BYTES + 1)


ACTOR_FOR_KIND[JobKind.PHOTO_BATCH] = ACTOR
