"""Fake identity providers for "Sign in with Google / GitHub", on the shared harness.

GoogleFake is an OpenID Connect provider as Google runs it:
- GET  /o/oauth2/v2/auth  authorization endpoint (response_type=code, scope must hold
  `openid`; PKCE S256 required here so the test proves we send it; `nonce` is echoed in
  the id_token). `google.deny_next()` makes the next consent answer
  `?error=access_denied&state=...`, as when the user clicks Cancel.
- POST /token            code exchange: single-use codes, redirect_uri and code_verifier
  checks, client auth by form or Basic; answers access_token + RS256 id_token (iss, aud,
  azp, sub, email, email_verified, name, nonce, iat, exp, kid header). Errors are
  Google's: 400 invalid_grant "Bad Request", 401 invalid_client "Unauthorized".
- GET  /oauth2/v3/certs  the JWKS (keys can be rotated with `rotate_keys()`).
- GET  /.well-known/openid-configuration, GET /v1/userinfo.

GitHubFake is GitHub's OAuth app flow:
- GET  /login/oauth/authorize     (PKCE S256 accepted; `deny_next()` → access_denied with
  GitHub's error_description and error_uri).
- POST /login/oauth/access_token  JSON when `Accept: application/json`, else form-encoded;
  failures answer **HTTP 200** with {"error": "bad_verification_code", ...}, as GitHub does.
- GET  /user, GET /user/emails   (Bearer or `token` auth; a request without User-Agent is
  refused 403 like api.github.com; /user/emails needs the `user:email` scope → 404).

    with GoogleFake() as google:
        google.account = {"sub": "1084", "email": "ada@example.com", "email_verified": True}
        settings: GOOGLE_CLIENT_ID=google.client_id, GOOGLE_CLIENT_SECRET=...,
                  GOOGLE_AUTH_URL=google.authorize_url, GOOGLE_TOKEN_URL=google.token_url,
                  GOOGLE_JWKS_URL=google.jwks_url, GOOGLE_ISSUER=google.issuer
                  (or `google.env()`)
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from tests.fakes.common import FakeServer, OAuthProvider


def _code_from(response: Response) -> str | None:
    """The `code` a successful authorize redirect carries (None for an error page)."""
    if response.status_code != 302:
        return None
    query = urlsplit(response.headers["location"]).query
    for part in query.split("&"):
        key, _, value = part.partition("=")
        if key == "code":
            return value
    return None


def _error_redirect(redirect_uri: str, state: str | None, **params: str) -> Response:
    if state is not None:
        params["state"] = state
    sep = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{sep}{urlencode(params)}", status_code=302)


# ------------------------------------------------------------------------------ Google
class _GoogleOAuth(OAuthProvider):
    """OAuthProvider plus OpenID Connect: the id_token of the account that consented."""

    def __init__(self, fake: GoogleFake, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fake = fake
        self.grants: dict[str, dict[str, Any]] = {}  # code → nonce + account snapshot

    async def authorize(self, request: Request) -> Response:
        q = request.query_params
        redirect_uri = q.get("redirect_uri", "")
        if q.get("client_id") in self.clients and redirect_uri and self.fake.take_denial():
            return _error_redirect(redirect_uri, q.get("state"), error="access_denied")
        if "openid" not in q.get("scope", "").split():
            return JSONResponse(
                {"error": "invalid_scope", "error_description": "Missing openid scope"},
                status_code=400,
            )
        response = await super().authorize(request)
        code = _code_from(response)
        if code is not None:
            with self.lock:
                self.grants[code] = {"nonce": q.get("nonce"), "account": dict(self.fake.account)}
        return response

    async def token(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        grant = self.grants.pop(form.get("code", ""), None)
        response = await super().token(request)  # Starlette caches the parsed form
        if response.status_code != 200 or grant is None:
            return response
        body = json.loads(response.body)
        client_id = self.token_requests[-1].get("client_id") or self._basic_client(request)
        body["id_token"] = self.fake.id_token(grant["account"], client_id, grant["nonce"])
        body["token_type"] = "Bearer"
        body["expires_in"] = 3599
        body.pop("refresh_token", None)
        return JSONResponse(body)

    def _basic_client(self, request: Request) -> str:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            return base64.b64decode(auth[6:]).decode().partition(":")[0]
        return ""

    def _error(self, error: str, description: str, status: int = 400) -> Response:
        # Google's wording: invalid_grant → "Bad Request", invalid_client → "Unauthorized".
        described = {"invalid_grant": "Bad Request", "invalid_client": "Unauthorized"}
        return JSONResponse(
            {"error": error, "error_description": described.get(error, description)},
            status_code=status,
        )


class GoogleFake(FakeServer):
    client_id = "1234567890-fake.apps.googleusercontent.com"
    client_secret = "GOCSPX-fake-secret"

    def __init__(self) -> None:
        super().__init__()
        self.account: dict[str, Any] = {
            "sub": "108234567890123456789",
            "email": "ada@example.com",
            "email_verified": True,
            "name": "Ada Lovelace",
        }
        self.oauth = _GoogleOAuth(
            self,
            clients={self.client_id: self.client_secret},
            user_id=self.account["sub"],
            require_pkce=True,
            access_ttl=3599,
            issue_refresh=False,
            default_scope="openid email profile",
        )
        self.keys = [RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256"})]
        self.signing_key = self.keys[0]
        self._denials = 0
        self.id_token_lifetime = 3600
        self.issuer_override: str | None = None  # a token "from another issuer"
        self.audience_override: str | None = None

    # -- knobs
    def deny_next(self, n: int = 1) -> None:
        """The next n consent screens end with the user clicking Cancel."""
        with self.lock:
            self._denials += n

    def take_denial(self) -> bool:
        with self.lock:
            if self._denials > 0:
                self._denials -= 1
                return True
            return False

    def rotate_keys(self) -> None:
        """A new signing key with a new kid (the old one stays published, as Google does)."""
        key = RSAKey.generate_key(
            2048, parameters={"kid": f"k{len(self.keys) + 1}", "alg": "RS256"}
        )
        self.keys.append(key)
        self.signing_key = key

    # -- URLs / settings
    @property
    def issuer(self) -> str:
        return self.base_url

    @property
    def authorize_url(self) -> str:
        return f"{self.base_url}/o/oauth2/v2/auth"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/token"

    @property
    def jwks_url(self) -> str:
        return f"{self.base_url}/oauth2/v3/certs"

    def env(self) -> dict[str, str]:
        return {
            "GOOGLE_CLIENT_ID": self.client_id,
            "GOOGLE_CLIENT_SECRET": self.client_secret,
            "GOOGLE_AUTH_URL": self.authorize_url,
            "GOOGLE_TOKEN_URL": self.token_url,
            "GOOGLE_JWKS_URL": self.jwks_url,
            "GOOGLE_ISSUER": self.issuer,
        }

    # -- tokens
    def id_token(self, account: dict[str, Any], client_id: str, nonce: str | None) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer_override or self.issuer,
            "azp": client_id,
            "aud": self.audience_override or client_id,
            "sub": account["sub"],
            "iat": now,
            "exp": now + self.id_token_lifetime,
        }
        for key in ("email", "email_verified", "name", "picture", "given_name"):
            if key in account:
                claims[key] = account[key]
        if nonce:
            claims["nonce"] = nonce
        header = {"alg": "RS256", "kid": self.signing_key.kid, "typ": "JWT"}
        return jwt.encode(header, claims, self.signing_key)

    # -- endpoints
    def routes(self) -> list[BaseRoute]:
        return [
            Route("/o/oauth2/v2/auth", self.oauth.authorize, methods=["GET"]),
            Route("/token", self.oauth.token, methods=["POST"]),
            Route("/oauth2/v3/certs", self.certs, methods=["GET"]),
            Route("/.well-known/openid-configuration", self.discovery, methods=["GET"]),
            Route("/v1/userinfo", self.userinfo, methods=["GET"]),
        ]

    async def certs(self, request: Request) -> Response:
        keyset = KeySet(list(self.keys))
        return JSONResponse(
            keyset.as_dict(private=False), headers={"Cache-Control": "public, max-age=19800"}
        )

    async def discovery(self, request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": self.authorize_url,
                "token_endpoint": self.token_url,
                "userinfo_endpoint": f"{self.base_url}/v1/userinfo",
                "jwks_uri": self.jwks_url,
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["plain", "S256"],
            }
        )

    async def userinfo(self, request: Request) -> Response:
        if self.oauth.user_for(request) is None:
            return JSONResponse(
                {"error": "invalid_request", "error_description": "Invalid Credentials"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )
        return JSONResponse(dict(self.account))


# ------------------------------------------------------------------------------ GitHub
_GITHUB_ERRORS = {
    "invalid_grant": (
        "bad_verification_code",
        "The code passed is incorrect or expired.",
        "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code",
    ),
    "invalid_client": (
        "incorrect_client_credentials",
        "The client_id and/or client_secret passed are incorrect.",
        "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#incorrect-client-credentials",
    ),
}


class _GitHubOAuth(OAuthProvider):
    def __init__(self, fake: GitHubFake, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fake = fake
        self.grants: dict[str, str] = {}  # code → GitHub user id that consented

    async def authorize(self, request: Request) -> Response:
        q = request.query_params
        redirect_uri = q.get("redirect_uri", "")
        if q.get("client_id") in self.clients and redirect_uri and self.fake.take_denial():
            return _error_redirect(
                redirect_uri,
                q.get("state"),
                error="access_denied",
                error_description="The user has denied your application access.",
                error_uri="https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied",
            )
        # GitHub sends response_type implicitly; tolerate its absence like github.com.
        if "response_type" not in q:
            scope = dict(request.scope)
            scope["query_string"] = (request.url.query + "&response_type=code").encode()
            request = Request(scope, request.receive)
        response = await super().authorize(request)
        code = _code_from(response)
        if code is not None:
            with self.lock:
                self.grants[code] = str(self.fake.account["id"])
        return response

    async def token(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        user_id = self.grants.pop(form.get("code", ""), None)
        if user_id is not None:
            self.user_id = user_id  # tokens issued below belong to the consenting user
        response = await super().token(request)
        body = json.loads(response.body)
        if response.status_code != 200:
            error, description, uri = _GITHUB_ERRORS.get(
                body.get("error", ""), (body.get("error", "error"), "", "")
            )
            body = {"error": error, "error_description": description, "error_uri": uri}
        else:
            body = {
                "access_token": "gho_" + body["access_token"][3:],
                "token_type": "bearer",
                "scope": body.get("scope", "").replace(" ", ","),
            }
            with self.lock:  # re-key the issued token under its gho_ name
                tok = self.access.pop("at-" + body["access_token"][4:])
                self.access[body["access_token"]] = tok
        # GitHub answers 200 for errors too; JSON only when asked for it.
        if "application/json" in request.headers.get("accept", ""):
            return JSONResponse(body, status_code=200)
        return Response(urlencode(body), media_type="application/x-www-form-urlencoded")

    def user_for(self, request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("token "):
            scope = dict(request.scope)
            headers = [(k, v) for k, v in scope["headers"] if k != b"authorization"]
            headers.append((b"authorization", b"Bearer " + auth[6:].encode()))
            scope["headers"] = headers
            request = Request(scope)
        return super().user_for(request)


class GitHubFake(FakeServer):
    client_id = "Iv1.fakegithubclient"
    client_secret = "fake-github-secret-0123456789abcdef"

    def __init__(self) -> None:
        super().__init__()
        self.account: dict[str, Any] = {
            "id": 583231,
            "login": "octocat",
            "name": "The Octocat",
            "email": None,  # public email: often unset, hence /user/emails
        }
        self.emails: list[dict[str, Any]] = [
            {"email": "octo@example.com", "primary": True, "verified": True, "visibility": None}
        ]
        self.oauth = _GitHubOAuth(
            self,
            clients={self.client_id: self.client_secret},
            user_id=str(self.account["id"]),
            require_pkce=False,  # GitHub accepts PKCE but does not require it
            access_ttl=None,  # OAuth app tokens do not expire
            issue_refresh=False,
            default_scope="read:user user:email",
        )
        self._denials = 0

    def deny_next(self, n: int = 1) -> None:
        with self.lock:
            self._denials += n

    def take_denial(self) -> bool:
        with self.lock:
            if self._denials > 0:
                self._denials -= 1
                return True
            return False

    @property
    def authorize_url(self) -> str:
        return f"{self.base_url}/login/oauth/authorize"

    def env(self) -> dict[str, str]:
        return {
            "GITHUB_CLIENT_ID": self.client_id,
            "GITHUB_CLIENT_SECRET": self.client_secret,
            "GITHUB_AUTH_BASE": self.base_url,
            "GITHUB_API_BASE": self.base_url,
        }

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/login/oauth/authorize", self.oauth.authorize, methods=["GET"]),
            Route("/login/oauth/access_token", self.oauth.token, methods=["POST"]),
            Route("/user", self.user, methods=["GET"]),
            Route("/user/emails", self.user_emails, methods=["GET"]),
        ]

    def _gate(self, request: Request) -> tuple[str | None, Response | None]:
        if not request.headers.get("user-agent"):
            return None, JSONResponse(
                {
                    "message": "Request forbidden by administrative rules. Please make sure "
                    "your request has a User-Agent header "
                    "(https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required)."
                },
                status_code=403,
            )
        uid = self.oauth.user_for(request)
        if uid is None:
            return None, JSONResponse(
                {
                    "message": "Bad credentials",
                    "documentation_url": "https://docs.github.com/rest",
                    "status": "401",
                },
                status_code=401,
            )
        return uid, None

    def _scopes(self, request: Request) -> set[str]:
        auth = request.headers.get("authorization", "")
        tok = self.oauth.access.get(auth.split(" ", 1)[-1].strip())
        raw = (tok.scope if tok else "") or ""
        return set(raw.replace(",", " ").split())

    async def user(self, request: Request) -> Response:
        uid, refused = self._gate(request)
        if refused is not None:
            return refused
        if uid != str(self.account["id"]):
            return JSONResponse({"message": "Not Found"}, status_code=404)
        account = dict(self.account)
        account.setdefault("node_id", "MDQ6VXNlcjU4MzIzMQ==")
        account.setdefault("avatar_url", "https://avatars.example/u/583231")
        account["type"] = "User"
        return JSONResponse(account, headers={"X-OAuth-Scopes": ", ".join(self._scopes(request))})

    async def user_emails(self, request: Request) -> Response:
        _uid, refused = self._gate(request)
        if refused is not None:
            return refused
        if "user:email" not in self._scopes(request) and "user" not in self._scopes(request):
            return JSONResponse(
                {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"},
                status_code=404,
            )
        return JSONResponse(list(self.emails))


def new_sub() -> str:
    """A Google-style numeric subject."""
    return str(10**20 + secrets.randbelow(10**20))
