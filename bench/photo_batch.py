"""Photo batch speed: N valid photos uploaded as one ZIP, end to end, vs Pillow merely decoding them.

    .venv/bin/python bench/photo_batch.py [--photos 500] [--keep]

Runs the service as in the embedded default (`examreg serve`: SQLite, in-process
workers) in its own process, uploads a ZIP of N distinct valid ID photos
(300-900 KB each, deflated as Windows and most tools do) through `uploadPhotos`
and waits for the job: unpack, check every rule, store upright without EXIF,
attach, job done. In the same run, Pillow decodes the same N photos in full
(`Image.open` + `load`). Prints photos/s, the ratio (target <= 1.0) and the
server's peak memory (VmHWM).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from PIL import Image, ImageDraw, ImageFilter  # noqa: E402

from app.accounts.models import Role  # noqa: E402
from app.demo import CreditCodes, People  # noqa: E402

PASSWORD = "Bench2026pass"
UPLOAD = """mutation($s: ID!, $f: [Upload!]!) { uploadPhotos(sessionId: $s, files: $f) {
  job { id } errors { code message } } }"""
JOB = "query($id: ID!) { job(id: $id) { status total processed error photoResults { outcome } } }"


def make_photos(count: int, seed: int = 7) -> list[bytes]:
    """Distinct ID photos on white, 300-900 KB: a few portrait bases, each copy with its own texture patch."""
    rng = random.Random(seed)
    bases = []
    for n in range(8):
        width = 1250 + 40 * n
        height = int(width * 1.3)
        image = Image.new("RGB", (width, height), (255, 255, 255))
        draw = ImageDraw.Draw(image)
        cx = width // 2
        draw.ellipse([cx - width * 0.2, height * 0.15, cx + width * 0.2, height * 0.6], fill=(205, 165, 135))
        draw.polygon([(cx - width * 0.55, height), (cx, height * 0.6), (cx + width * 0.55, height)], fill=(30, 34, 52))
        texture = Image.effect_noise((width // 2, height // 2), 70 + 4 * n).resize((width, height))
        texture = Image.merge("RGB", [texture.filter(ImageFilter.GaussianBlur(0.6))] * 3)
        mask = Image.new("L", (width, height), 0)
        md = ImageDraw.Draw(mask)
        md.ellipse([cx - width * 0.2, height * 0.15, cx + width * 0.2, height * 0.6], fill=150)
        md.polygon([(cx - width * 0.55, height), (cx, height * 0.6), (cx + width * 0.55, height)], fill=150)
        bases.append(Image.composite(texture, image, mask))
    photos = []
    for n in range(count):
        image = bases[n % len(bases)].copy()
        patch = Image.effect_noise((64, 64), 50).convert("RGB")
        image.paste(patch, (image.width // 2 - 32 + rng.randint(-40, 40), int(image.height * 0.75)))
        quality = 90 + (n % 6)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality, dpi=(300, 300))
        photos.append(out.getvalue())
    sizes = sorted(len(p) for p in photos)
    assert 300 * 1024 <= sizes[0] and sizes[-1] <= 900 * 1024, (sizes[0], sizes[-1])
    return photos


def pillow_decode(photos: list[bytes]) -> float:
    started = time.perf_counter()
    for data in photos:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    return time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(workdir: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{workdir / 'examreg.db'}", "REDIS_URL": "",
           "STORAGE_DIR": str(workdir / "storage"), "PERIODIC_INTERVALS": json.dumps({}), "STORAGE_BACKEND": "local"}
    server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)], env=env,
                              cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start: " + server.stderr.read().decode()[-2000:])


def seed_records(workdir: Path, id_numbers: list[str]) -> tuple[str, int]:
    """A unit, its administrator, an open session and one draft registration per photo; returns login and session."""
    from datetime import timedelta

    from app.accounts.service import NewUser, create_account
    from app.clock import now
    from app.db import Database
    from app.exams.models import ExamSession
    from app.registrations.models import Registration, RegistrationStatus
    from app.settings import Settings
    from app.units.models import UnitLevel
    from app.units.service import NewUnit, add_unit

    database = Database(Settings(_env_file=None, database_url=f"sqlite:///{workdir / 'examreg.db'}"))
    people = People(random.Random(3))
    with database.transaction() as session:
        unit = add_unit(session, new=NewUnit(name="南宁市兴宁区市场监督管理局", credit_code=CreditCodes(random.Random(5)).make("450102"),
                                             division_code="450102", level=UnitLevel.COUNTY))
    with database.transaction() as session:
        admin = create_account(session, settings=database.settings, new=NewUser(
            role=Role.UNIT_ADMIN, name="韦东", unit_id=unit.id, username=None, division_code=None,
            id_number=people.id_number("450102", born_before=1990)[0], mobile=people.phone(), password=PASSWORD))
        exam = ExamSession(name="基准测试批次", registration_opens_at=now() - timedelta(days=1),
                           registration_closes_at=now() + timedelta(days=10))
        session.add(exam)
        session.flush()
        for id_number in id_numbers:
            session.add(Registration(
                session_id=exam.id, unit_id=unit.id, status=RegistrationStatus.DRAFT, name=people.name(),
                gender="MALE" if int(id_number[16]) % 2 else "FEMALE", ethnicity="汉族", id_number=id_number,
                education="大学本科", phone=people.phone(), enforcement_field="市场监管", exam_type="QUALIFICATION",
                personnel_nature="STAFF"))
    database.dispose()
    return admin.username, exam.id


def memory_kb(pid: int, field: str = "VmHWM") -> int:
    """VmHWM: the peak resident memory of the process so far; VmRSS: what it holds now."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def figures(profile):  # noqa: ANN001, ANN201
    """For `python -m bench`: the embedded default only (that is what serves photo uploads without Redis)."""
    from bench.profile import Figure

    photos = 50 if profile.quick else 500
    measured = main(["--photos", str(photos)])
    return [
        Figure(f"{photos} photos in one ZIP end to end", "sqlite", measured["elapsed"], "s",
               baseline=measured["decode"], baseline_name="Pillow decodes the same photos", goal="<= 1.0",
               met=measured["elapsed"] <= measured["decode"]),
        Figure("server peak memory during the photo batch", "sqlite", measured["peak_mb"], "MB"),
    ]


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="keep the working directory")
    args = parser.parse_args(argv)

    photos = make_photos(args.photos)
    people = People(random.Random(11))
    id_numbers = [people.id_number("450103", born_before=1995)[0] for _ in photos]
    assert len(set(id_numbers)) == len(id_numbers)
    workdir = Path(tempfile.mkdtemp(prefix="examreg-bench-"))
    archive_path = workdir / "照片.zip"
    with zipfile.ZipFile(archive_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for id_number, data in zip(id_numbers, photos, strict=True):
            archive.writestr(f"照片/{id_number}.jpg", data)
    total_mb = sum(map(len, photos)) / 1e6

    port = free_port()
    server = start_server(workdir, port)
    try:
        username, session_id = seed_records(workdir, id_numbers)
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=600) as client:
            login = client.post("/graphql", json={"query": """mutation($u: String!, $p: String!) {
                login(username: $u, password: $p) { token errors { message } } }""",
                                                  "variables": {"u": username, "p": PASSWORD}}).json()
            token = login["data"]["login"]["token"]
            headers = {"Authorization": f"Bearer {token}", "GraphQL-Preflight": "1"}  # uploads need it (CSRF)
            idle_kb = memory_kb(server.pid, "VmRSS")
            decode_before = pillow_decode(photos)

            started = time.perf_counter()
            with archive_path.open("rb") as upload:
                answer = client.post("/graphql", headers=headers, data={
                    "operations": json.dumps({"query": UPLOAD, "variables": {"s": str(session_id), "f": [None]}}),
                    "map": json.dumps({"0": ["variables.f.0"]})}, files={"0": ("照片.zip", upload, "application/zip")})
            uploaded = time.perf_counter() - started
            payload = answer.json()["data"]["uploadPhotos"]
            assert not payload["errors"], payload
            while True:
                job = client.post("/graphql", headers=headers,
                                  json={"query": JOB, "variables": {"id": payload["job"]["id"]}}).json()["data"]["job"]
                if job["status"] in ("SUCCEEDED", "FAILED"):
                    break
                time.sleep(0.1)
            elapsed = time.perf_counter() - started
            decode_after = pillow_decode(photos)
            peak_kb = memory_kb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)

    outcomes = [p["outcome"] for p in job["photoResults"]]
    assert job["status"] == "SUCCEEDED" and outcomes.count("ATTACHED") == args.photos, (job["error"], outcomes[:5])
    decode = (decode_before + decode_after) / 2
    ratio = elapsed / decode
    print(f"photos: {args.photos} distinct valid JPEGs, {total_mb:.0f} MB, one deflated ZIP of "
          f"{archive_path.stat().st_size / 1e6:.0f} MB; {os.cpu_count()} CPUs")
    print(f"end to end (upload, unpack, check every rule, store, attach, job done): {elapsed:.2f} s, "
          f"{args.photos / elapsed:.0f} photos/s")
    print(f"  of which the upload request (send {archive_path.stat().st_size / 1e6:.0f} MB, store it, queue the job): "
          f"{uploaded:.2f} s; the job: {elapsed - uploaded:.2f} s")
    print(f"Pillow full decode of the same photos (Image.open + load): {decode:.2f} s "
          f"({decode_before:.2f} s before, {decode_after:.2f} s after), {args.photos / decode:.0f} photos/s")
    print(f"ratio end to end / Pillow decode: {ratio:.2f} (target <= 1.0)")
    print(f"server peak memory (VmHWM, API and in-process workers): {peak_kb / 1024:.0f} MB "
          f"({idle_kb / 1024:.0f} MB resident before the upload)")
    if args.keep:
        print(f"working directory kept: {workdir}")
    else:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    return {"elapsed": elapsed, "decode": decode, "peak_mb": peak_kb / 1024}


if __name__ == "__main__":
    main()
