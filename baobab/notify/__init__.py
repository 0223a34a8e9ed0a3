"""Notifications: routed events reach the responsible people as grouped digests,
by PGP e-mail or webhook.

Transports: :mod:`.mime` builds e-mails, :mod:`.pgpmime` signs and encrypts
them (RFC 3156), :mod:`.smtp` sends them and :mod:`.webhook` posts signed
JSON; each delivery returns an :class:`.outcome.Outcome` per recipient and
never raises because a server refused or vanished: the outbox decides what
to retry.
"""
