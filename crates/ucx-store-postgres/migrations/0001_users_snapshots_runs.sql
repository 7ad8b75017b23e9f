-- 1: users, the snapshot cache in compressed chunks, run history, apply leases, pictures.
CREATE TABLE users (
    id        BIGSERIAL PRIMARY KEY,
    kind      TEXT NOT NULL,
    owner     TEXT,
    key       TEXT NOT NULL UNIQUE,
    stable_id TEXT,
    fields    JSONB NOT NULL
);
CREATE INDEX users_owner ON users (owner);

CREATE TABLE snapshots (
    source           TEXT PRIMARY KEY,
    updated_at       TIMESTAMPTZ,
    refreshing_since TIMESTAMPTZ,
    complete         BOOLEAN NOT NULL DEFAULT FALSE,
    records          BIGINT NOT NULL DEFAULT 0,
    cursor           TEXT,
    -- The snapshot without its records (JSON text, exact to the nanosecond).
    header           TEXT
);

-- The records, 1,000 a chunk, as LZ4-compressed JSON: one value per snapshot would outgrow
-- memory and the row size limits near a million users.
CREATE TABLE snapshot_chunks (
    source  TEXT NOT NULL,
    seq     INTEGER NOT NULL,
    records BYTEA NOT NULL,
    PRIMARY KEY (source, seq)
);

CREATE TABLE runs (
    source   TEXT NOT NULL,
    started  TIMESTAMPTZ NOT NULL,
    finished TIMESTAMPTZ,
    status   TEXT NOT NULL,
    counts   JSONB NOT NULL,
    error    TEXT,
    PRIMARY KEY (source, started)
);

-- One apply of a source at a time, across every worker: a lease with a holder and an expiry,
-- so a holder that died is taken over once it expires.
CREATE TABLE apply_locks (
    source  TEXT PRIMARY KEY,
    holder  TEXT NOT NULL,
    since   TIMESTAMPTZ NOT NULL,
    expires TIMESTAMPTZ NOT NULL
);

CREATE TABLE pictures (
    user_id   BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    reference TEXT NOT NULL,
    format    TEXT NOT NULL,
    etag      TEXT,
    sha256    TEXT NOT NULL,
    size      BIGINT NOT NULL,
    bytes     BYTEA NOT NULL
);
