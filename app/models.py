"""Every entity, imported once so the metadata (and Alembic) sees them all."""

from sqlmodel import SQLModel

from app.accounts.models import AuthToken, Role, User
from app.audit.models import AuditEvent
from app.calendar.models import HolidayScheduleDay, WorkingDay
from app.contacts.models import ServiceContact
from app.divisions.models import Division, DivisionLevel
from app.documents.models import Attachment, AttachmentCategory, CheckStatus, Photo
from app.exams.models import ExamSession
from app.jobs import Job, JobKind, JobStatus, PeriodicRun
from app.registrations.models import Registration, RegistrationStatus
from app.reviews.models import ReviewAction, ReviewActionKind
from app.sms.models import SmsMessage, SmsStatus
from app.unit_requests.models import UnitRequest, UnitRequestKind, UnitRequestStatus
from app.units.models import Unit, UnitLevel

metadata = SQLModel.metadata

__all__ = [
    "Attachment", "AttachmentCategory", "AuditEvent", "AuthToken", "CheckStatus", "Division", "DivisionLevel",
    "ExamSession", "HolidayScheduleDay", "WorkingDay", "Job", "JobKind", "JobStatus", "PeriodicRun", "Photo", "Registration", "RegistrationStatus",
    "ReviewAction", "ReviewActionKind", "Role", "ServiceContact", "SmsMessage", "SmsStatus",
    "Unit", "UnitLevel", "UnitRequest", "UnitRequestKind", "UnitRequestStatus", "User",
    "metadata",
]
