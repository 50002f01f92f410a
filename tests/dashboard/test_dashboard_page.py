"""The /dashboard page in headless Chromium: signed in through its form, it shows exactly the figures of
the caller's jurisdiction, as counted here straight from the database rows."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image, ImageStat

from app.accounts.models import Role
from app.clock import CHINA, now
from app.divisions.models import Division
from app.documents.models import CheckStatus, Photo
from app.registrations.models import Registration
from app.registrations.models import RegistrationStatus as S
from app.units.models import Unit, UnitLevel
from tests.dashboard.conftest import needs_chromium
from tests.factories import PASSWORD, make_exam_session, make_registration, make_unit, make_user

pytestmark = needs_chromium

PENDING = (S.PENDING_INITIAL, S.PENDING_FINAL, S.ROLLBACK_REQUESTED)
UNITS = [  # (division, level, how many, name prefix)
    ("450000", UnitLevel.REGION, 2, "自治区"),
    ("450100", UnitLevel.CITY, 1, "南宁市"),
    ("450102", UnitLevel.COUNTY, 3, "兴宁区"),  # the county reviewer's
    ("450103", UnitLevel.COUNTY, 2, "青秀区"),  # same city, another county
    ("450202", UnitLevel.COUNTY, 2, "柳州市城中区"),
    ("450302", UnitLevel.COUNTY, 1, "桂林市秀峰区"),
]
CARD_STATUSES = {"draft": S.DRAFT, "pendingInitial": S.PENDING_INITIAL, "pendingFinal": S.PENDING_FINAL,
                 "rollbackRequested": S.ROLLBACK_REQUESTED, "returned": S.RETURNED, "approved": S.APPROVED,
                 "trainingOpened": S.TRAINING_OPENED}


@dataclass
class Row:
    name: str
    status: S
    submitted_day: date | None
    overdue: bool
    photo_ok: bool
    unit: str
    unit_level: UnitLevel
    division_code: str
    city: str | None
    county: str | None


@pytest.fixture
def world(backend):
    """Eleven units over four counties of three cities and the region; ~150 records of the current session
    in every state, submitted over a week; an older session whose records must never show."""
    db = backend.database
    rng = random.Random(6)
    units = [make_unit(db, division=division, level=level, name=f"{prefix}第{i}执法大队")
             for division, level, n, prefix in UNITS for i in range(1, n + 1)]
    older = make_exam_session(db, open=False)
    current = make_exam_session(db)
    photos = []
    for unit in units:
        for _ in range(rng.randint(5, 22)):
            status = rng.choice(list(S))
            submitted = None if status == S.DRAFT else now() - timedelta(days=rng.randint(0, 6), hours=rng.randint(0, 23))
            due = now() + timedelta(hours=rng.choice([-50, -3, 6, 30])) if status in PENDING else None
            record = make_registration(db, unit=unit, exam=current, status=status, submitted_at=submitted, due_at=due)
            if rng.random() < 0.4:
                photos.append(Photo(registration_id=record.id, file_name="p.jpg", content_hash="1" * 64, size=1000,
                                    status=rng.choice([CheckStatus.OK, CheckStatus.OK, CheckStatus.REJECTED])))
        make_registration(db, unit=unit, exam=older, status=S.APPROVED, submitted_at=now() - timedelta(days=40))
    with db.transaction() as session:
        session.add_all(photos)
    return current


def rows_in_database(backend, exam_id: int) -> list[Row]:
    """Every record of the session with its unit and division names, read with plain SQL."""
    city, county = sa.orm.aliased(Division), sa.orm.aliased(Division)
    query = (
        sa.select(Registration.name, Registration.status, Registration.submitted_at, Registration.due_at,
                  Photo.status, Unit.name, Unit.level, Unit.division_code, city.name, county.name)
        .join(Unit, Unit.id == Registration.unit_id)
        .outerjoin(Photo, Photo.registration_id == Registration.id)
        .outerjoin(city, city.code == Unit.city_code)
        .outerjoin(county, sa.and_(county.code == Unit.division_code, Unit.level == UnitLevel.COUNTY))
        .where(Registration.session_id == exam_id)
    )
    moment = now()
    with backend.database.session() as session:
        return [
            Row(name=name, status=S(status), submitted_day=submitted.astimezone(CHINA).date() if submitted else None,
                overdue=due is not None and due < moment, photo_ok=photo == CheckStatus.OK, unit=unit,
                unit_level=UnitLevel(level), division_code=division, city=city_name, county=county_name)
            for name, status, submitted, due, photo, unit, level, division, city_name, county_name
            in session.execute(query)
        ]


@dataclass
class Expected:
    cards: dict[str, int]
    bars: dict[str, int]
    days: dict[str, int]
    overdue_names: list[str]


def expected_figures(rows: list[Row], *, bar_of) -> Expected:  # noqa: ANN001
    statuses = Counter(r.status for r in rows)
    cards = {figure: statuses[status] for figure, status in CARD_STATUSES.items()}
    cards.update(count=len(rows), overdue=sum(r.overdue for r in rows),
                 photoMissingOrRejected=sum(not r.photo_ok for r in rows))
    return Expected(
        cards=cards, bars=dict(Counter(bar_of(r) for r in rows)),
        days={d.isoformat(): n for d, n in Counter(r.submitted_day for r in rows if r.submitted_day).items()},
        overdue_names=sorted(r.name for r in rows if r.overdue),
    )


def sign_in(page, base_url: str, username: str, password: str = PASSWORD, *, query: str = "") -> None:
    page.goto(f"{base_url}/dashboard{query}")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")


def wait_for_figures(page) -> None:
    page.wait_for_selector("#updated[data-updated-at]", timeout=30_000)


def shown_figures(page) -> Expected:
    cards = page.eval_on_selector_all(
        "#status-cards .card", "cards => cards.map(c => [c.dataset.figure, c.querySelector('.value').textContent])")
    bars = page.eval_on_selector_all(
        "#area-chart g.bar",
        "bars => bars.map(b => [b.dataset.label, b.dataset.count, b.querySelector('.bar-value').textContent])")
    assert all(count == text for _, count, text in bars), bars  # the number written by each bar is its count
    points = page.eval_on_selector_all(
        "#daily-chart g.point", "points => points.map(p => [p.dataset.day, Number(p.dataset.count)])")
    names = page.eval_on_selector_all("#overdue-rows tr[data-id]", "rows => rows.map(r => r.cells[0].textContent)")
    return Expected(
        cards={figure: int(text.replace(",", "")) for figure, text in cards},
        bars={label: int(count) for label, count, _ in bars},
        days=dict(points), overdue_names=sorted(names),
    )


def assert_page_shows(page, expected: Expected) -> None:
    shown = shown_figures(page)
    assert shown.cards == expected.cards
    assert shown.bars == expected.bars
    # The line has a point for every day from the first submission to the last, the quiet ones at zero.
    assert {d: n for d, n in shown.days.items() if n} == expected.days
    first, last = date.fromisoformat(min(expected.days)), date.fromisoformat(max(expected.days))
    assert list(shown.days) == [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
    assert shown.overdue_names == expected.overdue_names
    assert page.inner_text("#overdue-count") == str(len(expected.overdue_names))


def assert_screenshot_shows_the_figures(page, path: Path) -> None:
    """The PNG is a real rendering: big, varied, and the largest bar is painted where the DOM puts it."""
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 20_000
    with Image.open(path) as shot:
        image = shot.convert("RGB")
    assert image.width >= 1200 and image.height >= 900
    assert len(image.getcolors(maxcolors=1 << 20)) > 200  # text, charts and cards, not a blank page
    segment = page.locator("#area-chart g.bar").first.locator("rect").first
    box = segment.bounding_box()
    fill = segment.evaluate("rect => getComputedStyle(rect).fill")  # "rgb(r, g, b)"
    painted = [int(part) for part in fill.removeprefix("rgb(").removesuffix(")").split(",")]
    bar = image.crop((int(box["x"]) + 1, int(box["y"]) + 1,
                      int(box["x"] + box["width"]) - 1, int(box["y"] + box["height"]) - 1))
    assert all(abs(seen - want) < 12 for seen, want in zip(ImageStat.Stat(bar).mean, painted, strict=True)), fill


def assert_only_local_requests(page, base_url: str) -> None:
    assert page.requested and all(url.startswith(base_url) for url in page.requested), page.requested
    assert page.errors == []


def test_region_and_county_users_see_exactly_their_jurisdiction(backend, world, server, page, tmp_path):
    rows = rows_in_database(backend, world.id)
    region = make_user(backend.database, role=Role.REGION_REVIEWER)
    county = make_user(backend.database, role=Role.COUNTY_REVIEWER, division="450102")

    sign_in(page, server, region.username)
    wait_for_figures(page)
    expected = expected_figures(rows, bar_of=lambda r: r.city or "区直单位")
    assert len(expected.bars) == 4 and expected.overdue_names  # every city, the region's units, some overdue
    assert_page_shows(page, expected)
    assert page.inner_text("#area-title") == "各市报名人数" and page.inner_text("#scope-name") == "全区"
    assert_screenshot_shows_the_figures(page, tmp_path / "dashboard-region.png")
    assert_only_local_requests(page, server)

    page.click("#logout")
    page.wait_for_selector("#login-view:not([hidden])")
    assert page.evaluate("Object.keys(sessionStorage).length") == 0

    sign_in(page, server, county.username)
    wait_for_figures(page)
    own = [r for r in rows if r.division_code == "450102" and r.unit_level == UnitLevel.COUNTY]
    expected = expected_figures(own, bar_of=lambda r: r.unit)
    assert len(expected.bars) == 3 and 0 < len(own) < len(rows)
    assert_page_shows(page, expected)
    assert page.inner_text("#area-title") == "各单位报名人数" and page.inner_text("#scope-name") == "兴宁区"
    text = page.inner_text("body")
    for other in {r.unit for r in rows} - {r.unit for r in own}:
        assert other not in text
    for other in {r.name for r in rows if r.overdue} - {r.name for r in own}:
        assert other not in text
    assert_screenshot_shows_the_figures(page, tmp_path / "dashboard-county.png")
    assert_only_local_requests(page, server)


def test_city_user_sees_its_counties_and_city_level_units(backend, world, server, page):
    rows = rows_in_database(backend, world.id)
    city = make_user(backend.database, role=Role.CITY_REVIEWER, division="450100")

    sign_in(page, server, city.username)
    wait_for_figures(page)
    own = [r for r in rows if r.division_code.startswith("4501")]
    expected = expected_figures(own, bar_of=lambda r: r.county or "市直单位")
    assert set(expected.bars) == {"兴宁区", "青秀区", "市直单位"}
    assert_page_shows(page, expected)
    assert page.inner_text("#scope-name") == "南宁市"


def test_figures_refresh_by_themselves_and_survive_a_reload(backend, world, server, page):
    county = make_user(backend.database, role=Role.COUNTY_REVIEWER, division="450103")
    sign_in(page, server, county.username, query="?refresh=2")
    wait_for_figures(page)
    before = int(page.inner_text("#status-cards [data-figure=count] .value"))
    first_update = page.get_attribute("#updated", "data-updated-at")
    assert "每 2 秒自动刷新" in page.inner_text("#updated")

    with backend.database.session() as session:
        unit = session.scalars(sa.select(Unit).where(Unit.division_code == "450103")).first()
    make_registration(backend.database, unit=unit, exam=world, status=S.PENDING_INITIAL,
                      submitted_at=now(), due_at=now() - timedelta(hours=1), name="韦新来")

    page.wait_for_function(
        "n => document.querySelector('#status-cards [data-figure=count] .value').textContent === String(n)",
        arg=before + 1, timeout=30_000)
    assert page.get_attribute("#updated", "data-updated-at") != first_update
    assert "韦新来" in page.inner_text("#overdue-rows")

    page.reload()  # the token lives in sessionStorage: still signed in
    wait_for_figures(page)
    assert page.inner_text("#status-cards [data-figure=count] .value") == str(before + 1)
    assert page.is_hidden("#login-view")


def test_wrong_password_and_initial_password_are_explained_in_chinese(backend, world, server, page):
    fresh = make_user(backend.database, role=Role.COUNTY_REVIEWER, division="450102", password=None)

    sign_in(page, server, fresh.username, "not-the-password")
    page.wait_for_selector("#login-error:not([hidden])")
    assert "密码" in page.inner_text("#login-error")

    page.fill("#password", "8888")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#password-view:not([hidden])")
    assert "初始密码" in page.inner_text("#password-view") and page.is_hidden("#dashboard-view")

    page.fill("#new-password", "Xingning2026")
    page.fill("#confirm-password", "Xingning2027")
    page.click("#password-form button[type=submit]")
    assert "不一致" in page.inner_text("#password-error")

    page.fill("#confirm-password", "Xingning2026")
    page.click("#password-form button[type=submit]")
    wait_for_figures(page)
    assert page.inner_text("#scope-name") == "兴宁区"
    assert int(page.inner_text("#status-cards [data-figure=count] .value")) > 0
