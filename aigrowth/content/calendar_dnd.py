"""The calendar's drag and drop, in the browser (no per-keystroke server traffic).

``DND_JS`` (calendar_dnd.js beside this file) is installed once per page load; a drop
on a day cell stores {id, date} and clicks the hidden #aig-drop-trigger, whose handler
runs ``TAKE_DROP_JS`` with rx.call_script and passes the result to
CalendarState.handle_drop.
"""

from __future__ import annotations

from pathlib import Path

DND_JS = "\n" + Path(__file__).with_name("calendar_dnd.js").read_text(encoding="utf-8")
TAKE_DROP_JS = (
    "(function () { var d = window.__aigDrop || null; window.__aigDrop = null; return d; })()"
)
