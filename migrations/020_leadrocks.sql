-- LeadRocks API: apps (API tokens with per-app limits), per-minute request counters and bulk lists.

CREATE TABLE leadrocks_apps (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id            bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name                  text NOT NULL,
    -- SHA-256 of the token; the token itself is shown once, at creation.
    token_hash            bytea NOT NULL UNIQUE,
    enabled               boolean NOT NULL DEFAULT true,
    -- Per-app limits; NULL means the service default, 0 means no limit.
    max_concurrent_lists  integer CHECK (max_concurrent_lists >= 0),
    verifies_per_minute   integer CHECK (verifies_per_minute >= 0),
    requests_per_minute   integer CHECK (requests_per_minute >= 0),
    created_on            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX leadrocks_apps_account ON leadrocks_apps (account_id, id);

-- One fixed window per app and kind of request, opened by the first request after the previous one ended.
CREATE TABLE leadrocks_rate_windows (
    app_id        bigint NOT NULL REFERENCES leadrocks_apps (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('request', 'verify')),
    window_start  timestamptz NOT NULL,
    hits          integer NOT NULL,
    PRIMARY KEY (app_id, kind)
);

CREATE TABLE leadrocks_lists (
    -- 16 digits, and within the integers a JSON number carries exactly (2^53 - 1).
    list_id       bigint PRIMARY KEY CHECK (list_id BETWEEN 1000000000000000 AND 9007199254740991),
    account_id    bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    app_id        bigint NOT NULL REFERENCES leadrocks_apps (id) ON DELETE CASCADE,
    job_id        uuid NOT NULL UNIQUE REFERENCES jobs (id) ON DELETE CASCADE,
    file_name     text NOT NULL,
    email_column  text NOT NULL,
    -- The uploaded file, byte for byte: the result file is this file plus the result columns.
    content       bytea NOT NULL,
    no_of_rows    integer NOT NULL,
    created_on    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX leadrocks_lists_app ON leadrocks_lists (app_id);

-- A list lives as long as its job: once the job is deleted or expires, the uploaded file goes too.
CREATE FUNCTION leadrocks_drop_list() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM leadrocks_lists WHERE job_id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER leadrocks_drop_list AFTER UPDATE OF status ON jobs
    FOR EACH ROW WHEN (NEW.status IN ('Deleted', 'Expired'))
    EXECUTE FUNCTION leadrocks_drop_list();
