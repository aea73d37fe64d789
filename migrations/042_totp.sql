-- Second-factor state of each user with a TOTP secret, shared by every node:
-- `last_step` is the last time step whose code was accepted (RFC 6238 §5.2: a code is accepted once, so a
-- code of that step or an earlier one is refused), and `attempts` counts the codes tried since the last
-- accepted one within the guessing window that began at `window_started_on`.

CREATE TABLE totp_state (
    user_id           text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    last_step         bigint NOT NULL DEFAULT -1,
    attempts          integer NOT NULL DEFAULT 0,
    window_started_on timestamptz NOT NULL DEFAULT now()
);
