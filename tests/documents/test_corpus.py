"""Every JPEG, PDF and ZIP of the shared upload corpus gets the manifest's verdict, never a crash or a hang.

The corpus lives beside the project (../shared/corpus) and is read in place, never copied.
"""

from __future__ import annotations

import csv
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from app.accounts.models import Role
from app.documents import archives, pdf_rules, photo_rules
from tests.api import Api
from tests.documents.support import post_files, wait_until
from tests.factories import PASSWORD, make_exam_session, make_unit, make_user

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
KINDS = ("jpeg", "pdf", "zip")


def _manifest() -> list[dict[str, str]]:
    if not (CORPUS / "MANIFEST.tsv").is_file():
        return []
    with (CORPUS / "MANIFEST.tsv").open(newline="", encoding="utf-8") as f:
        return [row for row in csv.DictReader(f, delimiter="\t")
                if row["kind"] in KINDS and row["path"].split("/")[0] in KINDS]


ROWS = _manifest()
needs_corpus = pytest.mark.skipif(not ROWS, reason=f"the shared upload corpus is not at {CORPUS}")


def zip_verdict(path: Path) -> tuple[bool, str]:
    """The batch's reading of a ZIP: refused as a whole, or every photo judged by the photo rules."""
    try:
        with path.open("rb") as f:
            archive, entries = archives.open_archive(f)
            with archive:
                failed = []
                for entry in entries:
                    if entry.declared_size > photo_rules.MAX_BYTES:
                        failed.append(entry.name)
                        continue
                    data = archives.read_entry(archive, entry)
                    if archives.looks_like_archive(data[:8]) or not photo_rules.inspect_photo(data).ok:
                        failed.append(entry.name)
    except archives.UnsafeArchive as refused:
        return False, refused.message
    return not failed and bool(entries), f"photos failing the rules: {failed}"


@pytest.fixture(scope="module")
def pdf_verdicts() -> dict[str, pdf_rules.PdfFacts]:
    """Every PDF through the worker's isolated check, four children at a time."""
    rows = [r for r in ROWS if r["kind"] == "pdf"]
    with ThreadPoolExecutor(4) as pool:
        facts = pool.map(lambda r: pdf_rules.check_isolated((CORPUS / r["path"]).read_bytes()), rows)
        return {r["path"]: f for r, f in zip(rows, facts, strict=True)}


@needs_corpus
@pytest.mark.parametrize("row", ROWS, ids=[r["path"] for r in ROWS])
def test_corpus_file_gets_the_manifests_verdict(row, pdf_verdicts):
    path = CORPUS / row["path"]
    started = time.monotonic()
    if row["kind"] == "jpeg":
        facts = photo_rules.inspect_photo(path.read_bytes())
        accepted, why = facts.ok, [p.message for p in facts.problems]
    elif row["kind"] == "pdf":
        facts = pdf_verdicts[row["path"]]
        accepted, why = facts.ok, [p.message for p in facts.problems]
    else:
        accepted, why = zip_verdict(path)
    assert ("accept" if accepted else "reject") == row["expected_verdict"], (row["reason"], why)
    if not accepted:
        assert why, "a rejected file must say why"
    assert time.monotonic() - started < 5


@needs_corpus
def test_hostile_corpus_files_through_the_api_never_crash(backend):
    """The real mutations and workers: every corpus ZIP as a batch, and a sample of hostile photos and PDFs."""
    db = backend.database
    exam = make_exam_session(db)
    admin = make_user(db, role=Role.UNIT_ADMIN, unit=make_unit(db))
    api = Api(backend.client)
    token = api.login(admin.username, PASSWORD)
    upload = """mutation($s: ID!, $f: [Upload!]!) { uploadPhotos(sessionId: $s, files: $f) { job { id } errors { code } } }"""
    job_query = "query($id: ID!) { job(id: $id) { status error total photoResults { outcome problems { code } } } }"
    zips = sorted((CORPUS / "zip").glob("*.zip"))
    jobs = {}
    for path in zips:
        body = post_files(api, token, upload, {"s": str(exam.id), "f": [None]},
                          {"variables.f.0": (path.name, path.read_bytes(), "application/zip")})
        jobs[path.name] = body["data"]["uploadPhotos"]["job"]["id"]
    hostile = ["pillow__timeout-060745d3-blp.jpg", "jpegdec__max_size.jpg", "crafted__hopper_sof_13000x13000.jpg",
               "pillow__decompression_bomb-gif.jpg", "jpegdec__empty.jpg"]
    files = {f"variables.f.{i}": (name, (CORPUS / "jpeg" / name).read_bytes(), "image/jpeg")
             for i, name in enumerate(hostile)}
    body = post_files(api, token, upload, {"s": str(exam.id), "f": [None] * len(hostile)}, files)
    jobs["photos"] = body["data"]["uploadPhotos"]["job"]["id"]

    def finished(job_id: str):  # noqa: ANN202
        job = api.data(job_query, {"id": job_id}, token=token)["job"]
        return job if job["status"] in ("SUCCEEDED", "FAILED") else None

    results = {name: wait_until(lambda j=job_id: finished(j), timeout=60, what=name) for name, job_id in jobs.items()}
    refused = {r["path"].split("/")[-1] for r in ROWS if r["kind"] == "zip" and r["expected_verdict"] == "reject"
               and r["reason"] != "contains entries that fail the photo rules"}
    for name, job in results.items():
        if name in refused:
            assert job["status"] == "FAILED" and job["error"], (name, job)
        else:  # read; every photo has a verdict (none is attached: the unit has no such candidates)
            assert job["status"] == "SUCCEEDED" and all(p["outcome"] != "ATTACHED" for p in job["photoResults"])
    assert len(results["photos"]["photoResults"]) == len(hostile)
