"""answers meta (survey-filled values)

Revision ID: 3c1f0e7a5b42
Revises: ee204909aa2a
Create Date: 2026-11-30 09:00:00

Issue 14: an answer filled from the citizen survey keeps its sample size and interval in `answers.meta`
(JSON, null for typed answers).

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c1f0e7a5b42'
down_revision = 'ee204909aa2a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('meta', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_column('meta')
