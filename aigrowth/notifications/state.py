"""Bell and list state: thin, owner-scoped through the server-validated session."""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from aigrowth.accounts.state import session_user_id
from aigrowth.db import session_scope
from aigrowth.notifications import service

PAGE_SIZE = 20


class NoteItem(TypedDict):
    id: str
    kind: str
    title: str
    body: str
    link: str
    created_at: str
    unread: bool


def _items(views: list[service.NotificationView]) -> list[NoteItem]:
    return [
        NoteItem(
            id=v.id,
            kind=v.kind,
            title=v.title,
            body=v.body,
            link=v.link,
            created_at=v.created_at,
            unread=v.unread,
        )
        for v in views
    ]


class NotificationState(rx.State):
    unread: int = 0
    recent: list[NoteItem] = []
    items: list[NoteItem] = []
    page: int = 0
    has_more: bool = False

    @rx.var
    def unread_label(self) -> str:
        return "99+" if self.unread > 99 else str(self.unread)

    def _refresh_bell(self) -> None:
        uid = session_user_id(self)
        if uid is None:
            self.unread, self.recent = 0, []
            return
        with session_scope() as db:
            self.unread = service.unread_count(uid, session=db)
            self.recent = _items(service.list_notifications(uid, session=db, limit=5))

    @rx.event
    def load_bell(self):
        self._refresh_bell()

    @rx.event
    def load_page(self):
        uid = session_user_id(self)
        if uid is None:
            self.items, self.has_more = [], False
            return
        with session_scope() as db:
            rows = service.list_notifications(
                uid, session=db, limit=PAGE_SIZE + 1, offset=self.page * PAGE_SIZE
            )
        self.has_more = len(rows) > PAGE_SIZE
        self.items = _items(rows[:PAGE_SIZE])
        self._refresh_bell()

    @rx.event
    def first_page(self):
        self.page = 0
        return NotificationState.load_page

    @rx.event
    def next_page(self):
        if self.has_more:
            self.page += 1
        return NotificationState.load_page

    @rx.event
    def prev_page(self):
        self.page = max(0, self.page - 1)
        return NotificationState.load_page

    @rx.event
    def open_item(self, note_id: str, link: str):
        uid = session_user_id(self)
        if uid is not None:
            with session_scope() as db:
                service.mark_read(uid, note_id, session=db)
        self._refresh_bell()
        if link.startswith("/") and not link.startswith("//"):
            return rx.redirect(link)
        return NotificationState.load_page

    @rx.event
    def mark_all_read(self):
        uid = session_user_id(self)
        if uid is not None:
            with session_scope() as db:
                service.mark_read(uid, None, session=db)
        self._refresh_bell()
        self.items = [NoteItem(**{**i, "unread": False}) for i in self.items]
