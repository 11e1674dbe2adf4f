# ruff: noqa: F811  (pytest fixtures imported from api_support are parameters here)
"""A script's whole day through the API, with real parts: connect Mastodon (the fake's
authorize page, the app's own callback), register a webhook, create a post, publish
it now (the real publish job posts to the fake), receive the signed post.published."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from rq import SimpleWorker
from sqlmodel import Session

from aigrowth.accounts.service import create_session
from aigrowth.queues import PUBLISH
from aigrowth.redis_client import get_redis
from tests.fakes.mastodon import MastodonFake
from tests.fakes.social_support import authorize, callback_client, serve
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.integration.api_support import api, live_app, make_api_founder  # noqa: F401
from tests.integration.test_api_webhooks import documented_check, receiver, run_jobs  # noqa: F401
from workers import webhook_jobs


@pytest.fixture
def mastodon(app_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[MastodonFake]:
    yield from serve(MastodonFake(), monkeypatch, SOCIAL_HTTP_TIMEOUT="5")


def test_connect_publish_and_get_the_webhook(
    api: httpx.Client, session: Session, mastodon: MastodonFake, receiver: WebhookReceiver
) -> None:
    f = make_api_founder(session)
    h = f.headers()
    start = api.post(
        "/social/connect",
        headers=h,
        json={"platform": "mastodon", "instance_url": mastodon.base_url},
    )
    assert start.status_code == 200, start.text
    url = start.json()["authorize_url"]
    assert url.startswith(mastodon.base_url)
    # The founder opens it in the browser where they are signed in to the app.
    done = callback_client(create_session(f.user.id, session=session)).get(authorize(url))
    assert done.status_code == 303, done.text
    (account,) = api.get("/social/accounts", headers=h).json()
    assert account["platform"] == "mastodon" and account["health"] == "active"

    hook = api.post(
        "/webhooks", headers=h, json={"url": receiver.url, "events": ["post.published"]}
    ).json()
    post = api.post(
        "/content",
        headers=h,
        json={
            "business_id": str(f.business.id),
            "platform": "mastodon",
            "text": "Fresh roast, out now",
        },
    ).json()
    sent = api.post(f"/content/{post['id']}/publish", headers=h)
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] in ("scheduled", "publishing")
    SimpleWorker([PUBLISH], connection=get_redis()).work(burst=True)
    got = api.get(f"/content/{post['id']}", headers=h).json()
    assert got["status"] == "published", got
    assert [s["text"] for s in mastodon.creates_of("status")] == ["Fresh roast, out now"]
    # Published twice? No: a second "publish now" is refused, the platform has one post.
    again = api.post(f"/content/{post['id']}/publish", headers=h)
    assert again.status_code == 409, again.text
    assert len(mastodon.creates_of("status")) == 1

    webhook_jobs.tick()
    run_jobs()
    (delivery,) = receiver.received
    assert documented_check(hook["secret"], delivery.headers, delivery.body)
    event = json.loads(delivery.body)
    assert event["type"] == "post.published" and event["data"]["id"] == post["id"]
    assert event["data"]["remote_url"] == got["remote_url"]
