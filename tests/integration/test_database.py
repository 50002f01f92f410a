"""The schema in the database: migrations, reference data, constraints."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.models import metadata
from app.registrations.models import RegistrationStatus
from tests.factories import make_exam_session, make_registration, make_unit


def test_migrations_match_the_models(database):
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    assert diff == [], diff


def test_the_real_guangxi_division_list_is_loaded(database):
    with database.engine.connect() as connection:
        counts = dict(connection.execute(sa.text("SELECT level, count(*) FROM division GROUP BY level")).all())
        names = dict(connection.execute(sa.text("SELECT code, name FROM division")).all())
        contacts = connection.execute(sa.text("SELECT count(*) FROM servicecontact")).scalar_one()
    assert counts == {"REGION": 1, "CITY": 14, "COUNTY": 111}
    assert names["450000"] == "广西壮族自治区" and names["451400"] == "崇左市"
    assert names["450181"] == "横州市" and names["451082"] == "平果市"
    assert contacts == 15


def test_migrate_is_repeatable(database):
    from app.migrate import migrate

    migrate(database)
    migrate(database)
    with database.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM division")).scalar_one() == 126


def test_invalid_states_are_refused_by_the_database(database):
    unit = make_unit(database)
    exam = make_exam_session(database)
    record = make_registration(database, unit=unit, exam=exam)
    with pytest.raises(sa.exc.IntegrityError), database.engine.begin() as connection:
        connection.execute(sa.text("UPDATE registration SET status = 'LOST' WHERE id = :i"), {"i": record.id})
    with pytest.raises(sa.exc.IntegrityError), database.engine.begin() as connection:
        connection.execute(sa.text("UPDATE registration SET gender = 'X' WHERE id = :i"), {"i": record.id})
    with database.engine.connect() as connection:
        status = connection.execute(sa.text("SELECT status FROM registration WHERE id = :i"),
                                    {"i": record.id}).scalar_one()
    assert status == RegistrationStatus.DRAFT


def test_usernames_are_unique_in_the_database(database):
    from app.accounts.models import Role
    from tests.factories import make_user

    user = make_user(database, role=Role.REGION_REVIEWER)
    with pytest.raises(sa.exc.IntegrityError), database.engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO app_user (username, password_hash, role, name, must_change_password, failed_logins, "
            "is_active, created_at) VALUES (:u, 'x', 'REGION_REVIEWER', 'x', false, 0, true, CURRENT_TIMESTAMP)"
        ), {"u": user.username})
