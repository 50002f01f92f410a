"""An append-only audit trail, and when each sign-in token was last used

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.clock

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

GUARD_MESSAGE = 'audit_event rows cannot be changed or deleted'


def upgrade() -> None:
    op.create_table(
        'audit_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', app.clock.UTCDateTime(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('event', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('target_type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column('target_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('result', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('error_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column('client_address', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('details', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_audit_event_event_id', 'audit_event', ['event', 'id'])
    op.create_index('ix_audit_event_user_id_id', 'audit_event', ['user_id', 'id'])
    op.create_index('ix_audit_event_target', 'audit_event', ['target_type', 'target_id', 'id'])
    # The application has no code path that changes an audit row; the database refuses it too.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"""
            CREATE FUNCTION audit_event_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{GUARD_MESSAGE}' USING ERRCODE = 'insufficient_privilege';
            END $$""")
        op.execute("""
            CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
            FOR EACH ROW EXECUTE FUNCTION audit_event_is_append_only()""")
    else:
        for action in ('UPDATE', 'DELETE'):
            op.execute(f"""
                CREATE TRIGGER audit_event_no_{action.lower()} BEFORE {action} ON audit_event
                BEGIN SELECT RAISE(ABORT, '{GUARD_MESSAGE}'); END""")

    with op.batch_alter_table('authtoken', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_used_at', app.clock.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('authtoken', schema=None) as batch_op:
        batch_op.drop_column('last_used_at')
    op.drop_table('audit_event')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION audit_event_is_append_only()')
