-- Sub-accounts become users. A user has a type (Administrator, Standard or BrowserApp), a display name,
-- authorization rules and an entity tag (`version`). Every SID stays the user's id and its login name, and
-- every auth token stays that user's password, so existing credentials keep working.

ALTER TABLE sub_accounts RENAME TO users;
ALTER INDEX sub_accounts_account RENAME TO users_account;
ALTER TABLE users RENAME COLUMN sid TO id;
ALTER TABLE users RENAME COLUMN name TO display_name;

ALTER TABLE users
    ADD COLUMN type text NOT NULL DEFAULT 'Standard'
        CHECK (type IN ('Administrator', 'Standard', 'BrowserApp')),
    ADD COLUMN username text,
    ADD COLUMN password_enabled boolean NOT NULL DEFAULT true,
    ADD COLUMN is_active boolean NOT NULL DEFAULT true,
    ADD COLUMN rules text[] NOT NULL DEFAULT '{}',
    ADD COLUMN version integer NOT NULL DEFAULT 1,
    ADD COLUMN deleted_on timestamptz,
    -- Second factor: a base32 TOTP secret (RFC 6238), and whether password logins must present a code.
    ADD COLUMN totp_secret text,
    ADD COLUMN mfa_required boolean NOT NULL DEFAULT false,
    -- Whether the user may log in with a registered client certificate.
    ADD COLUMN certificate_login boolean NOT NULL DEFAULT false,
    -- Browser apps: the HTTP origins allowed to use the key, CAPTCHA enforcement and throttling.
    ADD COLUMN origins_enabled boolean NOT NULL DEFAULT false,
    ADD COLUMN origins text[] NOT NULL DEFAULT '{}',
    ADD COLUMN captcha_required boolean NOT NULL DEFAULT false,
    ADD COLUMN max_entries_per_job integer CHECK (max_entries_per_job > 0),
    ADD COLUMN throttling jsonb NOT NULL DEFAULT '[]';

UPDATE users SET username = id, is_active = NOT disabled;
ALTER TABLE users ALTER COLUMN username SET NOT NULL;
CREATE UNIQUE INDEX users_username ON users (username);

-- The four coarse permissions of sub-accounts map onto account-wide rules.
UPDATE users SET rules = ARRAY(
    SELECT CASE permission
        WHEN 'submit' THEN 'email-verifications:write'
        WHEN 'read' THEN 'email-verifications:read'
        WHEN 'delete' THEN 'email-verifications:delete'
        WHEN 'credits' THEN 'credits:read'
    END
    FROM unnest(permissions) AS permission
);

-- The first sub-account of each account, created with it and holding every permission, administers it.
UPDATE users SET type = 'Administrator'
WHERE permissions @> ARRAY['submit', 'read', 'delete', 'credits']
  AND id IN (SELECT DISTINCT ON (account_id) id FROM users ORDER BY account_id, created_on, id);

ALTER TABLE users DROP COLUMN permissions, DROP COLUMN disabled;
