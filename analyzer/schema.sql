-- lambdascope analyzer tables (design §3). Idempotent: run on every connection.
-- Columns may be added (at the end); never renamed or removed without a schema bump.

CREATE TABLE IF NOT EXISTS files (
    file_id      INTEGER PRIMARY KEY,
    path         VARCHAR NOT NULL,
    size         BIGINT,
    mtime        DOUBLE,
    fingerprint  VARCHAR NOT NULL,      -- content hash of head + size: same file => same value
    format       VARCHAR,               -- detected container/format name
    lines        BIGINT DEFAULT 0,      -- lines (or events) read
    events       BIGINT DEFAULT 0,      -- parsed into events
    rejected     BIGINT DEFAULT 0,      -- written to rejects
    status       VARCHAR DEFAULT 'ok',  -- ok | truncated | unreadable | empty
    note         VARCHAR,               -- what went wrong, for the user
    loaded_at    TIMESTAMP
);

CREATE TABLE IF NOT EXISTS invocations (
    function        VARCHAR,
    version         VARCHAR,
    request_id      VARCHAR NOT NULL,
    env_id          VARCHAR,
    start_ts        TIMESTAMP,
    end_ts          TIMESTAMP,
    cold_start      BOOLEAN,
    init_ms         DOUBLE,
    restore_ms      DOUBLE,
    duration_ms     DOUBLE,
    billed_ms       DOUBLE,
    memory_mb       INTEGER,
    max_memory_mb   INTEGER,
    outcome         VARCHAR,            -- success | error | timeout | NULL (unknown)
    error_type      VARCHAR,
    error_message   VARCHAR,
    timeout_ms      DOUBLE,
    remaining_ms    DOUBLE,
    trigger         VARCHAR,
    trace_id        VARCHAR,
    runtime_version VARCHAR,
    source          VARCHAR             -- report | platform | lambdascope | ... (evidence kind)
);

CREATE TABLE IF NOT EXISTS events (
    file_id     INTEGER,
    line_no     BIGINT,
    ts          TIMESTAMP,
    function    VARCHAR,
    env_id      VARCHAR,
    request_id  VARCHAR,
    level       VARCHAR,
    kind        VARCHAR,                -- start | end | report | app | error | timeout | init_start | ...
    message     VARCHAR
);

CREATE TABLE IF NOT EXISTS environments (
    function        VARCHAR,
    env_id          VARCHAR,
    first_ts        TIMESTAMP,
    last_ts         TIMESTAMP,
    invocations     BIGINT,
    runtime_version VARCHAR
);

CREATE TABLE IF NOT EXISTS rejects (
    file_id  INTEGER,
    line_no  BIGINT,
    reason   VARCHAR,
    raw      VARCHAR
);

CREATE TABLE IF NOT EXISTS init_failures (
    function    VARCHAR,
    env_id      VARCHAR,
    ts          TIMESTAMP,
    phase       VARCHAR,
    status      VARCHAR,
    error_type  VARCHAR,
    init_ms     DOUBLE
);

-- Which lambdascope data version wrote this database (see analyzer/store.py DATA_VERSION).
CREATE TABLE IF NOT EXISTS meta (
    key    VARCHAR PRIMARY KEY,
    value  VARCHAR
);

-- The loader's own table: every line that is evidence about an invocation or an environment,
-- parsed (the invocations table is merged from it and events, so reloads stay exact).
CREATE TABLE IF NOT EXISTS load_evidence (
    file_id          INTEGER,
    line_no          BIGINT,
    ts               TIMESTAMP,
    function         VARCHAR,
    env_id           VARCHAR,
    request_id       VARCHAR,
    kind             VARCHAR,
    version          VARCHAR,
    duration_ms      DOUBLE,
    billed_ms        DOUBLE,
    memory_mb        INTEGER,
    max_memory_mb    INTEGER,
    init_ms          DOUBLE,
    restore_ms       DOUBLE,
    status           VARCHAR,
    error_type       VARCHAR,
    error_message    VARCHAR,
    timeout_ms       DOUBLE,
    remaining_ms     DOUBLE,
    trigger          VARCHAR,
    trace_id         VARCHAR,
    cold_start       BOOLEAN,
    runtime_version  VARCHAR,
    phase            VARCHAR,
    init_type        VARCHAR
);

-- `analyze --insights`: what Logs Insights aggregated (analyzer/aws/_insights_stats.py), in
-- place of one invocations row each. kind 'report': REPORT lines per function, time bin,
-- cold/warm and duration bucket [2^(b/8), 2^((b+1)/8)) ms; 'init': cold starts per init
-- bucket; 'failure': +/-1 error/timeout corrections from failure lines (bucket NULL).
-- When it holds rows, the report and dashboard read it (analyzer/aggregates.py).
CREATE TABLE IF NOT EXISTS aggregates (
    kind            VARCHAR,
    function        VARCHAR,
    bin_start       TIMESTAMP,
    bin_seconds     INTEGER,
    cold_start      BOOLEAN,
    bucket          INTEGER,
    invocations     BIGINT DEFAULT 0,
    errors          BIGINT DEFAULT 0,
    timeouts        BIGINT DEFAULT 0,
    duration_count  BIGINT DEFAULT 0,
    duration_sum    DOUBLE,
    duration_min    DOUBLE,
    duration_max    DOUBLE,
    billed_sum      DOUBLE,
    init_count      BIGINT DEFAULT 0,
    init_sum        DOUBLE,
    init_min        DOUBLE,
    init_max        DOUBLE,
    memory_mb       INTEGER,
    max_memory_mb   INTEGER
);
