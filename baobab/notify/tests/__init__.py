"""Tests of the notification transports: MIME, PGP/MIME, SMTP and webhooks."""
