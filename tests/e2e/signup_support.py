"""Steps the sign-up and sign-in e2e tests share: a non-first account, the forms, the
link a mail carries (read from the outbox: e2e runs without SMTP)."""

from __future__ import annotations

import re
import time

from sqlmodel import Session

from aigrowth.accounts import service
from aigrowth.db import make_engine
from aigrowth.mail import parse_eml
from tests.e2e.helpers import unique_email


def ensure_an_account_exists(live_app) -> None:
    """So a new sign-up is not the install's first one (which skips the mail)."""
    engine = make_engine(live_app.env["DATABASE_URL"])
    try:
        with Session(engine) as db:
            service.create_user(unique_email("operator"), "operator pass phrase", session=db)
    finally:
        engine.dispose()


def submit_sign_up(page, name: str, email: str, password: str) -> None:
    """Fill and send the form of the /signup page the browser is on."""
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.locator("form button[type=submit]").click()


def submit_sign_in(page, email: str, password: str) -> None:
    """Fill and send the form of the /login page the browser is on."""
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.locator("form button[type=submit]").click()


def mail_link(live_app, to: str, path: str, timeout: float = 20) -> str:
    """The `path?token=…` link of the newest-to-arrive mail to `to`."""
    deadline = time.monotonic() + timeout
    while True:
        for mail_file in sorted((live_app.data_dir / "outbox").glob("*.eml")):
            mail = parse_eml(mail_file.read_bytes())
            match = re.search(rf"https?://\S+{re.escape(path)}\?token=[\w\-]+", mail["text"])
            if mail["to"] == to and match:
                return match.group(0)
        assert time.monotonic() < deadline, f"no {path} mail for {to}"
        time.sleep(0.3)


def confirm_sign_up(page, live_app, email: str, password: str) -> None:
    """Open the confirmation mail's link and finish with the password chosen at sign-up
    (the link proves the inbox, the password proves who signed up)."""
    page.goto(mail_link(live_app, email, "/verify"))
    form = page.locator("#verify-form")
    form.get_by_label("The password you chose").fill(password)
    form.locator("button[type=submit]").click()
