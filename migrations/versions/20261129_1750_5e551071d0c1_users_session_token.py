"""users: session token (Flask-Login alternative id), so logout and password changes end sessions

Revision ID: 5e551071d0c1
Revises: c48a33e1b3fd
Create Date: 2026-11-27 09:00:00

"""
import re
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e551071d0c1'
down_revision = 'c48a33e1b3fd'
branch_labels = None
depends_on = None


#: Control and bidirectional formatting characters, removed from stored file names (see app.text.clean_filename).
_UNSAFE_IN_NAMES = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def _clean_names(conn, table: str, column: str, default: str) -> None:
    rows = sa.table(table, sa.column('id', sa.Integer), sa.column(column, sa.String))
    for row_id, name in conn.execute(sa.select(rows.c.id, rows.c[column]).where(rows.c[column].is_not(None))).all():
        cleaned = _UNSAFE_IN_NAMES.sub('', name).strip() or default
        if cleaned != name:
            conn.execute(rows.update().where(rows.c.id == row_id).values({column: cleaned}))


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=64), nullable=True))
    # Every existing user gets their own random token (old session cookies, which held the row id, stop working).
    conn = op.get_bind()
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('session_token', sa.String))
    for (user_id,) in conn.execute(sa.select(users.c.id)).all():
        conn.execute(users.update().where(users.c.id == user_id).values(session_token=secrets.token_urlsafe(32)))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('session_token', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_users_session_token'), ['session_token'])
    # File names stored before names were cleaned lose their control and bidi characters ("hoso\u202efdp.exe").
    _clean_names(conn, 'evidence', 'original_name', 'tep')
    _clean_names(conn, 'recognition_decisions', 'scan_original_name', 'quyet-dinh.pdf')


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_session_token'), type_='unique')
        batch_op.drop_column('session_token')
