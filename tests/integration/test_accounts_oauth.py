"""Sign in with Google / GitHub through the real routes, against local fake providers.

Each test walks the browser's path: our /start route (state + PKCE + binding cookie) →
the fake's authorize endpoint (auto-consent, or cancel) → our callback (code exchange,
id_token / profile checks, matching by (issuer, subject)) → /auth/complete (cookie).
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc.jwk import RSAKey
from sqlmodel import Session, select
from starlette.testclient import TestClient

from aigrowth.accounts import oauth, service
from aigrowth.accounts.models import User, UserIdentity, UserSession
from aigrowth.accounts.oauth import OAUTH_COOKIE
from aigrowth.accounts.service import SESSION_COOKIE
from aigrowth.http.routes import build_api
from aigrowth.settings import reset_settings_cache
from tests.fakes.oauth_identity import GitHubFake, GoogleFake, new_sub
from tests.integration.mail_support import MailWorker

PW = "river stone lantern"
APP = "http://localhost:3000"


def _set_env(monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> None:
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    reset_settings_cache()


@pytest.fixture
def google(app_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[GoogleFake]:
    with GoogleFake() as fake:
        _set_env(monkeypatch, fake.env())
        oauth._JWKS_CACHE.clear()
        yield fake


@pytest.fixture
def github(app_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[GitHubFake]:
    with GitHubFake() as fake:
        _set_env(monkeypatch, fake.env())
        yield fake


def browser() -> TestClient:
    """One browser: its own cookie jar, talking to the real Starlette routes."""
    return TestClient(build_api(), base_url="http://localhost:3000", follow_redirects=False)


def _local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def start(client: TestClient, provider: str, **params: str) -> str:
    """Our start route → the provider's authorize URL."""
    resp = client.get(f"/auth/oauth/{provider}/start", params=params)
    assert resp.status_code == 303, resp.text
    assert resp.headers["cache-control"] == "no-store"
    return resp.headers["location"]


def consent(authorize_url: str) -> str:
    """The provider's page: it redirects back to our callback (path + query)."""
    resp = httpx.get(authorize_url, follow_redirects=False, timeout=10)
    assert resp.status_code == 302, resp.text
    location = resp.headers["location"]
    assert location.startswith(f"{APP}/auth/oauth/")
    return _local(location)


def callback(client: TestClient, path_and_query: str) -> httpx.Response:
    resp = client.get(path_and_query)
    assert resp.status_code == 303, resp.text
    return resp


def complete(client: TestClient, resp: httpx.Response) -> tuple[str, str]:
    """Follow a successful callback to /auth/complete: (session token, final URL)."""
    location = resp.headers["location"]
    assert location.startswith(f"{APP}/auth/complete?"), location
    done = client.get(_local(location))
    assert done.status_code == 303
    token = client.cookies.get(SESSION_COOKIE)
    assert token
    return token, done.headers["location"]


def sign_in(client: TestClient, provider: str, **params: str) -> tuple[str, str]:
    return complete(client, callback(client, consent(start(client, provider, **params))))


def _error_of(resp: httpx.Response) -> str:
    location = resp.headers["location"]
    assert location.startswith(f"{APP}/login?"), location
    return parse_qs(urlsplit(location).query)["oauth_error"][0]


def _users(session: Session) -> list[User]:
    session.expire_all()
    return list(session.exec(select(User)).all())


def _identities(session: Session) -> list[UserIdentity]:
    session.expire_all()
    return list(session.exec(select(UserIdentity)).all())


# ------------------------------------------------------------------------- Google
def test_new_user_via_google(google: GoogleFake, session: Session, mail_worker: MailWorker) -> None:
    client = browser()
    authorize_url = start(client, "google", next="/content?week=2", tz="Europe/Paris")
    query = parse_qs(urlsplit(authorize_url).query)
    assert authorize_url.startswith(google.authorize_url)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["nonce"][0] and query["state"][0] and "openid" in query["scope"][0]
    assert query["redirect_uri"] == [f"{APP}/auth/oauth/google/callback"]
    binding = client.cookies.get(OAUTH_COOKIE)
    assert binding and binding not in authorize_url  # the browser half stays in the cookie

    token, final = complete(client, callback(client, consent(authorize_url)))
    assert final == f"{APP}/content?week=2"
    assert google.oauth.token_requests[-1]["code_verifier"]  # PKCE verifier was sent

    [user] = _users(session)
    assert user.email == "ada@example.com" and user.full_name == "Ada Lovelace"
    assert user.timezone == "Europe/Paris"  # from the browser, via the start link
    assert user.email_verified_at is not None and user.password_hash is None
    assert user.is_admin  # the install's first user
    [identity] = _identities(session)
    assert (identity.issuer, identity.subject) == (google.issuer, google.account["sub"])
    assert identity.user_id == user.id
    assert service.user_id_for_token(token, session=session) == user.id
    # A provider-only account cannot be signed in to with any password...
    with pytest.raises(service.AccountError):
        service.authenticate("ada@example.com", "any password at all", session=session)
    assert not service.get_profile(user.id, session=session).has_password
    # ...until its owner chooses one through the emailed reset link (Settings offers it).
    service.request_password_reset("ada@example.com", session=session)
    link = mail_worker.deliver()[-1]["text"]
    raw = link.split("/reset?token=")[1].split()[0]
    # The reset page says which sign-ins stay linked (a new password doesn't close them).
    assert service.reset_sign_ins(raw, session=session) == ["Google (ada@example.com)"]
    service.reset_password(raw, PW, session=session)
    assert service.get_profile(user.id, session=session).has_password
    assert service.authenticate("ada@example.com", PW, session=session).id == user.id


def test_returning_user_is_matched_by_subject_even_after_an_email_change(
    google: GoogleFake, session: Session
) -> None:
    sign_in(browser(), "google")
    [user] = _users(session)

    google.account["email"] = "ada.lovelace@newmail.example"
    token, _ = sign_in(browser(), "google")
    assert service.user_id_for_token(token, session=session) == user.id
    assert len(_users(session)) == 1
    [identity] = _identities(session)
    assert identity.email == "ada.lovelace@newmail.example"
    session.refresh(user)
    assert user.email == "ada@example.com"  # our account email is the user's to change

    # Someone else at Google claiming Ada's address is NOT Ada: never matched by email.
    google.account = {"sub": new_sub(), "email": "ada@example.com", "email_verified": True}
    resp = callback(browser_b := browser(), consent(start(browser_b, "google")))
    assert resp.headers["location"].startswith(f"{APP}/link-account?")
    assert SESSION_COOKIE not in browser_b.cookies
    assert len(_identities(session)) == 1


def test_linking_to_a_password_account_requires_its_password(
    google: GoogleFake, session: Session
) -> None:
    ada = service.create_user("ada@example.com", PW, session=session, full_name="Ada")
    client = browser()
    resp = callback(client, consent(start(client, "google", next="/strategy")))
    location = resp.headers["location"]
    assert location.startswith(f"{APP}/link-account?")
    assert "set-cookie" not in resp.headers or SESSION_COOKIE not in resp.headers["set-cookie"]
    assert _identities(session) == []  # nothing linked yet
    link = parse_qs(urlsplit(location).query)["token"][0]
    binding = client.cookies.get(OAUTH_COOKIE)

    pending = oauth.pending_link(link, binding=binding, session=session)
    assert pending is not None and pending.email == "ada@example.com"
    assert pending.provider_label == "Google" and pending.has_password
    # Another browser holding the link (say, from a shared screen) gets nothing.
    assert oauth.pending_link(link, binding=service.new_token(), session=session) is None
    with pytest.raises(service.AccountError, match="expired"):
        oauth.confirm_link(link, PW, binding=service.new_token(), session=session)

    with pytest.raises(service.AccountError, match="not correct"):
        oauth.confirm_link(link, "wrong password here", binding=binding, session=session)
    assert _identities(session) == []

    user_id, nxt = oauth.confirm_link(link, PW, binding=binding, session=session, ip="10.0.0.1")
    assert (user_id, nxt) == (ada.id, "/strategy")
    [identity] = _identities(session)
    assert identity.user_id == ada.id and identity.subject == google.account["sub"]
    with pytest.raises(service.AccountError, match="expired"):  # the link works once
        oauth.confirm_link(link, PW, binding=binding, session=session)

    # From now on Google signs Ada straight in.
    token, _ = sign_in(browser(), "google")
    assert service.user_id_for_token(token, session=session) == ada.id
    assert len(_users(session)) == 1


def test_link_password_guessing_is_throttled(google: GoogleFake, session: Session) -> None:
    service.create_user("ada@example.com", PW, session=session)
    client = browser()
    location = callback(client, consent(start(client, "google"))).headers["location"]
    link = parse_qs(urlsplit(location).query)["token"][0]
    binding = client.cookies.get(OAUTH_COOKIE)
    for _ in range(service.THROTTLE_FREE_PER_ACCOUNT_IP):
        with pytest.raises(service.AccountError):
            oauth.confirm_link(
                link, "guess guess guess", binding=binding, session=session, ip="9.9.9.9"
            )
    with pytest.raises(service.ThrottledError):
        oauth.confirm_link(link, PW, binding=binding, session=session, ip="9.9.9.9")
    assert _identities(session) == []


def test_unverified_email_never_links_or_creates(google: GoogleFake, session: Session) -> None:
    ada = service.create_user("ada@example.com", PW, session=session)
    google.account["email_verified"] = False
    resp = callback(client := browser(), consent(start(client, "google")))
    assert _error_of(resp) == "unverified"
    assert _identities(session) == [] and [u.id for u in _users(session)] == [ada.id]
    assert SESSION_COOKIE not in client.cookies

    google.account["email"] = "nobody-yet@example.com"  # no account uses it: still refused
    resp = callback(client := browser(), consent(start(client, "google")))
    assert _error_of(resp) == "unverified"
    assert len(_users(session)) == 1
    assert "verified" in oauth.error_message("unverified", "google")


def test_an_unconfirmed_sign_up_is_claimed_by_the_verified_owner(
    google: GoogleFake, session: Session, mail_worker: MailWorker
) -> None:
    service.create_user("first@example.com", PW, session=session)  # not the first user
    # Someone signed up with Ada's address but could never confirm it.
    service.sign_up("ada@example.com", "squatter pass phrase", session=session)
    squatter_link = mail_worker.deliver()[-1]["text"].split("/verify?token=")[1].split()[0]
    squatted = service.get_user_by_email("ada@example.com", session=session)
    assert squatted is not None and squatted.email_verified_at is None

    token, _ = sign_in(browser(), "google")
    assert service.user_id_for_token(token, session=session) == squatted.id
    session.refresh(squatted)
    assert squatted.email_verified_at is not None
    assert squatted.password_hash is None  # the squatter's password no longer works
    assert not service.verify_password(squatted.password_hash, "squatter pass phrase")
    # Nor does the confirmation link of the squatter's sign-up.
    assert not service.verify_token_is_valid(squatter_link, session=session)


def test_state_replay_and_mismatch_are_refused(google: GoogleFake, session: Session) -> None:
    client = browser()
    back = consent(start(client, "google"))
    token, _ = complete(client, callback(client, back))
    sessions_before = len(session.exec(select(UserSession)).all())

    # Replay: the same callback URL again (state already used).
    assert _error_of(callback(client, back)) == "expired"

    # Mismatch: a callback started in the victim's browser, delivered to another one
    # (login CSRF). The other browser has no binding cookie, or a different one.
    victim = browser()
    stolen = consent(start(victim, "google"))
    attacker = browser()
    attacker.cookies.set(OAUTH_COOKIE, service.new_token())
    exchanges = len(google.oauth.token_requests)
    assert _error_of(callback(attacker, stolen)) == "expired"
    assert len(google.oauth.token_requests) == exchanges  # the code was never exchanged
    # ...and that state is gone, even for the victim.
    assert _error_of(callback(victim, stolen)) == "expired"

    # A forged state, and a state issued for GitHub used on Google's callback.
    assert _error_of(callback(client, "/auth/oauth/google/callback?state=forged&code=x")) == (
        "expired"
    )
    session.expire_all()
    assert len(session.exec(select(UserSession)).all()) == sessions_before
    assert token


def test_cancel_and_token_exchange_failures(google: GoogleFake, session: Session) -> None:
    google.deny_next()
    client = browser()
    back = consent(start(client, "google"))
    assert "error=access_denied" in back
    assert _error_of(callback(client, back)) == "cancelled"

    google.faults.fail_before(1, status=503, path="/token")
    assert _error_of(callback(client, consent(start(client, "google")))) == "failed"

    # The provider rejects the code (e.g. it expired): invalid_grant.
    back = consent(start(client, "google"))
    google.oauth.codes.clear()
    assert _error_of(callback(client, back)) == "failed"
    assert _users(session) == []


def test_id_token_checks(google: GoogleFake, session: Session) -> None:
    client = browser()
    google.audience_override = "someone-elses-client.apps.googleusercontent.com"
    assert _error_of(callback(client, consent(start(client, "google")))) == "failed"
    google.audience_override = None
    google.issuer_override = "https://evil.example"
    assert _error_of(callback(client, consent(start(client, "google")))) == "failed"
    google.issuer_override = None
    google.id_token_lifetime = -3600  # expired an hour ago
    assert _error_of(callback(client, consent(start(client, "google")))) == "failed"
    assert _users(session) == []

    # Google rotates its signing key: we fetch the new JWKS and carry on.
    google.id_token_lifetime = 3600
    sign_in(browser(), "google")
    fetches = len(google.calls_to("/oauth2/v3/certs"))
    google.rotate_keys()
    token, _ = sign_in(browser(), "google")
    assert service.user_id_for_token(token, session=session) is not None
    assert len(google.calls_to("/oauth2/v3/certs")) == fetches + 1
    assert len(_users(session)) == 1

    # A token signed with a key Google never published (a forgery) is refused.
    google.signing_key = RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256"})
    assert _error_of(callback(client, consent(start(client, "google")))) == "failed"


# ------------------------------------------------------------------------- GitHub
def test_new_user_and_return_via_github(github: GitHubFake, session: Session) -> None:
    client = browser()
    authorize_url = start(client, "github", tz="America/New_York")
    query = parse_qs(urlsplit(authorize_url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert "user:email" in query["scope"][0]
    token, final = complete(client, callback(client, consent(authorize_url)))
    assert final == f"{APP}/dashboard"
    [user] = _users(session)
    assert user.email == "octo@example.com"  # the primary verified one from /user/emails
    assert user.timezone == "America/New_York" and user.full_name == "The Octocat"
    [identity] = _identities(session)
    assert (identity.issuer, identity.subject) == (github.base_url, "583231")

    # Renamed at GitHub, new primary email: still the same account (numeric id).
    github.account["login"] = "octo-renamed"
    github.emails = [
        {"email": "octo@new.example", "primary": True, "verified": True, "visibility": None}
    ]
    token, _ = sign_in(browser(), "github")
    assert service.user_id_for_token(token, session=session) == user.id
    assert len(_users(session)) == 1


def test_github_unverified_primary_email_and_errors(github: GitHubFake, session: Session) -> None:
    ada = service.create_user("ada@example.com", PW, session=session)
    github.emails = [
        {"email": "ada@example.com", "primary": True, "verified": False, "visibility": None},
        {"email": "ada@other.example", "primary": False, "verified": True, "visibility": None},
    ]
    client = browser()
    assert _error_of(callback(client, consent(start(client, "github")))) == "unverified"
    assert _identities(session) == [] and len(_users(session)) == 1

    github.deny_next()
    back = consent(start(client, "github"))
    assert "error=access_denied" in back
    assert _error_of(callback(client, back)) == "cancelled"

    # GitHub answers a bad code with HTTP 200 and an error body.
    back = consent(start(client, "github"))
    github.oauth.codes.clear()
    assert _error_of(callback(client, back)) == "failed"

    # With a verified primary email, Ada's account is linked only after her password.
    github.emails[0]["verified"] = True
    location = callback(client, consent(start(client, "github"))).headers["location"]
    assert location.startswith(f"{APP}/link-account?")
    link = parse_qs(urlsplit(location).query)["token"][0]
    uid, _ = oauth.confirm_link(link, PW, binding=client.cookies.get(OAUTH_COOKIE), session=session)
    assert uid == ada.id


# -------------------------------------------------------------------- not configured
def test_a_provider_without_credentials_is_not_offered(
    app_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, session: Session
) -> None:
    for key in ("GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET", "GITHUB_CLIENT_ID"):
        monkeypatch.delenv(key, raising=False)
    _set_env(monkeypatch, {"GITHUB_CLIENT_SECRET": "only-half-configured"})
    assert oauth.configured_providers() == []
    client = browser()
    for provider in ("google", "github", "facebook"):
        assert client.get(f"/auth/oauth/{provider}/start").status_code == 404
        cb = client.get(f"/auth/oauth/{provider}/callback?state=x&code=y")
        assert cb.status_code == 404
    assert OAUTH_COOKIE not in client.cookies

    _set_env(monkeypatch, {"GITHUB_CLIENT_ID": "gh-id"})
    assert [p.name for p in oauth.configured_providers()] == ["github"]
    assert client.get("/auth/oauth/github/start").status_code == 303
    assert client.get("/auth/oauth/google/start").status_code == 404
