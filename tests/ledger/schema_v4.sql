-- The schema of a ledger file at version 4 (main before issue 11), as SQLite keeps it
-- (sqlite_master), for the migration test.
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE persons (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    scheme      TEXT NOT NULL CHECK (scheme IN ('employee', 'resident')),
    region      TEXT NOT NULL,
    card        TEXT UNIQUE,
    birth_date  TEXT NOT NULL,
    sex         TEXT NOT NULL CHECK (sex IN ('M', 'F')),
    pledge_at   TEXT,
    created_at  TEXT NOT NULL
, "name_key" TEXT);
CREATE TABLE accounts (
    id         INTEGER PRIMARY KEY,
    code       TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL CHECK (kind IN ('personal', 'system')),
    person_id  TEXT UNIQUE REFERENCES persons(id),
    status     TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'closed')),
    balance    INTEGER NOT NULL DEFAULT 0,
    CHECK (kind = 'system' OR balance >= 0),
    CHECK ((kind = 'personal') = (person_id IS NOT NULL))
);
CREATE TABLE operations (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    idem_key      TEXT UNIQUE,
    request_hash  TEXT NOT NULL,
    response      TEXT,
    time          TEXT NOT NULL,
    channel       TEXT NOT NULL,
    operator      TEXT
);
CREATE TABLE transfers (
    id              INTEGER PRIMARY KEY,
    op_id           INTEGER REFERENCES operations(id),
    kind            TEXT NOT NULL,
    debit_account   INTEGER NOT NULL REFERENCES accounts(id),
    credit_account  INTEGER NOT NULL REFERENCES accounts(id),
    amount          INTEGER NOT NULL CHECK (amount > 0),
    time            TEXT NOT NULL,
    memo            TEXT NOT NULL DEFAULT '',
    ref             TEXT,
    CHECK (debit_account <> credit_account)
);
CREATE TABLE entries (
    id             INTEGER PRIMARY KEY,
    transfer_id    INTEGER NOT NULL REFERENCES transfers(id),
    account_id     INTEGER NOT NULL REFERENCES accounts(id),
    amount         INTEGER NOT NULL CHECK (amount <> 0),
    balance_after  INTEGER NOT NULL,
    time           TEXT NOT NULL,
    kind           TEXT NOT NULL
);
CREATE TABLE bindings (
    id           INTEGER PRIMARY KEY,
    holder_id    TEXT NOT NULL REFERENCES persons(id),
    relative_id  TEXT NOT NULL REFERENCES persons(id),
    relation     TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('active', 'ended')),
    bound_at     TEXT NOT NULL,
    unbound_at   TEXT,
    verified_by  TEXT NOT NULL CHECK (verified_by IN ('counter', 'face', 'letter')),
    op_id        INTEGER REFERENCES operations(id),
    ended_reason TEXT,
    CHECK (holder_id <> relative_id)
);
CREATE TABLE premium_payments (
    id           INTEGER PRIMARY KEY,
    payment_id   TEXT NOT NULL UNIQUE,
    payer_id     TEXT NOT NULL REFERENCES persons(id),
    relative_id  TEXT NOT NULL REFERENCES persons(id),
    year         INTEGER NOT NULL,
    amount       INTEGER NOT NULL CHECK (amount > 0),
    transfer_id  INTEGER NOT NULL REFERENCES transfers(id),
    time         TEXT NOT NULL,
    UNIQUE (relative_id, year)
);
CREATE TABLE audit (
    seq        INTEGER PRIMARY KEY,
    time       TEXT NOT NULL,
    channel    TEXT NOT NULL,
    operator   TEXT,
    action     TEXT NOT NULL,
    subject    TEXT,
    detail     TEXT NOT NULL DEFAULT '',
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE TABLE operators (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('clerk', 'supervisor')),
    pw_hash       TEXT NOT NULL,
    failures      INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT,
    created_at    TEXT NOT NULL
, "disabled_at" TEXT);
CREATE TABLE operator_unknown (
    id            TEXT PRIMARY KEY,
    failures      INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT
);
CREATE TABLE card_pins (
    person_id     TEXT PRIMARY KEY REFERENCES persons(id),
    pin_hash      TEXT NOT NULL,
    failures      INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT,
    set_at        TEXT NOT NULL
);
CREATE TABLE withdrawals (
    id             INTEGER PRIMARY KEY,
    withdrawal_id  TEXT NOT NULL UNIQUE,
    person_id      TEXT NOT NULL UNIQUE REFERENCES persons(id),
    case_name      TEXT NOT NULL,
    payee          TEXT NOT NULL,
    payee_name     TEXT NOT NULL,
    payee_account  TEXT NOT NULL,
    amount         INTEGER NOT NULL CHECK (amount > 0),
    transfer_id    INTEGER NOT NULL REFERENCES transfers(id),
    operator       TEXT NOT NULL,
    cosigner       TEXT NOT NULL,
    time           TEXT NOT NULL,
    CHECK (operator <> cosigner)
);
CREATE INDEX entries_account_time ON entries (account_id, time, id);
CREATE INDEX entries_transfer ON entries (transfer_id);
CREATE UNIQUE INDEX bindings_one_active
    ON bindings (holder_id, relative_id) WHERE status = 'active';
CREATE INDEX bindings_relative ON bindings (relative_id, status);
CREATE INDEX premium_payer ON premium_payments (payer_id);
CREATE INDEX audit_subject ON audit (subject, seq);
CREATE INDEX audit_operator ON audit (operator, seq);
CREATE INDEX "persons_name_key"
    ON "persons" ("name_key", "birth_date", "id");
CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'entries are immutable'); END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'entries are immutable'); END;
CREATE TRIGGER transfers_no_update BEFORE UPDATE ON transfers
BEGIN SELECT RAISE(ABORT, 'transfers are immutable'); END;
CREATE TRIGGER transfers_no_delete BEFORE DELETE ON transfers
BEGIN SELECT RAISE(ABORT, 'transfers are immutable'); END;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER premium_no_update BEFORE UPDATE ON premium_payments
BEGIN SELECT RAISE(ABORT, 'payments are immutable'); END;
CREATE TRIGGER premium_no_delete BEFORE DELETE ON premium_payments
BEGIN SELECT RAISE(ABORT, 'payments are immutable'); END;
CREATE TRIGGER operations_no_delete BEFORE DELETE ON operations
BEGIN SELECT RAISE(ABORT, 'operations are immutable'); END;
CREATE TRIGGER operations_once BEFORE UPDATE ON operations
WHEN OLD.response IS NOT NULL OR NEW.id <> OLD.id OR NEW.idem_key IS NOT OLD.idem_key
     OR NEW.request_hash <> OLD.request_hash
BEGIN SELECT RAISE(ABORT, 'operations are immutable'); END;
CREATE TRIGGER bindings_no_delete BEFORE DELETE ON bindings
BEGIN SELECT RAISE(ABORT, 'binding history is kept'); END;
CREATE TRIGGER withdrawals_no_update BEFORE UPDATE ON withdrawals
BEGIN SELECT RAISE(ABORT, 'withdrawals are immutable'); END;
CREATE TRIGGER withdrawals_no_delete BEFORE DELETE ON withdrawals
BEGIN SELECT RAISE(ABORT, 'withdrawals are immutable'); END;
CREATE TRIGGER accounts_money_insert BEFORE INSERT ON accounts
WHEN typeof(NEW.balance) <> 'integer' OR NEW.balance < -9007199254740991 OR NEW.balance > 9007199254740991
BEGIN SELECT RAISE(ABORT, 'amount limit: accounts'); END;
CREATE TRIGGER accounts_money_update BEFORE UPDATE ON accounts
WHEN typeof(NEW.balance) <> 'integer' OR NEW.balance < -9007199254740991 OR NEW.balance > 9007199254740991
BEGIN SELECT RAISE(ABORT, 'amount limit: accounts'); END;
CREATE TRIGGER transfers_money_insert BEFORE INSERT ON transfers
WHEN typeof(NEW.amount) <> 'integer' OR NEW.amount < 1 OR NEW.amount > 9007199254740991
BEGIN SELECT RAISE(ABORT, 'amount limit: transfers'); END;
CREATE TRIGGER transfers_money_update BEFORE UPDATE ON transfers
WHEN typeof(NEW.amount) <> 'integer' OR NEW.amount < 1 OR NEW.amount > 9007199254740991
BEGIN SELECT RAISE(ABORT, 'amount limit: transfers'); END;
CREATE TRIGGER entries_money_insert BEFORE INSERT ON entries
WHEN typeof(NEW.amount) <> 'integer' OR NEW.amount < -9007199254740991 OR NEW.amount > 9007199254740991 OR NEW.amount = 0 OR typeof(NEW.balance_after) <> 'integer' OR NEW.balance_after < -9007199254740991 OR NEW.balance_after > 9007199254740991
BEGIN SELECT RAISE(ABORT, 'amount limit: entries'); END;
CREATE TRIGGER entries_money_update BEFORE UPDATE ON entries
WHEN typeof(NEW.amount) <> 'integer' OR NEW.amount < -9007199254740991 OR NEW.amount > 9007199254740991 OR NEW.amount = 0 OR typeof(NEW.balance_after) <> 'integer' OR NEW.balance_after < -9007199254740991 OR NEW.balance_after > 9007199254740991
BEGIN SELECT RAISE(ABORT, 'amount limit: entries'); END;
CREATE TRIGGER premium_payments_money_insert BEFORE INSERT ON premium_payments
WHEN typeof(NEW.amount) <> 'integer' OR NEW.amount < 1 OR NEW.amount > 9007199254740991
BEGIN SELECT RAISE(ABORT, 'amount limit: premium_payments'); END;
CREATE TRIGGER premium_payments_money_update BEFORE UPDATE ON premium_payments
WHEN typeof(NEW.amount) <> 'integer' OR NEW.amount < 1 OR NEW.amount > 9007199254740991
BEGIN SELECT RAISE(ABORT, 'amount limit: premium_payments'); END;
CREATE TRIGGER withdrawals_money_insert BEFORE INSERT ON withdrawals
WHEN typeof(NEW.amount) <> 'integer' OR NEW.amount < 1 OR NEW.amount > 9007199254740991
BEGIN SELECT RAISE(ABORT, 'amount limit: withdrawals'); END;
CREATE TRIGGER withdrawals_money_update BEFORE UPDATE ON withdrawals
WHEN typeof(NEW.amount) <> 'integer' OR NEW.amount < 1 OR NEW.amount > 9007199254740991
BEGIN SELECT RAISE(ABORT, 'amount limit: withdrawals'); END;
