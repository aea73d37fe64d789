"""A farm of real Postfix mail exchangers (and postgrey) on loopback, with their DNS and a latency relay."""
