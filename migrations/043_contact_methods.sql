-- Contact methods of users (API v2.7): where notifications for a user go. Only e-mail addresses are kept;
-- a new one is pending until the user proves it receives mail there with the activation code sent to it.
-- Only the code's SHA-256 digest is stored, with its expiry and the codes tried so far.

CREATE TABLE contact_methods (
    id                 text PRIMARY KEY,
    user_id            text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    type               text NOT NULL CHECK (type IN ('Email')),
    display_name       text NOT NULL,
    email_address      text NOT NULL,
    created_on         timestamptz NOT NULL DEFAULT now(),
    activated_on       timestamptz,
    version            integer NOT NULL DEFAULT 1,
    code_digest        bytea,
    code_expires_on    timestamptz,
    code_attempts      integer NOT NULL DEFAULT 0
);

CREATE INDEX contact_methods_user ON contact_methods (user_id, created_on, id);
