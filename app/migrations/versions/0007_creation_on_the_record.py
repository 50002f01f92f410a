"""A record's creation is kept on the record itself (created_by, created_at, imported), not as a CREATE
history row that repeated them: an import of 10,000 people wrote 10,000 such rows

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

IMPORTED = '批量导入'


def upgrade() -> None:
    # Not batch operations (here and in downgrade): on SQLite a batch copies the table and drops the
    # old one, and with foreign keys on, that drop deletes every history row, photo ... of every record.
    op.add_column('registration', sa.Column('imported', sa.Boolean(), nullable=False, server_default=sa.false()))
    creations = "SELECT registration_id FROM reviewaction WHERE action = 'CREATE'"
    op.execute(f"UPDATE registration SET imported = true WHERE id IN ({creations} AND comment = '{IMPORTED}')")
    # Records of the earliest releases may lack their creator; their CREATE row names it.
    op.execute(
        "UPDATE registration SET created_by = (SELECT min(actor_id) FROM reviewaction "
        "WHERE registration_id = registration.id AND action = 'CREATE') WHERE created_by IS NULL")
    op.execute("DELETE FROM reviewaction WHERE action = 'CREATE'")


def downgrade() -> None:
    op.execute(
        "INSERT INTO reviewaction (registration_id, actor_id, actor_role, action, from_status, to_status, comment, at) "
        "SELECT id, created_by, 'UNIT_ADMIN', 'CREATE', NULL, 'DRAFT', "
        f"CASE WHEN imported THEN '{IMPORTED}' END, created_at FROM registration")
    op.execute("ALTER TABLE registration DROP COLUMN imported")  # in place on SQLite 3.35 and later
