"""``HttpBackend``: the ``Backend`` protocol over HTTP against ``yibao serve``.

- One ``httpx.AsyncClient`` per backend; TLS certificates are verified unless told otherwise.
- Timeouts on connect and read (a timed-out call is retried once, so a hung server costs at
  most two timeouts). A GET is retried after a transport failure; a POST is retried
  only with the same ``Idempotency-Key`` (the caller's ``key``, or one uuid4 made per logical
  call), so a retry after a lost response gets the stored result instead of a second charge.
  ``502``/``503``/``504`` (a proxy's, too) are retried the same way. ``409 IN_PROGRESS`` (the
  same key still running, or left by a server that died and has not restarted yet) is waited
  out: retried with the same key, after the server's ``Retry-After``, for at most
  ``IN_PROGRESS_WAIT`` seconds (``in_progress_wait``); then ``IN_PROGRESS`` with a message that
  names the wait and says a retry with the same key is safe.
- The token comes from the caller, else ``$YIBAO_TOKEN``, else the keyring entry that
  ``yibao login`` stored for this URL. It is never logged, shown, or put in an error.
- Every request carries ``Accept-Language`` with the current language (the CLI's ``--lang``,
  the app's choice): the server's messages and texts come back in it.
- A refusal from the server becomes the same ``YibaoError`` code the local backend raises; an
  unreachable or failing server, or an answer that is not the API's (a proxy's page, JSON of
  another shape), becomes ``BACKEND_UNAVAILABLE`` with a message in the user's language.
- No full ID number reaches a log through httpx (its request lines hold the person's URL).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import random
import re
import uuid
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import httpx

from yibao_tui.backend.base import Actor
from yibao_tui.domain.errors import YibaoError
from yibao_tui.domain.masking import mask_id
from yibao_tui.domain.models import (
    AuditPage,
    AuditRow,
    Balance,
    Binding,
    BindingRules,
    CreditResult,
    ImportResult,
    Operator,
    OperatorInfo,
    Person,
    PersonMatchPage,
    PremiumPayment,
    PremiumQuote,
    PremiumYears,
    SpendResult,
    StatementPage,
    Summary,
    VerifyReport,
    WithdrawalCases,
    WithdrawalReceipt,
    WithdrawalVerdict,
)
from yibao_tui.i18n import catalogue, get_lang, t

T = TypeVar("T")

KEYRING_SERVICE = "yibao-tui"
#: Codes worth another attempt with the same request (and the same idempotency key).
RETRY_CODES = frozenset({"IN_PROGRESS", "DATABASE_BUSY"})
RETRY_STATUSES = frozenset({502, 503, 504})
#: Codes that tell of the server's own condition: its message (in our language) says it best.
SERVER_SIDE_CODES = frozenset({"DATABASE_BUSY", "DATABASE_CORRUPT", "DATABASE_UNAVAILABLE", "INTERNAL"})
#: Calls that may legitimately take long (bulk work on the server).
LONG_TIMEOUT = 600.0
#: How long (seconds) a call waits for a request with the same key that is still in progress.
IN_PROGRESS_WAIT = 30.0

#: Session tokens opened in this process, by (url, channel, operator or person). The counter
#: app logs in on its window's backend, then makes a backend for ``Actor("counter", operator)``:
#: that backend finds the operator's session here. Kept in memory only, never written anywhere.
_SESSIONS: dict[tuple[str, str, str], str] = {}


def normalise_url(url: str) -> str:
    """``http(s)://host[:port][/prefix]`` without a trailing slash, or ``INVALID_ARGUMENT``."""
    value = (url or "").strip().rstrip("/")
    if not value.lower().startswith(("http://", "https://")) or len(value) < 8:
        raise YibaoError("INVALID_ARGUMENT", detail=t("http.invalid_url", url=value[:200]))
    return value


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (``127.0.0.0/8``, ``::1``): traffic that never
    leaves this machine."""
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_transport(url: str, insecure: bool = False) -> None:
    """Refuse to send a bearer token over plain ``http://`` to another machine
    (``INSECURE_TRANSPORT``) unless the user said ``--insecure``. ``https://`` and loopback
    addresses are always fine."""
    parts = urlsplit(url)
    if parts.scheme.lower() == "https" or insecure:
        return
    host = parts.hostname or ""
    if not is_loopback(host):
        raise YibaoError("INSECURE_TRANSPORT", host=host[:100] or url[:100])


def stored_token(url: str) -> str | None:
    """The token ``yibao login`` saved for ``url``, or None (also when there is no keyring)."""
    try:
        import keyring
        from keyring.errors import KeyringError

        try:
            return keyring.get_password(KEYRING_SERVICE, normalise_url(url))
        except KeyringError:
            return None
    except Exception:  # a broken keyring backend must not stop the CLI
        return None


def resolve_token(url: str) -> str | None:
    """``$YIBAO_TOKEN`` (for scripts), else the keyring entry for ``url``."""
    return os.environ.get("YIBAO_TOKEN") or stored_token(url)


class RemoteError(YibaoError):
    """A refusal from the server: the same code, with the server's text as a last resort."""

    def __init__(self, code: str, server_message: str, lang: str | None = None, **params: Any) -> None:
        super().__init__(code, **params)
        self.server_message = server_message
        #: The language the server was asked to answer in.
        self.lang = lang

    def message(self, lang: str | None = None) -> str:
        """The local catalogue's text; the server's when the code or its parameters are unknown
        here, or when it tells of the server's own condition (its ledger) in this language."""
        key = f"error.{self.code}"
        if self.code == "IN_PROGRESS" and isinstance(self.params.get("waited"), int | float):
            return t("http.in_progress", lang=lang, seconds=f"{self.params['waited']:g}")
        if key not in catalogue(lang):
            return self.server_message or self.code
        if self.code in SERVER_SIDE_CODES and self.server_message and (lang or get_lang()) == self.lang:
            return self.server_message
        text = super().message(lang)
        return self.server_message if "{" in text and self.server_message else text


def _object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise TypeError("not a JSON object")
    return data


def _understood(parse: Callable[[Any], T], data: Any, status: int) -> T:
    """``parse(data)``; an answer of the wrong shape (a proxy's page, another service) is
    ``BACKEND_UNAVAILABLE``, never a traceback."""
    try:
        return parse(data)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        raise YibaoError("BACKEND_UNAVAILABLE", detail=t("http.bad_response", status=status)) from None


def _path(*parts: str) -> str:
    return "/v1/" + "/".join(quote(str(p), safe="") for p in parts)


class HttpBackend:
    """The ledger behind ``yibao serve`` at ``url``."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        actor: Actor | None = None,
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
        retries: int = 4,
        timeout_retries: int = 1,
        backoff: float = 0.1,
        verify: bool | str = True,
        in_progress_wait: float = IN_PROGRESS_WAIT,
        insecure: bool = False,
    ) -> None:
        self.url = normalise_url(url)
        check_transport(self.url, insecure)
        self.actor = actor or Actor("http")
        self._token = token
        self._session: tuple[str, str, str] | None = None
        self._retries = max(0, retries)
        self._timeout_retries = max(0, timeout_retries)
        self._backoff = backoff
        self._in_progress_wait = max(0.0, in_progress_wait)
        self._timeout = httpx.Timeout(timeout, connect=connect_timeout)
        self._verify = verify
        self._clients: dict[int, tuple[asyncio.AbstractEventLoop, httpx.AsyncClient]] = {}

    @property
    def _client(self) -> httpx.AsyncClient:
        """The connection pool of the running event loop (a pool cannot cross loops, and the
        CLI may run several ``asyncio.run`` calls on one backend)."""
        loop = asyncio.get_running_loop()
        entry = self._clients.get(id(loop))
        if entry is None or entry[0] is not loop:
            client = httpx.AsyncClient(base_url=self.url, timeout=self._timeout, verify=self._verify,
                                       follow_redirects=False)
            self._clients = {k: v for k, v in self._clients.items() if not v[0].is_closed()}
            self._clients[id(loop)] = entry = (loop, client)
        return entry[1]

    def __repr__(self) -> str:  # never the token
        return f"HttpBackend({self.url!r})"

    # ------------------------------------------------------------------ plumbing

    def _session_key(self) -> tuple[str, str, str] | None:
        if self._session is not None:
            return self._session
        if self.actor.channel in ("counter", "kiosk") and self.actor.operator:
            key = (self.url, self.actor.channel, self.actor.operator)
            return key if key in _SESSIONS else None
        return None

    def _auth(self) -> str:
        session = self._session_key()
        if session is not None and session in _SESSIONS:
            return _SESSIONS[session]
        if self._token is None:
            self._token = resolve_token(self.url)
        if not self._token:
            raise YibaoError("NO_TOKEN", url=self.url)
        return self._token

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: list[tuple[str, Any]] | None = None,
        body: dict[str, Any] | None = None,
        key: str | None = None,
        timeout: float | None = None,
        parse: Callable[[Any], T],
    ) -> T:
        lang = get_lang()
        headers = {"Authorization": f"Bearer {self._auth()}", "Accept-Language": lang}
        if method == "POST":
            headers["Idempotency-Key"] = key or str(uuid.uuid4())
        kwargs: dict[str, Any] = {"headers": headers}
        if params:
            kwargs["params"] = [(k, v) for k, v in params if v is not None]
        if body is not None:
            kwargs["json"] = body
        if timeout is not None:
            kwargs["timeout"] = httpx.Timeout(timeout, connect=self._timeout.connect)
        failure: YibaoError | None = None
        timeouts = 0
        waited = timeout if timeout is not None else self._timeout.read
        attempt = 0
        loop = asyncio.get_running_loop()
        busy_until: float | None = None  # while the same key is in progress elsewhere
        pause = 0.0
        while True:
            if pause:
                await asyncio.sleep(pause)
            elif attempt:
                delay = min(2.0, self._backoff * 2 ** (attempt - 1))
                await asyncio.sleep(delay * (0.5 + random.random() / 2))
            pause = 0.0
            try:
                response = await self._client.request(method, path, **kwargs)
            except httpx.TimeoutException:
                failure = YibaoError("BACKEND_UNAVAILABLE", detail=t("http.timeout", seconds=waited))
                timeouts += 1
                if timeouts > self._timeout_retries:  # a hung server: do not make the user wait on
                    break
                attempt += 1
                if attempt > self._retries:
                    break
                continue
            except (httpx.HTTPError, OSError) as e:
                failure = YibaoError("BACKEND_UNAVAILABLE", detail=_transport_detail(self.url, e))
                attempt += 1
                if attempt > self._retries:
                    break
                continue
            outcome = self._decode(response, lang)
            if isinstance(outcome, YibaoError):
                if outcome.code == "IN_PROGRESS" and method == "POST":
                    now = loop.time()
                    if busy_until is None:
                        busy_until = now + self._in_progress_wait
                    if now >= busy_until:
                        raise RemoteError("IN_PROGRESS", getattr(outcome, "server_message", ""), lang=lang,
                                          waited=self._in_progress_wait)
                    pause = min(_retry_after(response), busy_until - now)
                    continue
                if outcome.code in RETRY_CODES or response.status_code in RETRY_STATUSES:
                    failure = outcome
                    attempt += 1
                    if attempt > self._retries:
                        break
                    continue
                raise outcome
            return _understood(parse, outcome, response.status_code)
        assert failure is not None
        raise failure

    def _decode(self, response: httpx.Response, lang: str) -> Any:
        """The JSON result, or the error it carries (returned, for the retry loop to judge)."""
        try:
            data = response.json()
        except (ValueError, RecursionError):  # not JSON: an HTML page from a proxy, say
            data = None
        if response.status_code < 300 and data is not None:
            return data
        err = data.get("error") if isinstance(data, dict) else None
        if isinstance(err, dict) and isinstance(err.get("code"), str):
            raw = err.get("params")
            params: dict[str, Any] = raw if isinstance(raw, dict) else {}
            return RemoteError(err["code"], str(err.get("message") or ""), lang=lang, **params)
        return YibaoError("BACKEND_UNAVAILABLE", detail=t("http.bad_response", status=response.status_code))

    async def _get(self, *parts: str, parse: Callable[[Any], T], params: list[tuple[str, Any]] | None = None,
                   timeout: float | None = None) -> T:
        return await self._request("GET", _path(*parts), params=params, timeout=timeout, parse=parse)

    async def _post(self, *parts: str, parse: Callable[[Any], T], body: dict[str, Any], key: str | None,
                    timeout: float | None = None) -> T:
        return await self._request("POST", _path(*parts), body=body, key=key, timeout=timeout, parse=parse)

    # ------------------------------------------------------------------ protocol

    async def close(self) -> None:
        """End the session this backend acts in, if any, and close the connection pool."""
        try:
            await self.end_session()
        finally:
            loop = asyncio.get_running_loop()
            entry = self._clients.pop(id(loop), None)
            if entry is not None and entry[0] is loop:
                await entry[1].aclose()

    async def end_session(self) -> None:
        """End the operator's or the card's session (best effort: it also expires by itself)."""
        session = self._session_key()
        self._session = None
        if session is None:
            return
        token = _SESSIONS.pop(session, None)
        if token is None:
            return
        try:
            await self._client.post(
                "/v1/logout", json={}, timeout=2.0,
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())})
        except (httpx.HTTPError, OSError):
            pass

    async def whoami(self) -> dict[str, Any]:
        """The token's role and scope as the server sees them (not part of ``Backend``)."""
        return await self._get("whoami", parse=_object)

    async def init(self) -> str:
        """Check that the server answers and accepts the token; returns its URL."""
        await self._get("ledger", parse=_object)
        return self.url

    async def is_empty(self) -> bool:
        """True when no person is registered."""
        return await self._get("ledger", parse=lambda d: bool(d["empty"]))

    async def demo(self, persons: int = 20, seed: int = 1) -> dict[str, Any]:
        """Load demo data on the server (admin)."""
        return await self._post("demo", body={"persons": persons, "seed": seed}, key=None,
                                timeout=LONG_TIMEOUT, parse=_object)

    async def demo_owner(self) -> str | None:
        """The demo owner, or for a personal or kiosk token its own person."""
        owner = await self._get("ledger", parse=lambda d: d["demo_owner"])
        return str(owner) if owner is not None else None

    async def add_person(
        self, id: str, name: str, scheme: str, region: str, card: str | None = None,
        opening_balance_fen: int = 0, key: str | None = None,
    ) -> Person:
        """Register a person."""
        body = {"id": id, "name": name, "scheme": scheme, "region": region, "card": card,
                "opening_balance_fen": opening_balance_fen}
        return await self._post("persons", body=body, key=key, parse=Person.from_json)

    async def person(self, who: str) -> Person:
        """A person by ID or card number."""
        return await self._get("persons", who, parse=Person.from_json)

    async def balance(self, who: str) -> Balance:
        """The balance and status."""
        return await self._get("persons", who, "balance", parse=Balance.from_json)

    async def summary(self, who: str, year: int, months: int = 24) -> Summary:
        """This year's figures and month-end balances."""
        return await self._get("persons", who, "summary", params=[("year", year), ("months", months)],
                               parse=Summary.from_json)

    async def statement(
        self, who: str, date_from: str | None = None, date_to: str | None = None,
        kind: str | None = None, cursor: str | None = None, limit: int = 50, newest_first: bool = True,
        with_total: bool = False,
    ) -> StatementPage:
        """One page of the statement."""
        params = [("from", date_from), ("to", date_to), ("kind", kind), ("cursor", cursor),
                  ("limit", limit), ("order", "newest" if newest_first else "oldest")]
        if with_total:
            params.append(("total", "true"))
        return await self._get("persons", who, "statement", params=params, parse=StatementPage.from_json)

    async def credit(self, who: str, amount_fen: int, memo: str = "", key: str | None = None) -> CreditResult:
        """The monthly fund credit (admin)."""
        body = {"amount_fen": amount_fen, "memo": memo}
        return await self._post("persons", who, "credits", body=body, key=key, parse=CreditResult.from_json)

    async def spend(self, patient: str, amount_fen: int, kind: str, key: str | None = None) -> SpendResult:
        """A bill (admin)."""
        body = {"patient": patient, "amount_fen": amount_fen, "kind": kind}
        return await self._post("spending", body=body, key=key, parse=SpendResult.from_json)

    async def bindings(self, who: str, include_ended: bool = False) -> list[Binding]:
        """The holder's bindings."""
        params = [("include_ended", "true" if include_ended else "false")]
        return await self._get("persons", who, "bindings", params=params, parse=_bindings)

    async def bound_by(self, who: str) -> list[Binding]:
        """Active bindings in which ``who`` is the relative."""
        return await self._get("persons", who, "bound-by", parse=_bindings)

    async def bind(
        self, holder: str, relative: str, relation: str, verified_by: str = "counter",
        pledge_accepted: bool = True, key: str | None = None,
    ) -> Binding:
        """Bind a close relative."""
        body = {"relative": relative, "relation": relation, "verified_by": verified_by,
                "pledge_accepted": pledge_accepted}
        return await self._post("persons", holder, "bindings", body=body, key=key, parse=Binding.from_json)

    async def request_binding(self, holder: str, relative: str, relation: str, pledge_accepted: bool = True,
                              key: str | None = None) -> dict[str, Any]:
        """From an app or a kiosk: ask ``relative`` to confirm a binding (not part of ``Backend``;
        the answer is the same whether they exist or not, identities masked)."""
        body = {"relative": relative, "relation": relation, "pledge_accepted": pledge_accepted}
        return await self._post("persons", holder, "binding-requests", body=body, key=key, parse=_object)

    async def binding_requests(self, who: str) -> list[dict[str, Any]]:
        """The binding requests ``who`` made or is asked to confirm (identities masked)."""
        return await self._get("persons", who, "binding-requests", parse=lambda d: list(d["requests"]))

    async def confirm_binding(self, who: str, request_id: int, key: str | None = None) -> Binding:
        """The relative ``who`` confirms request ``request_id``: the binding is made."""
        return await self._post("persons", who, "binding-requests", str(request_id), "confirm", body={}, key=key,
                                parse=Binding.from_json)

    async def decline_binding(self, who: str, request_id: int, key: str | None = None) -> dict[str, Any]:
        """The relative ``who`` declines request ``request_id``."""
        return await self._post("persons", who, "binding-requests", str(request_id), "decline", body={}, key=key,
                                parse=_object)

    async def unbind(self, holder: str, relative: str, key: str | None = None) -> Binding:
        """End a binding."""
        return await self._post("persons", holder, "bindings", relative, "unbind", body={}, key=key,
                                parse=Binding.from_json)

    async def binding_rules(self, holder: str, channel: str | None = None) -> BindingRules:
        """What a binding form must know first: the server's policy and today, the methods it
        accepts on ``channel`` (default: this backend's actor's) from this caller."""
        params: list[tuple[str, Any]] = [("channel", channel or self.actor.channel)]
        return await self._get("persons", holder, "binding-rules", params=params, parse=BindingRules.from_json)

    async def premium_quote(self, payer: str, relative: str, year: int) -> PremiumQuote:
        """What paying the relative's premium would cost."""
        params = [("relative", relative), ("year", year)]
        return await self._get("persons", payer, "premium-quote", params=params, parse=PremiumQuote.from_json)

    async def premium_pay(self, payer: str, relative: str, year: int, key: str | None = None) -> PremiumPayment:
        """Pay it, all or nothing."""
        body = {"relative": relative, "year": year}
        return await self._post("persons", payer, "premium-payments", body=body, key=key,
                                parse=PremiumPayment.from_json)

    async def premium_payments(self, who: str) -> list[PremiumPayment]:
        """Payments made by or for ``who``."""
        return await self._get("persons", who, "premium-payments",
                               parse=lambda d: [PremiumPayment.from_json(p) for p in d["payments"]])

    async def premium_years(self, payer: str, relative: str | None = None, lang: str | None = None) -> PremiumYears:
        """The years open for payment today (the server's today; notes in the client's language)."""
        return await self._get("persons", payer, "premium-years", params=[("relative", relative)],
                               parse=PremiumYears.from_json)

    async def withdrawal_cases(self, who: str) -> WithdrawalCases:
        """The withdrawal cases the server's policy enables in ``who``'s region."""
        return await self._get("persons", who, "withdrawal-cases", parse=WithdrawalCases.from_json)

    async def withdrawal_check(self, who: str, case: str, facts: dict[str, str]) -> WithdrawalVerdict:
        """The withdrawal checklist verdict (its texts in the current language)."""
        params: list[tuple[str, Any]] = [("case", case)]
        params += [("fact", f"{k}={v}") for k, v in facts.items()]
        return await self._get("persons", who, "withdrawal-check", params=params,
                               parse=WithdrawalVerdict.from_json)

    async def verify(self) -> VerifyReport:
        """Check the whole ledger (admin)."""
        return await self._get("verify", timeout=LONG_TIMEOUT, parse=VerifyReport.from_json)

    async def audit(
        self, person: str | None = None, operator: str | None = None, since: str | None = None,
        limit: int = 1000,
    ) -> list[AuditRow]:
        """The audit log, newest first (admin)."""
        params = [("person", person), ("operator", operator), ("since", since), ("limit", limit)]
        return await self._get("audit", params=params, parse=lambda d: [AuditRow.from_json(r) for r in d["rows"]])

    async def import_persons(self, rows: list[dict[str, str]], key: str | None = None) -> ImportResult:
        """Import roster rows, all or nothing (admin)."""
        return await self._post("import", "persons", body={"rows": rows}, key=key, timeout=LONG_TIMEOUT,
                                parse=ImportResult.from_json)

    async def operator_add(self, op_id: str, name: str, role: str, password: str) -> Operator:
        """Add a member of staff (admin)."""
        body = {"id": op_id, "name": name, "role": role, "password": password}
        return await self._post("operators", body=body, key=None, parse=Operator.from_json)

    async def operator_login(self, op_id: str, password: str) -> Operator:
        """Log an operator in at this window; a backend made for ``Actor("counter", op_id)``
        then acts in the operator's session."""
        operator, token = await self._post(
            "operator-sessions", body={"operator": op_id, "password": password}, key=None,
            parse=lambda d: (Operator.from_json(d["operator"]), str(d["token"])))
        _SESSIONS[(self.url, "counter", operator.id)] = token
        return operator

    async def card_set_pin(self, card: str, pin: str) -> str:
        """Set a card's PIN (staff)."""
        return await self._post("cards", card, "pin", body={"pin": pin}, key=None, parse=lambda d: str(d["id"]))

    async def card_login(self, card: str, pin: str) -> Person:
        """Open a card session at this kiosk: from now on this backend acts in it (scoped to
        that person) until ``end_session()`` or ``close()``; a backend made for
        ``Actor("kiosk", person_id)`` finds it too."""
        person, token = await self._post(
            "kiosk-sessions", body={"card": card, "pin": pin}, key=None,
            parse=lambda d: (Person.from_json(d["person"]), str(d["token"])))
        key = (self.url, "kiosk", person.id)
        _SESSIONS[key] = token
        self._session = key
        return person

    async def withdrawal_execute(
        self, who: str, case: str, facts: dict[str, str], payee_name: str, payee_account: str,
        supervisor: str, supervisor_password: str, key: str | None = None,
    ) -> WithdrawalReceipt:
        """Counter only, supervisor co-signed: pay the balance out and close the account."""
        body = {"case": case, "facts": facts, "payee_name": payee_name, "payee_account": payee_account,
                "supervisor": supervisor, "supervisor_password": supervisor_password}
        return await self._post("persons", who, "withdrawals", body=body, key=key,
                                parse=WithdrawalReceipt.from_json)

    # --- counter staff (issue 10 items 9-11) ---------------------------------------------------
    async def find_persons(self, name: str, born: int | None = None, region: str | None = None,
                           cursor: str | None = None, limit: int = 20) -> PersonMatchPage:
        """Persons by name (staff tokens)."""
        params = [("name", name), ("born", born), ("region", region), ("cursor", cursor), ("limit", limit)]
        return await self._get("persons", params=params, parse=PersonMatchPage.from_json)

    async def audit_page(self, person: str | None = None, operator: str | None = None,
                         action: str | None = None, date_from: str | None = None,
                         date_to: str | None = None, cursor: str | None = None,
                         limit: int = 50) -> AuditPage:
        """One page of the audit log (admin, or a supervisor's window session)."""
        params = [("person", person), ("operator", operator), ("action", action), ("from", date_from),
                  ("to", date_to), ("cursor", cursor), ("limit", limit)]
        return await self._get("audit", params=params, parse=AuditPage.from_json)

    async def operators(self) -> list[OperatorInfo]:
        """Every operator (admin, or a supervisor's window session)."""
        return await self._get("operators", parse=lambda d: [OperatorInfo.from_json(o) for o in d["operators"]])

    async def _operator_post(self, op_id: str, action: str, body: dict[str, Any] | None = None) -> OperatorInfo:
        return await self._post("operators", op_id, action, body=body or {}, key=None, parse=OperatorInfo.from_json)

    async def operator_disable(self, op_id: str) -> OperatorInfo:
        """Disable an operator."""
        return await self._operator_post(op_id, "disable")

    async def operator_enable(self, op_id: str) -> OperatorInfo:
        """Enable an operator."""
        return await self._operator_post(op_id, "enable")

    async def operator_unlock(self, op_id: str) -> OperatorInfo:
        """Unlock an operator."""
        return await self._operator_post(op_id, "unlock")

    async def operator_reset_password(self, op_id: str, password: str) -> OperatorInfo:
        """Reset an operator's password."""
        return await self._operator_post(op_id, "password", {"password": password})


def _retry_after(response: httpx.Response) -> float:
    """The server's ``Retry-After`` in seconds (1 when absent or not a number of seconds)."""
    try:
        return min(60.0, max(0.05, float(response.headers.get("retry-after", "1"))))
    except ValueError:
        return 1.0


def _bindings(data: Any) -> list[Binding]:
    return [Binding.from_json(b) for b in data["bindings"]]


#: A full 18-character ID number inside a text (a URL, a message): 17 digits and a digit or X,
#: not inside a longer run of digits (a letter or a dash around it does not protect it).
ID_IN_TEXT = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")


def mask_ids(text: str) -> str:
    """``text`` with every full ID number masked (``110***********1234``)."""
    if len(text) < 18:
        return text
    return ID_IN_TEXT.sub(lambda m: mask_id(m.group(0).upper()), text)


class MaskingFilter(logging.Filter):
    """Masks ID numbers in a record's message and traceback before any handler formats it
    (httpx logs every request's URL, and a person's URL holds their ID number)."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        masked = mask_ids(text)
        if masked != text:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_ids(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = mask_ids(record.exc_text)
        return True


def mask_log(logger: logging.Logger) -> None:
    """Mask ID numbers in everything ``logger`` records (idempotent)."""
    if not any(isinstance(f, MaskingFilter) for f in logger.filters):
        logger.addFilter(MaskingFilter())


mask_log(logging.getLogger("httpx"))


def _transport_detail(url: str, exc: BaseException) -> str:
    """What went wrong, in the user's words (the exception's own text goes to the log, never
    on screen: it is English and may carry more than the user needs)."""
    if isinstance(exc, httpx.TimeoutException):
        why = "timeout"
    elif isinstance(exc, httpx.ConnectError):
        why = "refused"
    else:
        why = "network"
    text = mask_ids(str(exc).strip())
    if "Bearer" not in text:
        logging.getLogger("yibao_tui.http").info("transport failure to %s: %s: %s", url, type(exc).__name__, text[:200])
    return t("http.connect_why", url=url, why=t(f"http.why.{why}"))
