"""Email verification service with a Verifalia-compatible API."""
