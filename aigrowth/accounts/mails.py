"""The texts of account mails (one function per kind), apart from when they are sent."""

from __future__ import annotations

from aigrowth.mail import OutgoingMail
from aigrowth.settings import get_settings

PRODUCT = "AI Growth Manager"


def app_link(path: str) -> str:
    return get_settings().app_url.rstrip("/") + path


def confirm_sign_up(to: str, raw_token: str) -> OutgoingMail:
    return OutgoingMail(
        to=to,
        subject=f"Confirm your email for {PRODUCT}",
        text=(
            f"Welcome to {PRODUCT}!\n\n"
            "Open this link and enter the password you chose to confirm your email:\n"
            f"{app_link('/verify?token=' + raw_token)}\n\n"
            "The link expires in 24 hours. If you didn't sign up, ignore this email: "
            "nobody can use the account without opening this link.\n"
        ),
    )


def sign_up_again(to: str) -> OutgoingMail:
    return OutgoingMail(
        to=to,
        subject="Someone tried to sign up with your email",
        text=(
            f"Someone (maybe you) tried to create a {PRODUCT} account with this email, "
            "but you already have one.\n\n"
            f"Sign in: {app_link('/login')}\n"
            f"Forgot your password? {app_link('/forgot')}\n\n"
            "If it wasn't you, you can ignore this email; your account is unchanged.\n"
        ),
    )


def reset_password(to: str, raw_token: str) -> OutgoingMail:
    return OutgoingMail(
        to=to,
        subject=f"Reset your {PRODUCT} password",
        text=(
            "Someone (hopefully you) asked to reset your password.\n\n"
            f"Choose a new one here:\n{app_link('/reset?token=' + raw_token)}\n\n"
            "The link works once and expires in 30 minutes. If you didn't ask, "
            "ignore this email: your password stays the same.\n"
        ),
    )


def confirm_new_email(to: str, raw_token: str) -> OutgoingMail:
    return OutgoingMail(
        to=to,
        subject=f"Confirm your new email for {PRODUCT}",
        text=(
            f"Someone signed in to {PRODUCT} asked to use this address to sign in.\n\n"
            f"Open this link to confirm it:\n{app_link('/confirm-email?token=' + raw_token)}\n\n"
            "The link works once and expires in 24 hours. If you didn't ask, ignore "
            "this email: nothing changes.\n"
        ),
    )


def email_change_requested(to: str, new_email: str) -> OutgoingMail:
    return OutgoingMail(
        to=to,
        subject=f"Your {PRODUCT} email is about to change",
        text=(
            f"Someone signed in to your account asked to change its sign-in email to "
            f"{new_email}. It changes only when the link we sent there is opened.\n\n"
            "If this wasn't you, change your password now (it signs out every other "
            f"device): {app_link('/forgot')}\n"
        ),
    )


def email_changed(to: str, new_email: str) -> OutgoingMail:
    return OutgoingMail(
        to=to,
        subject=f"Your {PRODUCT} email was changed",
        text=(
            f"Your sign-in email was changed to {new_email}. If this wasn't you, "
            "contact the operator of this server at once: someone else may hold your "
            "account.\n"
        ),
    )
