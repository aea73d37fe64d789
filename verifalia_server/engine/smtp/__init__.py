"""SMTP probing: reply classification, the client session and the batch prober."""
