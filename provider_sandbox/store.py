"""The sandbox's state in SQLite, so a restart keeps what a real provider would keep.

One connection shared by all threads behind a lock (the sandbox's load is tiny, and a single
writer keeps SQLite simple); WAL so an outside reader (sqlite3 CLI) never blocks us. Records
that nobody queries by column are stored as JSON documents; callbacks have real columns
because the dispatcher selects them by due time.

Callbacks are claimed before they are sent: `claim_due_callback` picks the next due row and
sets its `claimed_at` in one transaction, so two sender threads never send the same row at
the same time; recording the attempt (or `release_callback`) clears the claim. A claim lives
only as long as the process that made it: opening the store releases every claim left by a
process that died mid-send, so those callbacks are sent again. One sandbox process uses a
state directory at a time.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS numbers (
    e164 TEXT PRIMARY KEY, account_id TEXT NOT NULL, created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    id TEXT PRIMARY KEY, created_at REAL NOT NULL, direction TEXT NOT NULL, data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_created ON messages (created_at);
CREATE TABLE IF NOT EXISTS media (
    account_id TEXT NOT NULL, name TEXT NOT NULL, content_type TEXT NOT NULL,
    content BLOB NOT NULL, created_at REAL NOT NULL, PRIMARY KEY (account_id, name)
);
CREATE TABLE IF NOT EXISTS callbacks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,            -- messaging | verification | voice
    event_type TEXT NOT NULL,
    message_id TEXT,               -- or the phone number, for verification events
    recipient TEXT,
    target_url TEXT,               -- NULL: {callback_url}{path for kind}, resolved when sent
    username TEXT, password TEXT,  -- NULL: the configured webhook credentials
    hmac_secret TEXT,
    body BLOB NOT NULL,
    created_at REAL NOT NULL,
    due_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_status INTEGER,
    last_error TEXT,
    state TEXT NOT NULL DEFAULT 'pending',  -- pending | delivered | failed | not_sent
    delivered_at REAL,
    duplicate INTEGER NOT NULL DEFAULT 0,
    claimed_at REAL                -- set while a sender thread has the row; NULL otherwise
);
CREATE INDEX IF NOT EXISTS callbacks_due ON callbacks (state, due_at, id);
CREATE TABLE IF NOT EXISTS verifications (
    phone TEXT PRIMARY KEY, decide_at REAL, data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS subscriptions (id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS calls (
    id TEXT PRIMARY KEY, created_at REAL NOT NULL, data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY, issued_at REAL NOT NULL, expires_at REAL NOT NULL
);
"""

# Forgotten by POST /sandbox/reset (tokens survive: a client's cached token stays valid).
RESET_TABLES = (
    "numbers", "messages", "media", "callbacks", "verifications", "subscriptions", "orders",
    "calls",
)  # fmt: skip

# Made after the `claimed_at` column is known to exist (state dirs from before it lack it).
CLAIMS_INDEX = (
    "CREATE INDEX IF NOT EXISTS callbacks_claimed ON callbacks (message_id, recipient)"
    " WHERE claimed_at IS NOT NULL"
)

# The next due callback nobody is sending, in due order. A row is skipped while another row
# for the same message and recipient is claimed, so one recipient's events never overlap
# and keep their order (as when a single thread sent everything).
CLAIM_SQL = """
SELECT * FROM callbacks AS c
WHERE c.state = 'pending' AND c.claimed_at IS NULL AND c.due_at <= ?
  AND (c.message_id IS NULL OR NOT EXISTS (
    SELECT 1 FROM callbacks AS busy
    WHERE busy.claimed_at IS NOT NULL AND busy.message_id = c.message_id
      AND busy.recipient IS c.recipient
  ))
ORDER BY c.due_at, c.id LIMIT 1
"""


@dataclass(frozen=True)
class CallbackRow:
    """One queued or sent callback, as the dispatcher sees it."""

    id: int
    kind: str
    event_type: str
    message_id: str | None
    recipient: str | None
    target_url: str | None
    username: str | None
    password: str | None
    hmac_secret: str | None
    body: bytes
    created_at: float
    due_at: float
    attempts: int
    last_status: int | None
    last_error: str | None
    state: str
    delivered_at: float | None
    duplicate: bool
    # When a sender thread claimed the row (None: nobody is sending it).
    claimed_at: float | None = None


class Store:
    """All persistent state. Every method is atomic and safe to call from any thread."""

    def __init__(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.path = state_dir / "sandbox.sqlite3"
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
            columns = {row["name"] for row in self._db.execute("PRAGMA table_info(callbacks)")}
            if "claimed_at" not in columns:
                self._db.execute("ALTER TABLE callbacks ADD COLUMN claimed_at REAL")
            self._db.execute(CLAIMS_INDEX)
            # Claims of a previous process that died mid-send: those callbacks go out again.
            self._db.execute("UPDATE callbacks SET claimed_at = NULL WHERE claimed_at IS NOT NULL")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _all(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, tuple(params)).fetchall()

    def _one(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._db.execute(sql, tuple(params)).fetchone()
            return row

    def _run(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Execute one write; return the row id it inserted (or 0)."""
        with self._lock:
            cursor = self._db.execute(sql, tuple(params))
            return cursor.lastrowid or 0

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock and one write transaction; commit on success, else roll back."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def reset(self) -> None:
        """Forget everything a test can create (see RESET_TABLES) in one transaction."""
        with self._transaction() as db:
            for table in RESET_TABLES:
                db.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed names)

    # --- numbers ------------------------------------------------------------------------

    def own_number(self, account_id: str, e164: str, now: float) -> None:
        self._run(
            "INSERT OR IGNORE INTO numbers (e164, account_id, created_at) VALUES (?, ?, ?)",
            (e164, account_id, now),
        )

    def is_owned(self, account_id: str, e164: str) -> bool:
        sql = "SELECT 1 FROM numbers WHERE e164 = ? AND account_id = ?"
        return self._one(sql, (e164, account_id)) is not None

    def owned_numbers(self, account_id: str) -> list[str]:
        rows = self._all(
            "SELECT e164 FROM numbers WHERE account_id = ? ORDER BY e164", (account_id,)
        )
        return [row["e164"] for row in rows]

    # --- messages -----------------------------------------------------------------------

    def insert_message(self, message: dict[str, Any], created_at: float) -> None:
        self._run(
            "INSERT INTO messages (id, created_at, direction, data) VALUES (?, ?, ?, ?)",
            (message["id"], created_at, message["direction"], json.dumps(message)),
        )

    def get_message(self, message_id: str) -> dict[str, Any] | None:
        row = self._one("SELECT data FROM messages WHERE id = ?", (message_id,))
        return json.loads(row["data"]) if row else None

    def all_messages(self) -> list[dict[str, Any]]:
        """Every message, oldest first."""
        rows = self._all("SELECT data FROM messages ORDER BY created_at, id")
        return [json.loads(row["data"]) for row in rows]

    # --- media --------------------------------------------------------------------------

    def put_media(
        self, account_id: str, name: str, content_type: str, content: bytes, now: float
    ) -> None:
        self._run(
            "INSERT OR REPLACE INTO media (account_id, name, content_type, content, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (account_id, name, content_type, content, now),
        )

    def get_media(self, account_id: str, name: str) -> tuple[str, bytes] | None:
        sql = "SELECT content_type, content FROM media WHERE account_id = ? AND name = ?"
        row = self._one(sql, (account_id, name))
        return (row["content_type"], bytes(row["content"])) if row else None

    def delete_media(self, account_id: str, name: str) -> bool:
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM media WHERE account_id = ? AND name = ?", (account_id, name)
            )
            return cursor.rowcount > 0

    def list_media(self, account_id: str, after: str, limit: int) -> list[tuple[str, int]]:
        """(name, size) pairs in name order, starting after `after`."""
        rows = self._all(
            "SELECT name, length(content) AS size FROM media WHERE account_id = ? AND name > ?"
            " ORDER BY name LIMIT ?",
            (account_id, after, limit),
        )
        return [(row["name"], row["size"]) for row in rows]

    # --- callbacks ----------------------------------------------------------------------

    def enqueue_callback(
        self,
        *,
        kind: str,
        event_type: str,
        body: bytes,
        due_at: float,
        now: float,
        message_id: str | None = None,
        recipient: str | None = None,
        target_url: str | None = None,
        username: str | None = None,
        password: str | None = None,
        hmac_secret: str | None = None,
        duplicate: bool = False,
        state: str = "pending",
    ) -> int:
        """Insert a callback; `state="sending"` keeps it away from the dispatcher."""
        return self._run(
            "INSERT INTO callbacks (kind, event_type, message_id, recipient, target_url,"
            " username, password, hmac_secret, body, created_at, due_at, duplicate, state)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                kind,
                event_type,
                message_id,
                recipient,
                target_url,
                username,
                password,
                hmac_secret,
                body,
                now,
                due_at,
                int(duplicate),
                state,
            ),
        )

    def claim_due_callback(self, now: float) -> CallbackRow | None:
        """The next due callback nobody is sending (see CLAIM_SQL), claimed for the caller.

        Selecting and claiming happen in one transaction, so a row is handed to one thread
        only; the claim ends with `record_attempt`, `mark_not_sent` or `release_callback`.
        """
        with self._transaction() as db:
            row: sqlite3.Row | None = db.execute(CLAIM_SQL, (now,)).fetchone()
            if row is None:
                return None
            db.execute("UPDATE callbacks SET claimed_at = ? WHERE id = ?", (now, row["id"]))
        return replace(_callback(row), claimed_at=now)

    def release_callback(self, callback_id: int) -> None:
        """Give up a claim without recording an attempt (the row is sent again when due)."""
        self._run("UPDATE callbacks SET claimed_at = NULL WHERE id = ?", (callback_id,))

    def next_callback_due_at(self) -> float | None:
        """The earliest due time of the pending callbacks nobody is sending."""
        row = self._one(
            "SELECT due_at FROM callbacks WHERE state = 'pending' AND claimed_at IS NULL"
            " ORDER BY due_at LIMIT 1"
        )
        return row["due_at"] if row else None

    def get_callback(self, callback_id: int) -> CallbackRow | None:
        row = self._one("SELECT * FROM callbacks WHERE id = ?", (callback_id,))
        return _callback(row) if row else None

    def record_attempt(
        self,
        callback_id: int,
        *,
        state: str,
        status: int | None,
        error: str | None,
        due_at: float,
        delivered_at: float | None,
    ) -> None:
        """Record one POST of the row and end its claim."""
        self._run(
            "UPDATE callbacks SET attempts = attempts + 1, state = ?, last_status = ?,"
            " last_error = ?, due_at = ?, delivered_at = ?, claimed_at = NULL WHERE id = ?",
            (state, status, error, due_at, delivered_at, callback_id),
        )

    def mark_not_sent(self, callback_id: int, reason: str) -> None:
        self._run(
            "UPDATE callbacks SET state = 'not_sent', last_error = ?, claimed_at = NULL"
            " WHERE id = ?",
            (reason, callback_id),
        )

    def all_callbacks(self) -> list[CallbackRow]:
        return [_callback(row) for row in self._all("SELECT * FROM callbacks ORDER BY id")]

    # --- toll-free verification ---------------------------------------------------------

    def get_verification(self, phone: str) -> dict[str, Any] | None:
        row = self._one("SELECT data FROM verifications WHERE phone = ?", (phone,))
        return json.loads(row["data"]) if row else None

    def put_verification(self, phone: str, data: dict[str, Any], decide_at: float | None) -> None:
        self._run(
            "INSERT OR REPLACE INTO verifications (phone, decide_at, data) VALUES (?, ?, ?)",
            (phone, decide_at, json.dumps(data)),
        )

    def delete_verification(self, phone: str) -> bool:
        with self._lock:
            cursor = self._db.execute("DELETE FROM verifications WHERE phone = ?", (phone,))
            return cursor.rowcount > 0

    def due_verifications(self, now: float) -> list[tuple[str, dict[str, Any]]]:
        rows = self._all(
            "SELECT phone, data FROM verifications WHERE decide_at IS NOT NULL AND decide_at <= ?"
            " ORDER BY decide_at",
            (now,),
        )
        return [(row["phone"], json.loads(row["data"])) for row in rows]

    def next_verification_due_at(self) -> float | None:
        row = self._one("SELECT min(decide_at) AS due FROM verifications")
        return row["due"] if row and row["due"] is not None else None

    # --- webhook subscriptions, orders, calls (JSON documents) ---------------------------

    def put_document(self, table: str, doc_id: str, data: dict[str, Any]) -> None:
        assert table in ("subscriptions", "orders")
        self._run(
            f"INSERT OR REPLACE INTO {table} (id, data) VALUES (?, ?)",  # noqa: S608
            (doc_id, json.dumps(data)),
        )

    def get_document(self, table: str, doc_id: str) -> dict[str, Any] | None:
        assert table in ("subscriptions", "orders")
        row = self._one(f"SELECT data FROM {table} WHERE id = ?", (doc_id,))  # noqa: S608
        return json.loads(row["data"]) if row else None

    def delete_document(self, table: str, doc_id: str) -> bool:
        assert table in ("subscriptions", "orders")
        with self._lock:
            cursor = self._db.execute(f"DELETE FROM {table} WHERE id = ?", (doc_id,))  # noqa: S608
            return cursor.rowcount > 0

    def all_documents(self, table: str) -> list[dict[str, Any]]:
        assert table in ("subscriptions", "orders")
        rows = self._all(f"SELECT data FROM {table} ORDER BY rowid")  # noqa: S608
        return [json.loads(row["data"]) for row in rows]

    def put_call(self, call: dict[str, Any], now: float) -> None:
        self._run(
            "INSERT OR REPLACE INTO calls (id, created_at, data) VALUES (?, ?, ?)",
            (call["call_id"], now, json.dumps(call)),
        )

    def all_calls(self) -> list[dict[str, Any]]:
        rows = self._all("SELECT data FROM calls ORDER BY created_at")
        return [json.loads(row["data"]) for row in rows]

    # --- OAuth2 tokens ------------------------------------------------------------------

    def add_token(self, token: str, issued_at: float, expires_at: float) -> None:
        self._run(
            "INSERT INTO tokens (token, issued_at, expires_at) VALUES (?, ?, ?)",
            (token, issued_at, expires_at),
        )

    def token_valid(self, token: str, now: float) -> bool:
        sql = "SELECT 1 FROM tokens WHERE token = ? AND expires_at > ?"
        return self._one(sql, (token, now)) is not None

    def all_tokens(self) -> list[tuple[str, float, float]]:
        rows = self._all("SELECT token, issued_at, expires_at FROM tokens ORDER BY issued_at")
        return [(row["token"], row["issued_at"], row["expires_at"]) for row in rows]


def _callback(row: sqlite3.Row) -> CallbackRow:
    return CallbackRow(
        id=row["id"],
        kind=row["kind"],
        event_type=row["event_type"],
        message_id=row["message_id"],
        recipient=row["recipient"],
        target_url=row["target_url"],
        username=row["username"],
        password=row["password"],
        hmac_secret=row["hmac_secret"],
        body=bytes(row["body"]),
        created_at=row["created_at"],
        due_at=row["due_at"],
        attempts=row["attempts"],
        last_status=row["last_status"],
        last_error=row["last_error"],
        state=row["state"],
        delivered_at=row["delivered_at"],
        duplicate=bool(row["duplicate"]),
        claimed_at=row["claimed_at"],
    )
