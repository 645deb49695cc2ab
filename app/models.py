"""Import every model module so SQLAlchemy and Alembic see all tables."""

from app.api.models import ApiToken  # noqa: F401
from app.audit.models import AuditEntry  # noqa: F401
from app.auth.models import ReviewerScope, User  # noqa: F401
from app.campaigns.models import Campaign, CriteriaVersion, campaign_units  # noqa: F401
from app.certificates.models import Certificate, CertificateCounter  # noqa: F401
from app.criteria_sets.models import CodeMapping, CriteriaOwnerScope  # noqa: F401
from app.jobs.models import ExportJob  # noqa: F401
from app.notifications.models import Notification  # noqa: F401
from app.review.models import (  # noqa: F401
    Appraisal,
    GroupAssignment,
    GroupSignoff,
    RecognitionDecision,
    ReturnItem,
    ScoreEvent,
    SubmissionRound,
    decision_submissions,
)
from app.submissions.models import Answer, Evidence, GroupScore, IndicatorScore, Submission  # noqa: F401
from app.surveys.models import SurveyExclusion, SurveyHashKey, SurveyLink, SurveyResponse  # noqa: F401
from app.units.models import Unit  # noqa: F401
