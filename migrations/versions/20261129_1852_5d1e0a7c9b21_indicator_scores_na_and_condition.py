"""indicator_scores: "không áp dụng" (self and final) and condition flags for reports

Revision ID: 5d1e0a7c9b21
Revises: 5e7a1c9d2b40
Create Date: 2026-11-29 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d1e0a7c9b21'
down_revision = '5e7a1c9d2b40'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('indicator_scores', schema=None) as batch_op:
        batch_op.add_column(sa.Column('self_na', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('final_na', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('condition', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('indicator_scores', schema=None) as batch_op:
        batch_op.drop_column('condition')
        batch_op.drop_column('final_na')
        batch_op.drop_column('self_na')
