"""Outbound webhooks: register endpoints, see deliveries, redeliver (aigrowth.api.webhooks)."""

from __future__ import annotations

import uuid

from fastapi import Response, status

from aigrowth.api import webhooks
from aigrowth.api.deps import Db, Reader, Writer
from aigrowth.api.models import WebhookDelivery, WebhookEndpoint
from aigrowth.api.problems import ApiProblem
from aigrowth.api.routing import api_router
from aigrowth.api.schemas import Delivery, Endpoint, EndpointCreate, EndpointCreated

router = api_router(prefix="/webhooks", tags=["webhooks"])


def _endpoint(e: WebhookEndpoint) -> Endpoint:
    return Endpoint(
        id=e.id,
        url=e.url,
        events=list(e.events or []),
        description=e.description,
        active=e.active,
        created_at=e.created_at,
    )


def _delivery(d: WebhookDelivery) -> Delivery:
    return Delivery.model_validate(d, from_attributes=True)


def _refused(exc: Exception) -> ApiProblem:
    if isinstance(exc, LookupError):
        return ApiProblem("not-found", str(exc).strip("'\""))
    if isinstance(exc, webhooks.UnsafeWebhookURL):
        return ApiProblem("unsafe-url", str(exc))
    return ApiProblem("invalid-request", str(exc))


@router.get("", response_model=list[Endpoint], summary="Your webhook endpoints")
def list_endpoints(who: Reader, db: Db) -> list[Endpoint]:
    return [_endpoint(e) for e in webhooks.list_endpoints(who.user_id, session=db)]


@router.post(
    "",
    response_model=EndpointCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Register an endpoint (the signing secret is shown once)",
)
def create_endpoint(body: EndpointCreate, who: Writer, db: Db) -> EndpointCreated:
    try:
        row, secret = webhooks.create_endpoint(
            who.user_id, body.url, list(body.events), session=db, description=body.description
        )
    except webhooks.WebhookError as exc:
        raise _refused(exc) from exc
    return EndpointCreated(**_endpoint(row).model_dump(), secret=secret)


@router.delete(
    "/{endpoint_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Remove an endpoint",
)
def delete_endpoint(endpoint_id: uuid.UUID, who: Writer, db: Db) -> Response:
    try:
        webhooks.delete_endpoint(endpoint_id, user_id=who.user_id, session=db)
    except LookupError as exc:
        raise _refused(exc) from exc
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{endpoint_id}/deliveries",
    response_model=list[Delivery],
    summary="The latest deliveries to an endpoint, with every attempt",
)
def list_deliveries(endpoint_id: uuid.UUID, who: Reader, db: Db) -> list[Delivery]:
    try:
        rows = webhooks.list_deliveries(endpoint_id, user_id=who.user_id, session=db)
    except LookupError as exc:
        raise _refused(exc) from exc
    return [_delivery(d) for d in rows]


@router.post(
    "/deliveries/{delivery_id}/redeliver",
    response_model=Delivery,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a delivery again",
)
def redeliver(delivery_id: uuid.UUID, who: Writer, db: Db) -> Delivery:
    try:
        row = webhooks.redeliver(delivery_id, user_id=who.user_id, session=db)
    except (LookupError, webhooks.WebhookError) as exc:
        raise _refused(exc) from exc
    return _delivery(row)
