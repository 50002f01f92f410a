"""Schema migrations (Alembic) and the reference data every installation needs."""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlmodel import Session, select

from app.calendar.working_days import refresh_working_days
from app.contacts.models import ServiceContact
from app.db import Database
from app.divisions.models import REGION_CODE, Division, DivisionLevel

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(database: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database"] = database
    return config


def migrate(database: Database) -> None:
    """Bring the schema to the newest revision and load the reference data and the working-day table."""
    with database.engine.connect() as connection:
        config = alembic_config(database)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        connection.commit()
    with database.transaction() as session:
        load_divisions(session)
        load_default_contacts(session)
        refresh_working_days(session)


def read_division_rows() -> list[dict[str, str]]:
    text = resources.files("app.divisions").joinpath("data/guangxi.csv").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def load_divisions(session: Session) -> int:
    """Insert or correct every division from the shipped GB/T 2260 list."""
    existing = {d.code: d for d in session.exec(select(Division))}
    changed = 0
    for row in read_division_rows():  # parents precede children in the file
        wanted = (row["name"], row["parent_code"] or None, DivisionLevel(row["level"]))
        division = existing.get(row["code"])
        if division is not None and (division.name, division.parent_code, division.level) == wanted:
            continue
        division = division or Division(code=row["code"])
        division.name, division.parent_code, division.level = wanted
        session.add(division)
        session.flush()
        changed += 1
    return changed


def load_default_contacts(session: Session) -> None:
    """One hotline row per city and the region, created once; operators edit them later."""
    have = set(session.exec(select(ServiceContact.division_code)))
    divisions = session.exec(
        select(Division).where(Division.level.in_([DivisionLevel.REGION, DivisionLevel.CITY]))
    )
    for division in divisions:
        if division.code in have:
            continue
        label = "自治区司法厅" if division.code == REGION_CODE else f"{division.name}司法局"
        session.add(ServiceContact(division_code=division.code, label=label))
