"""Social accounts: list with health, start a connect (the authorize URL), disconnect.

The OAuth callback stays where the UI's is (/oauth/<platform>/callback): the URL
returned here is opened in a browser signed in to the app as the key's owner.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from aigrowth.api.deps import Db, Reader, Writer
from aigrowth.api.problems import ApiProblem
from aigrowth.api.routing import api_router
from aigrowth.api.schemas import Account, ConnectRequest, ConnectStart, Disconnected
from aigrowth.social import service

router = api_router(prefix="/social", tags=["social"])


def _when(value: str) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@router.get(
    "/accounts", response_model=list[Account], summary="Connected accounts and their health"
)
def list_accounts(who: Reader, db: Db) -> list[Account]:
    return [
        Account(
            id=uuid.UUID(a.id),
            platform=a.platform,
            handle=a.handle,
            display_name=a.display_name,
            instance_url=a.instance_url,
            account_type=a.account_type,
            health=a.health,  # type: ignore[arg-type]
            reason=a.reason,
            last_published_at=_when(a.last_published_at),
            connected_at=datetime.fromisoformat(a.connected_at),
        )
        for a in service.list_accounts(who.user_id, session=db)
    ]


@router.post("/connect", response_model=ConnectStart, summary="Start connecting an account")
def start_connect(body: ConnectRequest, who: Writer, db: Db) -> ConnectStart:
    extra = {"account_type": body.account_type} if body.account_type else None
    url = service.begin_connect(
        body.platform,
        user_id=who.user_id,
        session=db,
        instance_url=body.instance_url,
        extra=extra,
    )
    return ConnectStart(authorize_url=url)


@router.delete(
    "/accounts/{account_id}", response_model=Disconnected, summary="Disconnect an account"
)
def disconnect(account_id: uuid.UUID, who: Writer, db: Db) -> Disconnected:
    try:
        service.get_account(account_id, user_id=who.user_id, session=db)
    except service.SocialError as exc:
        raise ApiProblem("not-found", str(exc)) from exc
    return Disconnected(
        revoked_at_platform=service.disconnect(account_id, user_id=who.user_id, session=db)
    )
