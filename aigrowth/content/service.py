"""The content studio's public API in one import (a facade over its modules).

Each concern lives in its own module; new code may import them directly:

- ``access``: ownership, refusals (:class:`ContentError`), status sets, the guarded write
- ``library``: the library screen's page of posts and the pillars; ``bulk``: its bulk actions
- ``editing``: text with versions, pillar, variants, AI rewrites, drafts, deletion, and the
  editor's view model
- ``scheduling``: accounts, schedule / move / unschedule / publish now, live status, Retry
- ``calendar``: the calendar's view model and "Fill the gaps"
- ``media``: uploads, the media library, attaching images and alt text
- ``figures``: the editor's latest figures of a published post

Every function takes ``user_id`` and scopes by ownership (content → business → user):
another user's id simply is not found. Errors are :class:`ContentError` with a message
meant for the user; nothing is changed when one is raised.
"""

from __future__ import annotations

from aigrowth.content.access import (
    DELETABLE,
    EDITABLE,
    SCHEDULABLE,
    STATUS_WORDS,
    UNSCHEDULABLE,
    USABLE_ACCOUNT,
    ContentError,
    InvalidPost,
    NeedsAccount,
    NotFound,
    active_targets,
    current_business_id,
    format_local,
    get_owned,
    owned_business,
    user_timezone,
)
from aigrowth.content.bulk import (
    BulkResult,
    bulk_approve_schedule,
    bulk_delete,
    bulk_regenerate,
    bulk_unschedule,
)
from aigrowth.content.calendar import (
    CalendarModel,
    build_calendar,
    calendar_rows,
    calendar_view,
    fill_gaps,
)
from aigrowth.content.editing import (
    create_draft,
    create_variant,
    delete_content,
    list_variants,
    list_versions,
    optimise_with_ai,
    restore_version,
    save_text,
    set_pillar,
)
from aigrowth.content.figures import FIGURES, Figures, latest_figures
from aigrowth.content.library import LibraryFilter, LibraryPage, list_library, pillars_of
from aigrowth.content.media import (
    ALLOWED_IMAGE_TYPES,
    MEDIA_MAX_BYTES,
    attach_media,
    detach_media,
    list_media,
    media_url,
    save_upload,
    set_alt_text,
)
from aigrowth.content.scheduling import (
    NEEDS_CHECK_WORDS,
    WATCH_AHEAD,
    account_choice,
    live_status,
    mark_published,
    move_to_day,
    publish_now,
    retry_publish,
    schedule,
    schedule_local,
    should_watch,
    status_message,
    unschedule,
    usable_accounts,
)
from aigrowth.content.validation import post_problems

__all__ = [
    "ALLOWED_IMAGE_TYPES",
    "DELETABLE",
    "EDITABLE",
    "FIGURES",
    "MEDIA_MAX_BYTES",
    "NEEDS_CHECK_WORDS",
    "SCHEDULABLE",
    "STATUS_WORDS",
    "UNSCHEDULABLE",
    "USABLE_ACCOUNT",
    "WATCH_AHEAD",
    "BulkResult",
    "CalendarModel",
    "ContentError",
    "Figures",
    "InvalidPost",
    "LibraryFilter",
    "LibraryPage",
    "NeedsAccount",
    "NotFound",
    "account_choice",
    "active_targets",
    "attach_media",
    "build_calendar",
    "bulk_approve_schedule",
    "bulk_delete",
    "bulk_regenerate",
    "bulk_unschedule",
    "calendar_rows",
    "calendar_view",
    "create_draft",
    "create_variant",
    "current_business_id",
    "delete_content",
    "detach_media",
    "fill_gaps",
    "format_local",
    "get_owned",
    "latest_figures",
    "list_library",
    "list_media",
    "list_variants",
    "list_versions",
    "live_status",
    "mark_published",
    "media_url",
    "move_to_day",
    "optimise_with_ai",
    "owned_business",
    "pillars_of",
    "post_problems",
    "publish_now",
    "restore_version",
    "retry_publish",
    "save_text",
    "save_upload",
    "schedule",
    "schedule_local",
    "set_alt_text",
    "set_pillar",
    "should_watch",
    "status_message",
    "unschedule",
    "usable_accounts",
    "user_timezone",
]
