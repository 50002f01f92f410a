"""working day table for review times in statistics

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The rows are filled by `examreg migrate` (app.calendar.working_days), not here: they come
    # from the calendar library and the operators' schedules, which change without a new revision.
    op.create_table(
        'working_day',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('is_working', sa.Boolean(), nullable=False),
        sa.Column('working_days_before', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('day'),
    )


def downgrade() -> None:
    op.drop_table('working_day')
