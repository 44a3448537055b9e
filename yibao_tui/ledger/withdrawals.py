"""Executed withdrawals (counter only, supervisor co-signed): the payout and the account closure."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS withdrawals (
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
CREATE TRIGGER IF NOT EXISTS withdrawals_no_update BEFORE UPDATE ON withdrawals
BEGIN SELECT RAISE(ABORT, 'withdrawals are immutable'); END;
CREATE TRIGGER IF NOT EXISTS withdrawals_no_delete BEFORE DELETE ON withdrawals
BEGIN SELECT RAISE(ABORT, 'withdrawals are immutable'); END;
"""
