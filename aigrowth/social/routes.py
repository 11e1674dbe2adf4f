"""OAuth callbacks: /oauth/{platform}/callback.

The platform redirects the browser here with `code` and `state`. We check the state
(single use, bound to the signed-in browser session), finish the connect, and send the
browser back to the Accounts page with ?connected=<platform> or ?error=<reason>.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from aigrowth.db import session_scope
from aigrowth.platforms import PLATFORMS
from aigrowth.settings import get_settings
from aigrowth.social.service import SocialError, complete_oauth

log = logging.getLogger(__name__)

# Reasons platforms send in ?error= when the user cancels or the app is misconfigured.
_PLATFORM_ERRORS = {
    "access_denied": "You cancelled the connection.",
    "user_cancelled_login": "You cancelled the connection.",
    "user_cancelled_authorize": "You cancelled the connection.",
}


def _back(**params: str) -> RedirectResponse:
    url = f"{get_settings().app_url.rstrip('/')}/accounts?{urlencode(params)}"
    return RedirectResponse(url, status_code=303)


def _signed_in(request: Request) -> tuple[str | None, str]:
    """(user id, raw session token) from the session cookie."""
    from aigrowth.accounts.service import SESSION_COOKIE, user_id_for_token

    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        return None, ""
    with session_scope() as db:
        uid = user_id_for_token(token, session=db)
    return (str(uid) if uid else None), token


def _complete(platform: str, state: str, code: str, user_id: str | None, token: str) -> int:
    with session_scope() as db:
        accounts = complete_oauth(
            platform, state=state, code=code, session=db, user_id=user_id, session_token=token
        )
        return len(accounts)


async def oauth_callback(request: Request) -> RedirectResponse:
    platform = request.path_params["platform"]
    if platform not in PLATFORMS:
        return _back(error="Unknown platform.")
    q = request.query_params
    if q.get("error"):
        code = q.get("error", "")
        reason = _PLATFORM_ERRORS.get(code) or (
            f"The platform refused the connection ({q.get('error_description') or code})."
        )
        return _back(error=reason[:300], platform=platform)
    user_id, token = await run_in_threadpool(_signed_in, request)
    if user_id is None:
        return _back(error="Sign in first, then connect the account again.", platform=platform)
    try:
        count = await run_in_threadpool(
            _complete, platform, q.get("state", ""), q.get("code", ""), user_id, token
        )
    except SocialError as exc:
        return _back(error=str(exc)[:300], platform=platform)
    except Exception:
        log.exception("OAuth callback for %s failed", platform)
        return _back(
            error="Something went wrong while connecting. Please try again.", platform=platform
        )
    return _back(connected=platform, count=str(count))


ROUTES = [Route("/oauth/{platform}/callback", oauth_callback, methods=["GET"])]
