"""export jobs: heartbeat and lease (attempt) so stalled jobs are detected and finish once

Revision ID: 5e7a1c9d2b40
Revises: 5e551071d0c1
Create Date: 2026-11-29 17:51:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e7a1c9d2b40'
down_revision = '5e551071d0c1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('export_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('attempt', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('auto_retries', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('export_jobs', schema=None) as batch_op:
        batch_op.drop_column('auto_retries')
        batch_op.drop_column('attempt')
        batch_op.drop_column('heartbeat_at')
