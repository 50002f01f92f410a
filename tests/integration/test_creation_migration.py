"""Migration 0007: a record's creation moves from its CREATE history row onto the record, and back."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from app.accounts.models import Role
from app.db import Database
from app.migrate import alembic_config
from app.registrations.models import RegistrationStatus
from app.registrations.service import history
from app.reviews.models import ReviewAction, ReviewActionKind
from tests.factories import make_exam_session, make_registration, make_unit, make_user


def test_creation_moves_onto_the_record_and_back(database):
    unit = make_unit(database)
    admin = make_user(database, role=Role.UNIT_ADMIN, unit=unit)
    exam = make_exam_session(database)
    imported = make_registration(database, unit=unit, exam=exam, created_by=admin.id, imported=True)
    entered = make_registration(database, unit=unit, exam=exam, created_by=admin.id,
                                status=RegistrationStatus.PENDING_INITIAL)
    with database.transaction() as session:
        session.add(ReviewAction(registration_id=entered.id, actor_id=admin.id, actor_role="UNIT_ADMIN",
                                 action=ReviewActionKind.SUBMIT, from_status=RegistrationStatus.DRAFT,
                                 to_status=RegistrationStatus.PENDING_INITIAL))
    try:
        _migrate(database, "downgrade", "0006")
        assert _actions(database) == {
            (imported.id, "CREATE", admin.id, "批量导入"), (entered.id, "CREATE", admin.id, None),
            (entered.id, "SUBMIT", admin.id, None)}
        with database.engine.begin() as connection:  # a record of an early release, without its creator
            connection.execute(sa.text("UPDATE registration SET created_by = NULL WHERE id = :i"), {"i": entered.id})

        _migrate(database, "upgrade", "0007")
        assert _actions(database) == {(entered.id, "SUBMIT", admin.id, None)}
        with database.engine.connect() as connection:
            records = connection.execute(sa.text("SELECT id, created_by, imported FROM registration")).all()
        assert {(r.id, r.created_by, bool(r.imported)) for r in records} == {
            (imported.id, admin.id, True), (entered.id, admin.id, False)}
        with database.session() as session:
            entries = history(session, [imported.id, entered.id])
        assert [(e.action, e.comment, e.actor_id) for e in entries[imported.id]] == [
            (ReviewActionKind.CREATE, "批量导入", admin.id)]
        assert [(e.action, e.to_status) for e in entries[entered.id]] == [
            (ReviewActionKind.CREATE, RegistrationStatus.DRAFT), (ReviewActionKind.SUBMIT, RegistrationStatus.PENDING_INITIAL)]
        assert entries[entered.id][0].at == entered.created_at
    finally:
        _migrate(database, "upgrade", "head")


def _migrate(database: Database, direction: str, revision: str) -> None:
    config = alembic_config(database)
    with database.engine.connect() as connection:
        config.attributes["connection"] = connection
        getattr(command, direction)(config, revision)
        connection.commit()


def _actions(database: Database) -> set[tuple]:
    with database.engine.connect() as connection:
        return set(connection.execute(sa.text(
            "SELECT registration_id, action, actor_id, comment FROM reviewaction")).all())
