"""The content studio's Reflex states, one module per screen (kept importable here).

- library_state.LibraryState: /content, the library
- editor_state.EditorState: /content/<id>, the editor
- calendar_state.CalendarState: /calendar
- state_support: what the three share (user and business, following a job)
"""

from __future__ import annotations

from aigrowth.content.calendar_state import CalDay, CalendarState, CalPost, CalSlot
from aigrowth.content.editor_state import EditorState
from aigrowth.content.library_state import LibraryState
from aigrowth.content.state_support import ALL, PLATFORM_CHOICES, STATUS_CHOICES

__all__ = [
    "ALL",
    "PLATFORM_CHOICES",
    "STATUS_CHOICES",
    "CalDay",
    "CalPost",
    "CalSlot",
    "CalendarState",
    "EditorState",
    "LibraryState",
]
