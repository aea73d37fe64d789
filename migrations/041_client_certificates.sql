-- Client certificates (mutual TLS): a user with `certificate_login` who presents one of its registered
-- certificates during the TLS handshake is logged in as that user. A certificate is known by the SHA-256
-- fingerprint of its DER encoding, which no two registrations may share.

CREATE TABLE client_certificates (
    id          uuid PRIMARY KEY,
    user_id     text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    fingerprint text NOT NULL UNIQUE CHECK (fingerprint ~ '^[0-9A-F]{64}$'),
    subject     text NOT NULL,
    issuer      text NOT NULL,
    serial      text NOT NULL,
    public_key  text NOT NULL,
    not_before  timestamptz NOT NULL,
    not_after   timestamptz NOT NULL,
    pem         text NOT NULL,
    created_on  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX client_certificates_user ON client_certificates (user_id, created_on, id);
