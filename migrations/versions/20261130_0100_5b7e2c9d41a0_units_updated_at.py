"""units.updated_at

Revision ID: 5b7e2c9d41a0
Revises: 3c1f0e7a5b42
Create Date: 2026-11-30 01:00:00

Issue 16: the public results pages derive their ETag from the last change of the units they name (a rename must
show at once). Null for rows not changed since the column came (their created_at stands).

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b7e2c9d41a0'
down_revision = '3c1f0e7a5b42'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_column('updated_at')
