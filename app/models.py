"""Import every model module so SQLAlchemy and Alembic see all tables."""

from app.auth.models import ReviewerScope, User  # noqa: F401
from app.campaigns.models import Campaign, CriteriaVersion, campaign_units  # noqa: F401
from app.submissions.models import Answer, Evidence, Submission  # noqa: F401
from app.units.models import Unit  # noqa: F401
