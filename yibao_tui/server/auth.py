"""Bearer tokens and their scopes, stored (as sha256 hashes only) in the ledger's SQLite file.

Roles:

- ``admin``: everything, including batch jobs, fund credits and settlements.
- ``counter``: a service window. The window's own token may only log an operator in
  (``POST /v1/operator-sessions``, password checked and locked out by the ledger); that returns
  a session token which acts for the operator, with the operator named in the audit log.
- ``kiosk``: the kiosk device's token may only open a card session (``POST /v1/kiosk-sessions``,
  card and PIN checked and locked out by the ledger); the session token is scoped to that one
  person and expires after its TTL.
- ``personal``: only its own person.

A token may expire (``expires_at``) and be revoked (``yibao token revoke ID``, ``POST
/v1/tokens/{id}/revoke``). A session (an operator's, a card's) is the child of the window's or the
kiosk's token that opened it: it never outlives its parent, and revoking the parent ends it.
``yibao token list`` shows each token's id, role, label, times (created, expires, last used,
revoked), never the token: only its sha256 is stored. The time a token was last used is kept in
memory and written at most every ``LAST_USED_FLUSH_SECONDS`` (no write on a request's path).

The table lives in the ledger file but belongs to the server: nothing in the ledger reads it.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from yibao_tui.domain.errors import YibaoError
from yibao_tui.server.tables import ServerDb

ROLES = ("admin", "counter", "kiosk", "personal")
#: Roles whose every request is confined to one person.
SCOPED_ROLES = frozenset({"kiosk", "personal"})
#: Default lifetime of a kiosk card session, in seconds.
KIOSK_TTL = 300.0
#: Lifetime of a counter operator's session (the window's app also logs out when idle).
COUNTER_TTL = 8 * 3600.0
TOKEN_PREFIX = "yb_"
#: How long (seconds of the store's clock) a token's row, once read, is reused without asking
#: the database again. Expiry is still checked on every request; a token revoked through this
#: store (a logout) is refused at once, one revoked by another process within this time.
TOKEN_CACHE_SECONDS = 2.0
TOKEN_CACHE_SIZE = 4096
#: How often the server writes down when its tokens were last used.
LAST_USED_FLUSH_SECONDS = 30.0

Clock = Callable[[], float]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS http_tokens (
    id          INTEGER PRIMARY KEY,
    hash        TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'counter', 'kiosk', 'personal')),
    person_id   TEXT,
    label       TEXT NOT NULL DEFAULT '',
    created_at  REAL NOT NULL,
    expires_at  REAL,
    revoked_at  REAL,
    operator    TEXT,
    parent_id   INTEGER,
    last_used_at REAL,
    CHECK (role <> 'personal' OR person_id IS NOT NULL)
);
"""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request comes from: a token's role and, for scoped roles, its one person."""

    token_id: int
    role: str
    person_id: str | None = None
    label: str = ""
    expires_at: float | None = None
    operator: str | None = None

    @property
    def scoped(self) -> bool:
        """True when every request must name this principal's own person."""
        return self.role in SCOPED_ROLES

    @property
    def device(self) -> bool:
        """A counter with no operator logged in, or a kiosk with no card session: such a token
        may only open a session (and ask who it is)."""
        return (self.role == "counter" and not self.operator) or (self.role == "kiosk" and not self.person_id)


def hash_token(token: str) -> str:
    """The sha256 hex digest stored in place of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def connect(path: str) -> ServerDb:
    """A connection to the ledger's database for the server's own tables."""
    return ServerDb(path)


class TokenStore:
    """Create and check tokens. Thread-safe; writes are ``ServerDb`` transactions."""

    def __init__(self, path: str, clock: Clock = time.time) -> None:
        self.path = path
        self.clock = clock
        self._conn = connect(path)
        #: the connection (its driver's ``error``, ``translate``) for the server's error handling
        self.db = self._conn
        self._lock = threading.Lock()
        #: sha256 of a token -> (when read, its principal or None when revoked)
        self._cache: dict[str, tuple[float, Principal | None]] = {}
        #: token id -> when it was last used, not yet written down
        self._used: dict[int, float] = {}
        with self._lock:
            self._conn.create(_SCHEMA)
            have = self._conn.columns("http_tokens")
            for column in ("operator TEXT", "parent_id INTEGER", "last_used_at REAL"):  # older tables
                if column.split()[0] not in have:
                    self._conn.execute(f"ALTER TABLE http_tokens ADD COLUMN {column}")

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    def create(
        self,
        role: str,
        person_id: str | None = None,
        label: str = "",
        ttl: float | None = None,
        operator: str | None = None,
        parent_id: int | None = None,
    ) -> str:
        """Issue a token and return it (the only time it exists in clear)."""
        if role not in ROLES:
            raise YibaoError("INVALID_ROLE", role=role)
        if role == "personal" and not person_id:
            raise YibaoError("INVALID_ARGUMENT", detail="personal token needs a person")
        if role in ("admin", "counter") and person_id:
            raise YibaoError("INVALID_ARGUMENT", detail="admin and counter tokens take no person")
        if role == "kiosk" and person_id and ttl is None:
            ttl = KIOSK_TTL
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = self.clock()
        expires = now + ttl if ttl is not None else None
        with self._lock, self._conn.transaction("http_tokens") as db:
            db.execute(
                "INSERT INTO http_tokens (hash, role, person_id, label, created_at, expires_at,"
                " operator, parent_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (hash_token(token), role, person_id, label, now, expires, operator, parent_id),
            )
        return token

    def revoke(self, token: str) -> bool:
        """Revoke a token; True if it existed."""
        return self._revoke("hash = ?", hash_token(token))

    def revoke_id(self, token_id: int) -> bool:
        """Revoke a token by its row id, and every session opened under it; True if it was live."""
        return self._revoke("id = ?", token_id)

    def revoke_tree(self, token_id: int) -> tuple[bool, int]:
        """Revoke a token by its id and the sessions opened under it: (whether the token itself
        was live, how many live sessions ended with it)."""
        with self._lock:
            with self._conn.transaction("http_tokens") as db:
                now = self.clock()
                tree = [r[0] for r in db.execute(
                    "WITH RECURSIVE tree(id) AS (SELECT CAST(? AS BIGINT) UNION SELECT t.id FROM http_tokens t"
                    " JOIN tree ON t.parent_id = tree.id) SELECT id FROM tree", (token_id,))]
                live = {r[0] for r in db.execute(
                    f"SELECT id FROM http_tokens WHERE revoked_at IS NULL AND id IN ({','.join('?' * len(tree))})",
                    tree)}
                if live:
                    db.executemany("UPDATE http_tokens SET revoked_at = ? WHERE id = ?", [(now, i) for i in live])
            self._cache.clear()
        return token_id in live, len(live - {token_id})

    def revoke_operator(self, operator: str) -> int:
        """End every live session of a window operator (one who was just disabled); returns how
        many ended."""
        with self._lock:
            ids = [int(r[0]) for r in self._conn.execute(
                "SELECT id FROM http_tokens WHERE role = 'counter' AND operator = ? AND revoked_at IS NULL",
                (operator,))]
        return sum(int(self.revoke_tree(i)[0]) for i in ids)

    def _revoke(self, where: str, value: object) -> bool:
        with self._lock:
            row = self._conn.execute(f"SELECT id FROM http_tokens WHERE {where}", (value,)).fetchone()
        if row is None:
            return False
        return self.revoke_tree(int(row[0]))[0]

    def list(self, include_ended: bool = False) -> list[dict[str, object]]:
        """Every token as ``yibao token list`` shows it (never the token, nor its hash); by
        default only the live ones (neither revoked nor expired)."""
        from yibao_tui.domain.masking import mask_id

        self.flush_last_used()
        now = self.clock()
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, role, label, person_id, operator, parent_id, created_at, expires_at,"
                " last_used_at, revoked_at FROM http_tokens ORDER BY id").fetchall()
        out: list[dict[str, object]] = []
        for (tid, role, label, person, operator, parent, created, expires, used, revoked) in rows:
            status = "revoked" if revoked is not None else (
                "expired" if expires is not None and now >= expires else "active")
            if status != "active" and not include_ended:
                continue
            out.append({"id": tid, "role": role, "label": label, "person": mask_id(person) if person else None,
                        "operator": operator, "parent": parent, "created_at": created, "expires_at": expires,
                        "last_used_at": used, "revoked_at": revoked, "status": status})
        return out

    def flush_last_used(self) -> None:
        """Write down when tokens were last used (the server calls this every
        ``LAST_USED_FLUSH_SECONDS`` and when it stops)."""
        used, self._used = self._used, {}
        if not used:
            return
        with self._lock, self._conn.transaction("http_tokens") as db:
            db.executemany(
                "UPDATE http_tokens SET last_used_at = ? WHERE id = ? AND coalesce(last_used_at, 0) < ?",
                [(when, tid, when) for tid, when in used.items()])

    def authenticate(self, header: str | None) -> Principal:
        """The principal for an ``Authorization: Bearer ...`` header, or ``UNAUTHORIZED``
        (``SESSION_EXPIRED`` for a session past its time)."""
        token = _bearer(header)
        if token is None:
            raise YibaoError("UNAUTHORIZED")
        digest = hash_token(token)
        now = self.clock()
        cached = self._cache.get(digest)
        if cached is not None and 0.0 <= now - cached[0] < TOKEN_CACHE_SECONDS:
            principal = cached[1]
        else:
            principal = self._lookup(digest, now)
        if principal is None:
            raise YibaoError("UNAUTHORIZED")
        if principal.expires_at is not None and now >= principal.expires_at:
            raise YibaoError("SESSION_EXPIRED")
        self._used[principal.token_id] = now
        return principal

    def _lookup(self, digest: str, now: float) -> Principal | None:
        """Read a token's row (None: unknown or revoked) and cache what is known."""
        with self._lock:
            # a session lives no longer than its parent (the window's or the kiosk's token)
            row = self._conn.execute(
                "SELECT t.id, t.role, t.person_id, t.label, t.expires_at, t.revoked_at, t.operator,"
                " p.id, p.expires_at, p.revoked_at FROM http_tokens t"
                " LEFT JOIN http_tokens p ON p.id = t.parent_id WHERE t.hash = ?",
                (digest,),
            ).fetchone()
            if row is None:  # unknown tokens are not cached: guessing must not fill the cache
                return None
            expires = row[4]
            if row[8] is not None:
                expires = row[8] if expires is None else min(expires, row[8])
            revoked = row[5] is not None or row[9] is not None
            principal = None if revoked else Principal(
                token_id=row[0], role=row[1], person_id=row[2], label=row[3], expires_at=expires,
                operator=row[6])
            if len(self._cache) >= TOKEN_CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)))
            self._cache[digest] = (now, principal)
        return principal


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or len(value) > 512:
        return None
    return value
