"""Photo and proof PDF checks count the workers that took them up, so a file that kills its worker ends

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

import app.clock

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

TABLES = ('attachment', 'photo')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            # Existing rows were never claimed; the default only fills them in.
            batch_op.add_column(sa.Column('check_attempts', sa.Integer(), nullable=False, server_default='0'))
            batch_op.add_column(sa.Column('check_claimed_at', app.clock.UTCDateTime(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('check_claimed_at')
            batch_op.drop_column('check_attempts')
