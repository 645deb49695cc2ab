"""units: health facility, association and enterprise unit types

Revision ID: 20d773343bec
Revises: ee3472dcb8b9
Create Date: 2026-11-26 12:57:06.131158

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '20d773343bec'
down_revision = 'ee3472dcb8b9'
branch_labels = None
depends_on = None


OLD_TYPES = "'city','xa','phuong','dac_khu','department','school','youth_branch'"
NEW_TYPES = OLD_TYPES + ",'health_facility','association','enterprise'"


def _replace_check(types: str) -> None:
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_units_unit_type_known"), type_="check")
        batch_op.create_check_constraint("unit_type_known", f"unit_type IN ({types})")


def upgrade():
    _replace_check(NEW_TYPES)


def downgrade():
    op.execute(f"DELETE FROM units WHERE unit_type NOT IN ({OLD_TYPES})")
    _replace_check(OLD_TYPES)
