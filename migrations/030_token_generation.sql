-- Bearer tokens carry the generation of the sub-account's credentials they were issued under. Rotating
-- the auth token or disabling the sub-account moves the generation on, so every bearer token issued
-- before stops working at once.

ALTER TABLE sub_accounts ADD COLUMN token_generation integer NOT NULL DEFAULT 0;
