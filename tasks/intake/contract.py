"""The extract contract: which files a run date's folder holds and which columns they carry."""

from __future__ import annotations

LEAD_COLUMNS: tuple[str, ...] = (
    "source_system", "source_lead_id", "created_at", "updated_at", "email", "first_name",
    "last_name", "phone", "company", "job_title", "industry", "employee_count", "annual_revenue",
    "country", "region", "city", "lead_source", "campaign", "utm_source", "utm_medium",
    "utm_campaign", "ip_address", "user_agent", "form_seconds", "honeypot", "email_consent",
    "do_not_contact",
)
LEAD_REQUIRED: tuple[str, ...] = ("source_system", "source_lead_id", "created_at")

ACTIVITY_COLUMNS: tuple[str, ...] = (
    "source_system", "activity_id", "source_lead_id", "occurred_at", "activity_type", "asset",
    "campaign", "ip_address", "user_agent", "value",
)
ACTIVITY_REQUIRED: tuple[str, ...] = (
    "source_system", "activity_id", "source_lead_id", "occurred_at", "activity_type",
)

OUTCOME_COLUMNS: tuple[str, ...] = (
    "source_system", "source_lead_id", "occurred_at", "status", "reason",
)
OUTCOME_REQUIRED: tuple[str, ...] = ("source_system", "source_lead_id", "occurred_at", "status")

ACTIVITY_TYPES: tuple[str, ...] = (
    "page_view", "pricing_page_view", "form_submit", "content_download", "webinar_registered",
    "webinar_attended", "demo_request", "trial_signup", "email_open", "email_click", "ad_click",
    "cart_add", "newsletter_signup", "contact_request", "call_inbound", "social_engagement",
    "unsubscribe", "email_bounce",
)
SALES_STATUSES: tuple[str, ...] = ("sales_accepted", "sales_rejected", "opportunity", "won", "lost")
# Lifecycle statuses the source system set itself (its own MQL flag): loaded to be compared with
# this product's decisions, stored apart from the sales feedback (table source_lifecycle), never
# moving a lead's lifecycle stage and never a target of a fitted model.
SOURCE_LIFECYCLE_STATUSES: tuple[str, ...] = ("mql",)
OUTCOME_STATUSES: tuple[str, ...] = SALES_STATUSES + SOURCE_LIFECYCLE_STATUSES

# file stem -> (all columns, required columns, required file?)
EXTRACT_FILES: dict[str, tuple[tuple[str, ...], tuple[str, ...], bool]] = {
    "leads": (LEAD_COLUMNS, LEAD_REQUIRED, True),
    "activities": (ACTIVITY_COLUMNS, ACTIVITY_REQUIRED, False),
    "outcomes": (OUTCOME_COLUMNS, OUTCOME_REQUIRED, False),
}

# Columns a file carries beyond its contract are custom attributes, whatever their names. While
# the stages run they carry this prefix, so that one named like a column the pipeline adds
# (lead_id, row_number, bot_reason, custom_attributes, _created_at_utc ...) never collides with it;
# they are stored and shown under their own names. No contract or pipeline column starts with it.
CUSTOM_PREFIX = "custom:"


def custom_column(name: str) -> str:
    """The frame column that carries the file's extra column `name`."""
    return CUSTOM_PREFIX + name


def custom_name(column: str) -> str | None:
    """The file's own name of a custom-attribute column (None: not one)."""
    return column[len(CUSTOM_PREFIX):] if column.startswith(CUSTOM_PREFIX) else None


def file_column(name: str, contract: tuple[str, ...]) -> str:
    """The frame column of a file column `name`: itself for a contract column, else prefixed."""
    return name if name in contract else custom_column(name)
