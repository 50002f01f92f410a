"""SMS outbox rows remember the batch they were sent in

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('smsmessage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('batch_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('smsmessage', schema=None) as batch_op:
        batch_op.drop_column('batch_key')
