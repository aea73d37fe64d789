-- Accounts, sub-accounts, credits, jobs, entries and shared secrets.

CREATE TABLE accounts (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                text NOT NULL,
    credit_packs        numeric(18, 3) NOT NULL DEFAULT 0 CHECK (credit_packs >= 0),
    free_daily_credits  numeric(18, 3) NOT NULL DEFAULT 0 CHECK (free_daily_credits >= 0),
    -- Free credits reset every 24 hours counted from this instant.
    free_reset_anchor   timestamptz NOT NULL DEFAULT now(),
    free_period_start   timestamptz NOT NULL DEFAULT now(),
    free_used           numeric(18, 3) NOT NULL DEFAULT 0 CHECK (free_used >= 0),
    created_on          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sub_accounts (
    sid          text PRIMARY KEY,
    account_id   bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         text NOT NULL,
    token_salt   bytea NOT NULL,
    token_hash   bytea NOT NULL,
    permissions  text[] NOT NULL,
    disabled     boolean NOT NULL DEFAULT false,
    created_on   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sub_accounts_account ON sub_accounts (account_id);

CREATE TABLE daily_usage (
    account_id    bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    day           date NOT NULL,
    credit_packs  numeric(18, 3) NOT NULL DEFAULT 0,
    free_credits  numeric(18, 3) NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, day)
);

CREATE TABLE jobs (
    id               uuid PRIMARY KEY,
    account_id       bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    owner            text NOT NULL,
    name             text,
    quality          text NOT NULL CHECK (quality IN ('Standard', 'High', 'Extreme')),
    deduplication    text NOT NULL DEFAULT 'Off' CHECK (deduplication IN ('Off', 'Safe', 'Relaxed')),
    priority         smallint CHECK (priority BETWEEN 0 AND 255),
    retention        interval NOT NULL,
    status           text NOT NULL DEFAULT 'InProgress'
                     CHECK (status IN ('InProgress', 'Completed', 'Deleted', 'Expired')),
    client_ip        inet NOT NULL,
    created_on       timestamptz NOT NULL DEFAULT now(),
    submitted_on     timestamptz NOT NULL DEFAULT now(),
    completed_on     timestamptz,
    expires_at       timestamptz,
    no_of_entries    integer NOT NULL,
    no_of_completed  integer NOT NULL DEFAULT 0,
    credits_charged  numeric(18, 3) NOT NULL DEFAULT 0,
    callback         jsonb,
    source           text NOT NULL DEFAULT 'verifalia' CHECK (source IN ('verifalia', 'leadrocks'))
);
CREATE INDEX jobs_account_created ON jobs (account_id, created_on, id);
CREATE INDEX jobs_in_progress ON jobs (account_id) WHERE status = 'InProgress';
CREATE INDEX jobs_expiring ON jobs (expires_at) WHERE status = 'Completed';

-- No foreign key to jobs: a per-row check would triple the time to store a 100,000-entry job.
-- Entries are only written in the transaction that creates their job, and deleted with it by the store.
CREATE TABLE entries (
    job_id                          uuid NOT NULL,
    index                           integer NOT NULL,
    input_data                      text NOT NULL,
    custom                          text,
    -- Grouping key for the scheduler: the lowercased text after the last '@'.
    domain                          text NOT NULL,
    status                          text,
    duplicate_of                    integer,
    email_address                   text,
    local_part                      text,
    domain_part                     text,
    ascii_domain_part               text,
    has_international_domain_name   boolean NOT NULL DEFAULT false,
    has_international_mailbox_name  boolean NOT NULL DEFAULT false,
    is_disposable                   boolean NOT NULL DEFAULT false,
    is_free                         boolean NOT NULL DEFAULT false,
    is_role                         boolean NOT NULL DEFAULT false,
    syntax_failure_index            integer,
    suggestions                     text[],
    evidence                        jsonb,
    attempt                         integer NOT NULL DEFAULT 0,
    retry_at                        timestamptz,
    lease_owner                     text,
    lease_until                     timestamptz,
    completed_on                    timestamptz,
    PRIMARY KEY (job_id, index)
);
CREATE INDEX entries_pending ON entries (job_id, index) WHERE status IS NULL;

CREATE TABLE secrets (
    name        text PRIMARY KEY,
    value       text NOT NULL,
    created_on  timestamptz NOT NULL DEFAULT now()
);
