"""Fake Stripe: the API subset the app uses, driven through the real `stripe` library.

Point STRIPE_API_BASE at `base_url` (see `settings()`). Behaviour follows Stripe's docs
for API version 2026-10-28 (the pinned library's):

- Bearer secret key required (401 `invalid_request_error` otherwise); form-encoded
  bodies with bracketed keys; `Idempotency-Key` replays the first answer for a key.
- Errors: `{"error": {"type", "message", "code", "param"}}`, 404 resource_missing.
- POST /v1/customers, GET /v1/customers/{id}
- POST /v1/checkout/sessions (subscription mode, known prices, success/cancel URLs),
  GET /v1/checkout/sessions/{id}; the session's `url` is a page here whose "Pay"
  button creates the subscription and a paid invoice, sends the webhooks and returns
  the browser to `success_url` (with `{CHECKOUT_SESSION_ID}` filled in).
- POST /v1/billing_portal/sessions; its page cancels at period end (or renews).
- GET /v1/subscriptions/{id}, GET /v1/subscriptions?customer=&status=all: the period
  lives on the subscription item (`items.data[].current_period_end`), as since
  2025-03-31; invoices name their subscription under `parent.subscription_details`.

Webhooks are signed exactly like Stripe's: header `Stripe-Signature: t=<unix>,v1=<hex
HMAC-SHA256 of "<t>.<raw body>" with the endpoint secret>`, each event a snapshot of
the object when it happened. Knobs: `duplicates` (each event delivered N times at the
same moment), `delay_s`, `hold` (queue events; `release(order)` sends them in any order,
e.g. reversed), `sign_offset_s` (stale timestamps), `deliveries` records answers.
Test-side helpers make Stripe-side things happen: `pay`, `fail_payment`,
`recover_payment`, `cancel_at_period_end`, `delete_subscription`, `change_price`.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.fakes.common import FakeServer

API_VERSION = "2026-10-28.endive"
MONTH_S = 30 * 86400


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def stripe_error(status: int, message: str, *, code: str = "", param: str = "") -> JSONResponse:
    err: dict[str, Any] = {"type": "invalid_request_error", "message": message}
    if code:
        err["code"] = code
    if param:
        err["param"] = param
    return JSONResponse({"error": err}, status_code=status)


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding (`a[b][0][c]=v`) into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node: Any = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            nxt_is_index = not last and parts[i + 1].isdigit()
            if isinstance(node, list):
                idx = int(part)
                while len(node) <= idx:
                    node.append({} if not last else None)
                if last:
                    node[idx] = value
                else:
                    if not isinstance(node[idx], (dict, list)):
                        node[idx] = [] if nxt_is_index else {}
                    node = node[idx]
            elif last:
                node[part] = value
            else:
                node = node.setdefault(part, [] if nxt_is_index else {})
    return root


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


@dataclass
class Delivery:
    event_id: str
    type: str
    status: int


class StripeFake(FakeServer):
    def __init__(
        self,
        *,
        secret_key: str = "sk_test_fake",
        webhook_secret: str = "whsec_test_fake",
        prices: dict[str, int] | None = None,
    ) -> None:
        super().__init__()
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret
        # price id -> monthly amount in cents
        self.prices = prices or {"price_pro": 2900, "price_enterprise": 19900}
        self.customers: dict[str, dict[str, Any]] = {}
        self.checkout_sessions: dict[str, dict[str, Any]] = {}
        self.portal_sessions: dict[str, dict[str, Any]] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.invoices: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.idempotent: dict[str, tuple[int, bytes]] = {}
        # webhook delivery knobs
        self.webhook_url = ""
        self.duplicates = 1
        self.delay_s = 0.0
        self.hold = False
        self.sign_offset_s = 0
        self.pending: list[dict[str, Any]] = []
        self.deliveries: list[Delivery] = []
        self._threads: list[threading.Thread] = []

    def settings(self) -> dict[str, str]:
        return {
            "STRIPE_SECRET_KEY": self.secret_key,
            "STRIPE_WEBHOOK_SECRET": self.webhook_secret,
            "STRIPE_PRICE_PRO": "price_pro",
            "STRIPE_PRICE_ENTERPRISE": "price_enterprise",
            "STRIPE_API_BASE": self.base_url,
        }

    def routes(self) -> list[Route]:
        return [
            Route("/v1/customers", self.create_customer, methods=["POST"]),
            Route("/v1/customers/{cid}", self.get_customer, methods=["GET"]),
            Route("/v1/checkout/sessions", self.create_checkout, methods=["POST"]),
            Route("/v1/checkout/sessions/{sid}", self.get_checkout, methods=["GET"]),
            Route("/v1/billing_portal/sessions", self.create_portal, methods=["POST"]),
            Route("/v1/subscriptions", self.list_subscriptions, methods=["GET"]),
            Route("/v1/subscriptions/{sid}", self.get_subscription, methods=["GET"]),
            Route("/c/pay/{sid}", self.pay_page, methods=["GET"]),
            Route("/c/pay/{sid}", self.pay_submit, methods=["POST"]),
            Route("/p/session/{pid}", self.portal_page, methods=["GET"]),
            Route("/p/session/{pid}/cancel", self.portal_cancel, methods=["POST"]),
            Route("/p/session/{pid}/renew", self.portal_renew, methods=["POST"]),
        ]

    # ------------------------------------------------------------ plumbing
    def _auth(self, request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        if header != f"Bearer {self.secret_key}":
            return stripe_error(401, "Invalid API Key provided: sk_****")
        return None

    async def _params(self, request: Request) -> dict[str, Any]:
        if request.method == "GET":
            return decode_form(list(request.query_params.multi_items()))
        form = await request.form()
        return decode_form([(k, str(v)) for k, v in form.multi_items()])

    async def _api(self, request: Request, handler: Any) -> Response:
        denied = self._auth(request)
        if denied is not None:
            return denied
        key = request.headers.get("idempotency-key", "") if request.method == "POST" else ""
        if key and key in self.idempotent:
            status, body = self.idempotent[key]
            return Response(
                body,
                status_code=status,
                media_type="application/json",
                headers={"Idempotent-Replayed": "true"},
            )
        with self.lock:
            response = handler(await self._params(request))
        if key:
            self.idempotent[key] = (response.status_code, bytes(response.body))
        return response

    # ------------------------------------------------------------ API
    async def create_customer(self, request: Request) -> Response:
        def run(p: dict[str, Any]) -> Response:
            cid = _id("cus")
            self.customers[cid] = {
                "id": cid,
                "object": "customer",
                "email": p.get("email"),
                "name": p.get("name"),
                "metadata": p.get("metadata") or {},
                "created": int(time.time()),
                "livemode": False,
            }
            self.record_create("customer", self.customers[cid])
            return JSONResponse(self.customers[cid])

        return await self._api(request, run)

    async def get_customer(self, request: Request) -> Response:
        cid = request.path_params["cid"]

        def run(_p: dict[str, Any]) -> Response:
            if cid not in self.customers:
                return stripe_error(
                    404, f"No such customer: '{cid}'", code="resource_missing", param="id"
                )
            return JSONResponse(self.customers[cid])

        return await self._api(request, run)

    async def create_checkout(self, request: Request) -> Response:
        def run(p: dict[str, Any]) -> Response:
            if p.get("mode") != "subscription":
                return stripe_error(400, "This fake only supports mode=subscription.", param="mode")
            customer = p.get("customer", "")
            if customer not in self.customers:
                return stripe_error(
                    400,
                    f"No such customer: '{customer}'",
                    code="resource_missing",
                    param="customer",
                )
            items = p.get("line_items") or []
            if not items or items[0].get("price") not in self.prices:
                price = items[0].get("price") if items else ""
                return stripe_error(
                    400,
                    f"No such price: '{price}'",
                    code="resource_missing",
                    param="line_items[0][price]",
                )
            if not p.get("success_url"):
                return stripe_error(
                    400, "Missing required param: success_url.", param="success_url"
                )
            sid = "cs_test_" + secrets.token_hex(16)
            session = {
                "id": sid,
                "object": "checkout.session",
                "mode": "subscription",
                "status": "open",
                "payment_status": "unpaid",
                "customer": customer,
                "client_reference_id": p.get("client_reference_id"),
                "subscription": None,
                "success_url": p["success_url"],
                "cancel_url": p.get("cancel_url"),
                "url": f"{self.base_url}/c/pay/{sid}",
                "metadata": p.get("metadata") or {},
                "expires_at": int(time.time()) + 86400,
                "livemode": False,
                "_price": items[0]["price"],
                "_sub_metadata": (p.get("subscription_data") or {}).get("metadata") or {},
            }
            self.checkout_sessions[sid] = session
            self.record_create("checkout_session", session)
            return JSONResponse(self._public(session))

        return await self._api(request, run)

    async def get_checkout(self, request: Request) -> Response:
        sid = request.path_params["sid"]

        def run(_p: dict[str, Any]) -> Response:
            if sid not in self.checkout_sessions:
                return stripe_error(
                    404,
                    f"No such checkout.session: '{sid}'",
                    code="resource_missing",
                    param="session",
                )
            return JSONResponse(self._public(self.checkout_sessions[sid]))

        return await self._api(request, run)

    async def create_portal(self, request: Request) -> Response:
        def run(p: dict[str, Any]) -> Response:
            customer = p.get("customer", "")
            if customer not in self.customers:
                return stripe_error(
                    400,
                    f"No such customer: '{customer}'",
                    code="resource_missing",
                    param="customer",
                )
            pid = _id("bps")
            portal = {
                "id": pid,
                "object": "billing_portal.session",
                "customer": customer,
                "return_url": p.get("return_url"),
                "url": f"{self.base_url}/p/session/{pid}",
                "livemode": False,
                "created": int(time.time()),
            }
            self.portal_sessions[pid] = portal
            self.record_create("portal_session", portal)
            return JSONResponse(portal)

        return await self._api(request, run)

    async def list_subscriptions(self, request: Request) -> Response:
        def run(p: dict[str, Any]) -> Response:
            status = p.get("status", "")
            subs = [
                s
                for s in self.subscriptions.values()
                if (not p.get("customer") or s["customer"] == p["customer"])
                and (
                    status == "all"
                    or (status and s["status"] == status)
                    or (not status and s["status"] != "canceled")
                )
            ]
            subs.sort(key=lambda s: -s["created"])
            limit = int(p.get("limit") or 10)
            return JSONResponse(
                {
                    "object": "list",
                    "data": subs[:limit],
                    "has_more": len(subs) > limit,
                    "url": "/v1/subscriptions",
                }
            )

        return await self._api(request, run)

    async def get_subscription(self, request: Request) -> Response:
        sid = request.path_params["sid"]

        def run(_p: dict[str, Any]) -> Response:
            if sid not in self.subscriptions:
                return stripe_error(
                    404, f"No such subscription: '{sid}'", code="resource_missing", param="id"
                )
            return JSONResponse(self.subscriptions[sid])

        return await self._api(request, run)

    @staticmethod
    def _public(obj: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in obj.items() if not k.startswith("_")}

    # ------------------------------------------------------------ hosted pages
    @staticmethod
    def _page(title: str, *body: str) -> HTMLResponse:
        return HTMLResponse(
            f"<!doctype html><html><head><title>{html.escape(title)}</title></head>"
            f"<body style='font-family:sans-serif;max-width:480px;margin:40px auto'>"
            f"<h1>{html.escape(title)}</h1>{''.join(body)}</body></html>"
        )

    async def pay_page(self, request: Request) -> Response:
        session = self.checkout_sessions.get(request.path_params["sid"])
        if session is None or session["status"] != "open":
            return self._page("This checkout session is no longer available")
        amount = self.prices[session["_price"]] / 100
        cancel = html.escape(session.get("cancel_url") or "")
        return self._page(
            "Test checkout",
            f"<p>Subscribe: {html.escape(session['_price'])} — ${amount:.2f} per month</p>",
            f"<form method='post'><button type='submit' id='pay'>Pay ${amount:.2f}</button></form>",
            f"<p><a href='{cancel}'>Back</a></p>" if cancel else "",
        )

    async def pay_submit(self, request: Request) -> Response:
        sid = request.path_params["sid"]
        if sid not in self.checkout_sessions or self.checkout_sessions[sid]["status"] != "open":
            return self._page("This checkout session is no longer available")
        session = self.pay(sid)
        url = session["success_url"].replace("{CHECKOUT_SESSION_ID}", sid)
        return RedirectResponse(url, status_code=303)

    async def portal_page(self, request: Request) -> Response:
        portal = self.portal_sessions.get(request.path_params["pid"])
        if portal is None:
            return self._page("This portal session has expired")
        subs = [
            s
            for s in self.subscriptions.values()
            if s["customer"] == portal["customer"] and s["status"] != "canceled"
        ]
        parts = []
        for sub in subs:
            end = time.strftime(
                "%d %b %Y", time.gmtime(sub["items"]["data"][0]["current_period_end"])
            )
            price = sub["items"]["data"][0]["price"]["id"]
            if sub["cancel_at_period_end"]:
                parts.append(f"<p>{price}: cancels on {end}</p>")
                action, label = "renew", "Renew plan"
            else:
                parts.append(f"<p>{price}: renews on {end}</p>")
                action, label = "cancel", "Cancel plan"
            parts.append(
                f"<form method='post' action='/p/session/{portal['id']}/{action}'>"
                f"<input type='hidden' name='sub' value='{sub['id']}'>"
                f"<button type='submit'>{label}</button></form>"
            )
        if not subs:
            parts.append("<p>No active subscriptions.</p>")
        back = html.escape(portal.get("return_url") or "")
        parts.append(f"<p><a id='return' href='{back}'>Return to the app</a></p>")
        return self._page("Test billing portal", *parts)

    async def _portal_action(self, request: Request, cancel: bool) -> Response:
        pid = request.path_params["pid"]
        portal = self.portal_sessions.get(pid)
        form = await request.form()
        sub = self.subscriptions.get(str(form.get("sub", "")))
        if portal is None or sub is None or sub["customer"] != portal["customer"]:
            return self._page("Not allowed")
        self.cancel_at_period_end(sub["id"], cancel)
        return RedirectResponse(f"/p/session/{pid}", status_code=303)

    async def portal_cancel(self, request: Request) -> Response:
        return await self._portal_action(request, True)

    async def portal_renew(self, request: Request) -> Response:
        return await self._portal_action(request, False)

    # ------------------------------------------------------------ Stripe-side events
    def _snapshot(self, obj: dict[str, Any]) -> dict[str, Any]:
        return json.loads(json.dumps(self._public(obj)))

    def emit(self, type_: str, obj: dict[str, Any]) -> dict[str, Any]:
        event = {
            "id": _id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": int(time.time()),
            "data": {"object": self._snapshot(obj)},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": type_,
        }
        self.events.append(event)
        if self.hold:
            self.pending.append(event)
        else:
            self._send_later(event)
        return event

    def _new_subscription(
        self, customer: str, price: str, metadata: dict[str, Any]
    ) -> dict[str, Any]:
        now = int(time.time())
        sid = _id("sub")
        sub = {
            "id": sid,
            "object": "subscription",
            "customer": customer,
            "status": "active",
            "cancel_at_period_end": False,
            "cancel_at": None,
            "canceled_at": None,
            "ended_at": None,
            "created": now,
            "start_date": now,
            "collection_method": "charge_automatically",
            "metadata": dict(metadata),
            "items": {
                "object": "list",
                "data": [
                    {
                        "id": _id("si"),
                        "object": "subscription_item",
                        "price": {
                            "id": price,
                            "object": "price",
                            "unit_amount": self.prices[price],
                            "currency": "usd",
                            "recurring": {"interval": "month", "interval_count": 1},
                        },
                        "quantity": 1,
                        "current_period_start": now,
                        "current_period_end": now + MONTH_S,
                    }
                ],
            },
            "latest_invoice": None,
            "livemode": False,
        }
        self.subscriptions[sid] = sub
        return sub

    def _invoice(self, sub: dict[str, Any], status: str, reason: str) -> dict[str, Any]:
        item = sub["items"]["data"][0]
        inv = {
            "id": _id("in"),
            "object": "invoice",
            "customer": sub["customer"],
            "status": status,
            "billing_reason": reason,
            "amount_due": item["price"]["unit_amount"],
            "amount_paid": item["price"]["unit_amount"] if status == "paid" else 0,
            "currency": "usd",
            "parent": {
                "type": "subscription_details",
                "subscription_details": {"subscription": sub["id"], "metadata": sub["metadata"]},
            },
            "created": int(time.time()),
            "livemode": False,
        }
        self.invoices[inv["id"]] = inv
        sub["latest_invoice"] = inv["id"]
        return inv

    def pay(self, session_id: str) -> dict[str, Any]:
        """The customer pays on the checkout page: subscription + paid invoice, events
        checkout.session.completed, customer.subscription.created, invoice.paid."""
        with self.lock:
            session = self.checkout_sessions[session_id]
            sub = self._new_subscription(
                session["customer"], session["_price"], session["_sub_metadata"]
            )
            inv = self._invoice(sub, "paid", "subscription_create")
            session.update(status="complete", payment_status="paid", subscription=sub["id"])
            self.emit("customer.subscription.created", sub)
            self.emit("checkout.session.completed", session)
            self.emit("invoice.paid", inv)
        return session

    def subscribe(self, customer: str, price: str = "price_pro") -> dict[str, Any]:
        """A subscription made outside Checkout (e.g. in the Dashboard)."""
        with self.lock:
            sub = self._new_subscription(customer, price, {})
            self.emit("customer.subscription.created", sub)
        return sub

    def _update(self, sub_id: str, **changes: Any) -> dict[str, Any]:
        with self.lock:
            sub = self.subscriptions[sub_id]
            sub.update(changes)
            self.emit("customer.subscription.updated", sub)
        return sub

    def fail_payment(self, sub_id: str) -> dict[str, Any]:
        with self.lock:
            sub = self.subscriptions[sub_id]
            inv = self._invoice(sub, "open", "subscription_cycle")
            self.emit("invoice.payment_failed", inv)
            return self._update(sub_id, status="past_due")

    def recover_payment(self, sub_id: str) -> dict[str, Any]:
        with self.lock:
            sub = self.subscriptions[sub_id]
            inv = self._invoice(sub, "paid", "subscription_cycle")
            self.emit("invoice.paid", inv)
            return self._update(sub_id, status="active")

    def cancel_at_period_end(self, sub_id: str, cancel: bool = True) -> dict[str, Any]:
        sub = self.subscriptions[sub_id]
        end = sub["items"]["data"][0]["current_period_end"]
        return self._update(
            sub_id,
            cancel_at_period_end=cancel,
            cancel_at=end if cancel else None,
            canceled_at=int(time.time()) if cancel else None,
        )

    def change_price(self, sub_id: str, price: str) -> dict[str, Any]:
        with self.lock:
            item = self.subscriptions[sub_id]["items"]["data"][0]
            item["price"] = {**item["price"], "id": price, "unit_amount": self.prices[price]}
            return self._update(sub_id)

    def delete_subscription(self, sub_id: str) -> dict[str, Any]:
        with self.lock:
            sub = self.subscriptions[sub_id]
            now = int(time.time())
            sub.update(status="canceled", ended_at=now, canceled_at=sub["canceled_at"] or now)
            self.emit("customer.subscription.deleted", sub)
        return sub

    # ------------------------------------------------------------ delivery
    def payload(self, event: dict[str, Any]) -> bytes:
        return json.dumps(event, indent=2).encode()

    def deliver(
        self,
        event: dict[str, Any],
        *,
        times: int = 1,
        secret: str | None = None,
        timestamp: int | None = None,
        body: bytes | None = None,
    ) -> list[int]:
        """POST the event to `webhook_url` `times` times at once (threads released
        together); returns the status codes."""
        raw = body if body is not None else self.payload(event)
        ts = timestamp if timestamp is not None else int(time.time()) + self.sign_offset_s
        header = sign(
            self.payload(event) if body is not None else raw, secret or self.webhook_secret, ts
        )
        barrier = threading.Barrier(times)
        codes: list[int] = []

        def one() -> None:
            barrier.wait()
            try:
                resp = httpx.post(
                    self.webhook_url,
                    content=raw,
                    headers={
                        "Content-Type": "application/json; charset=utf-8",
                        "Stripe-Signature": header,
                        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                    },
                    timeout=30,
                )
                code = resp.status_code
            except httpx.HTTPError:
                code = 0
            with self.lock:
                codes.append(code)
                self.deliveries.append(Delivery(event["id"], event["type"], code))

        threads = [threading.Thread(target=one) for _ in range(times)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return codes

    def _send_later(self, event: dict[str, Any]) -> None:
        if not self.webhook_url:
            return

        def run() -> None:
            if self.delay_s:
                time.sleep(self.delay_s)
            self.deliver(event, times=self.duplicates)

        thread = threading.Thread(target=run, daemon=True)
        self._threads.append(thread)
        thread.start()

    def release(self, order: list[int] | None = None, *, reverse: bool = False) -> None:
        """Deliver held events (one by one, in `order` of their indexes, or reversed)."""
        with self.lock:
            held, self.pending = self.pending, []
        seq = [held[i] for i in order] if order is not None else held
        for event in reversed(seq) if reverse else seq:
            self.deliver(event, times=self.duplicates)

    def drain(self, timeout: float = 30) -> None:
        """Wait for background deliveries to finish."""
        deadline = time.monotonic() + timeout
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))
