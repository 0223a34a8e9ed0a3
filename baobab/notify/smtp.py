"""Sending e-mail over SMTP (STARTTLS or implicit TLS, authentication,
timeouts) with one result per envelope recipient.

Nothing here raises because a server refused or went away: every failure
becomes an :class:`~baobab.notify.outcome.Outcome` per recipient, and the
outbox decides what to retry.

- Failures of the session itself (connection refused or dropped, timeout,
  TLS, greeting, login) are ``RETRY`` whatever their code: they say nothing
  about the message, and the outbox's attempt limit ends them.
- Replies to MAIL, RCPT and DATA go by their code: ``4xx`` → ``RETRY``,
  ``5xx`` → ``FAILED``; RCPT is judged recipient by recipient.
"""

from __future__ import annotations

import copy
import smtplib
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from types import TracebackType
from typing import Any

from django.conf import settings

from baobab.notify.mime import WIRE_POLICY, address_of, envelope_recipients
from baobab.notify.outcome import Outcome

DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to hand messages over; :meth:`from_settings` reads Django's
    ``EMAIL_*`` settings."""

    host: str = "localhost"
    port: int = 25
    username: str = ""
    password: str = field(default="", repr=False)
    use_tls: bool = False
    """STARTTLS after the greeting (usually port 587)."""
    use_ssl: bool = False
    """Implicit TLS from the first byte (usually port 465)."""
    timeout: float = DEFAULT_TIMEOUT
    """Seconds for the connection and for each reply."""
    default_from: str = "webmaster@localhost"
    ca_file: str | None = None
    """CA certificates to trust instead of the system's (a private relay)."""
    certfile: str | None = None
    keyfile: str | None = None
    local_hostname: str | None = None
    """The EHLO name; by default the machine's fully qualified name."""
    ssl_context: ssl.SSLContext | None = field(default=None, compare=False, repr=False)
    """A ready TLS context; overrides ``ca_file``, ``certfile`` and ``keyfile``."""

    def __post_init__(self) -> None:
        if self.use_tls and self.use_ssl:
            raise ValueError("EMAIL_USE_TLS and EMAIL_USE_SSL are mutually exclusive")

    @classmethod
    def from_settings(cls) -> SmtpConfig:
        """The configuration from ``django.conf.settings`` (missing names take
        Django's defaults)."""
        timeout = getattr(settings, "EMAIL_TIMEOUT", None)
        return cls(
            host=getattr(settings, "EMAIL_HOST", "localhost"),
            port=int(getattr(settings, "EMAIL_PORT", 25)),
            username=getattr(settings, "EMAIL_HOST_USER", "") or "",
            password=getattr(settings, "EMAIL_HOST_PASSWORD", "") or "",
            use_tls=bool(getattr(settings, "EMAIL_USE_TLS", False)),
            use_ssl=bool(getattr(settings, "EMAIL_USE_SSL", False)),
            timeout=float(timeout) if timeout is not None else DEFAULT_TIMEOUT,
            default_from=getattr(settings, "DEFAULT_FROM_EMAIL", "webmaster@localhost"),
            ca_file=getattr(settings, "EMAIL_SSL_CAFILE", None),
            certfile=getattr(settings, "EMAIL_SSL_CERTFILE", None),
            keyfile=getattr(settings, "EMAIL_SSL_KEYFILE", None),
        )

    def tls_context(self) -> ssl.SSLContext:
        """The TLS context: certificates and host names are always verified."""
        if self.ssl_context is not None:
            return self.ssl_context
        context = ssl.create_default_context(cafile=self.ca_file)
        if self.certfile:
            context.load_cert_chain(self.certfile, self.keyfile)
        return context


@dataclass(frozen=True)
class RecipientResult:
    """What became of a message for one envelope recipient."""

    recipient: str
    outcome: Outcome
    stage: str
    """Where it ended: connect, tls, auth, mail, rcpt, data or done."""
    code: int | None = None
    detail: str = ""


@dataclass(frozen=True)
class SendReport:
    """The results of one message, one per envelope recipient."""

    results: tuple[RecipientResult, ...]

    def recipients(self, outcome: Outcome) -> list[str]:
        """The recipients whose result is ``outcome``."""
        return [r.recipient for r in self.results if r.outcome is outcome]

    @property
    def all_sent(self) -> bool:
        """Every recipient's copy was accepted."""
        return bool(self.results) and all(r.outcome is Outcome.SENT for r in self.results)


class _SessionError(Exception):
    """A failure of the connection, TLS or login: every recipient retries."""

    def __init__(self, stage: str, detail: str, code: int | None = None) -> None:
        super().__init__(detail)
        self.stage, self.detail, self.code = stage, detail, code


class _StaleConnectionError(Exception):
    """The server had closed the connection before this message began."""


class SmtpSession:
    """One SMTP connection reused for many messages, opened on first use and
    re-opened after the server drops it. Use as a context manager."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSession:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Say QUIT (politely, without waiting long) and drop the connection."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def send(
        self,
        message: EmailMessage,
        recipients: Sequence[str] | None = None,
        *,
        envelope_from: str | None = None,
    ) -> SendReport:
        """Hand ``message`` to the server for ``recipients`` (by default its To,
        Cc and Bcc addresses; a Bcc header is never sent)."""
        rcpts = (
            list(dict.fromkeys(recipients))
            if recipients is not None
            else envelope_recipients(message)
        )
        if not rcpts:
            return SendReport(())
        sender = address_of(envelope_from or str(message.get("From") or self.config.default_from))
        wire = message
        if "Bcc" in message:
            wire = copy.deepcopy(message)
            del wire["Bcc"]
        data = wire.as_bytes(policy=WIRE_POLICY)
        for _attempt in range(2):
            reused = self._smtp is not None
            try:
                smtp = self._connection()
                return self._transaction(smtp, sender, rcpts, data)
            except _StaleConnectionError as exc:
                self._drop()
                if reused:
                    continue  # the server closed an idle connection: once more
                return _all(rcpts, Outcome.RETRY, "mail", None, str(exc))
            except _SessionError as exc:
                self._drop()
                return _all(rcpts, Outcome.RETRY, exc.stage, exc.code, exc.detail)
        return _all(rcpts, Outcome.RETRY, "mail", None, "the connection was closed")

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            self._smtp = _open(self.config)
        return self._smtp

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    def _transaction(
        self, smtp: smtplib.SMTP, sender: str, rcpts: list[str], data: bytes
    ) -> SendReport:
        options = _mail_options(smtp, [sender, *rcpts], data)
        if options is None:
            return _all(rcpts, Outcome.FAILED, "mail", None, "the server lacks SMTPUTF8")
        try:
            code, reply = smtp.mail(sender, options)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise _StaleConnectionError(_describe(exc)) from exc  # nothing sent yet
        if code == 421:  # closing (an idle timeout, often): nothing sent yet either
            raise _StaleConnectionError(f"{code} {_text(reply)}")
        if code != 250:
            self._reset(smtp, code)
            return _all(rcpts, _by_code(code), "mail", code, _text(reply))
        stage = "rcpt"
        try:
            results = {rcpt: _rcpt(smtp, rcpt) for rcpt in rcpts}
            accepted = [r for r, result in results.items() if result is None]
            if accepted:
                stage = "data"
                done = self._data(smtp, data)
                results.update({r: replace(done, recipient=r) for r in accepted})
            else:
                self._reset(smtp, 0)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            # Accepted recipients retry too: the server never confirmed the data.
            raise _SessionError(stage, _describe(exc)) from exc
        return SendReport(tuple(result for result in results.values() if result is not None))

    def _data(self, smtp: smtplib.SMTP, data: bytes) -> RecipientResult:
        """Send the message; the result (without recipient) for every accepted one."""
        reply: bytes | str
        try:
            code, reply = smtp.data(data)  # raises for the 354, returns the final reply
        except smtplib.SMTPDataError as exc:
            code, reply = exc.smtp_code, exc.smtp_error
        if code == 250:
            return RecipientResult("", Outcome.SENT, "done", code, _text(reply))
        self._reset(smtp, code)
        return RecipientResult("", _by_code(code), "data", code, _text(reply))

    def _reset(self, smtp: smtplib.SMTP, code: int) -> None:
        """Make the connection ready for the next message, or drop it."""
        if code == 421:
            self._drop()
            return
        try:
            smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()


def _mail_options(smtp: smtplib.SMTP, addresses: list[str], data: bytes) -> list[str] | None:
    """The MAIL FROM options; None if an address needs SMTPUTF8 the server lacks."""
    options = [f"SIZE={len(data)}"] if smtp.has_extn("size") else []
    if not all(address.isascii() for address in addresses):
        if not smtp.has_extn("smtputf8"):
            return None
        options.append("SMTPUTF8")
    if not data.isascii() and smtp.has_extn("8bitmime"):
        options.append("BODY=8BITMIME")
    return options


def _rcpt(smtp: smtplib.SMTP, rcpt: str) -> RecipientResult | None:
    """None if the server accepts ``rcpt``, else its refusal."""
    code, reply = smtp.rcpt(rcpt)
    if code in (250, 251):
        return None
    if code == 421:  # the server is closing the connection
        raise _SessionError("rcpt", _text(reply), code)
    return RecipientResult(rcpt, _by_code(code), "rcpt", code, _text(reply))


def send_message(
    message: EmailMessage,
    config: SmtpConfig | None = None,
    recipients: Sequence[str] | None = None,
    *,
    envelope_from: str | None = None,
) -> SendReport:
    """Send one message on a connection of its own (see :class:`SmtpSession`
    to send many); the configuration defaults to Django's settings."""
    with SmtpSession(config or SmtpConfig.from_settings()) as session:
        return session.send(message, recipients, envelope_from=envelope_from)


def _open(config: SmtpConfig) -> smtplib.SMTP:
    """A connected, greeted, secured and logged-in SMTP client."""
    smtp: smtplib.SMTP
    stage = "connect"
    try:
        if config.use_ssl:
            smtp = smtplib.SMTP_SSL(
                config.host,
                config.port,
                local_hostname=config.local_hostname,
                timeout=config.timeout,
                context=config.tls_context(),
            )
        else:
            smtp = smtplib.SMTP(
                config.host,
                config.port,
                local_hostname=config.local_hostname,
                timeout=config.timeout,
            )
    except ssl.SSLError as exc:
        raise _SessionError("tls", _describe(exc)) from exc
    except smtplib.SMTPConnectError as exc:
        raise _SessionError(stage, _text(exc.smtp_error), exc.smtp_code) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise _SessionError(stage, _describe(exc)) from exc
    try:
        stage = "connect"
        smtp.ehlo_or_helo_if_needed()
        if config.use_tls:
            stage = "tls"
            smtp.starttls(context=config.tls_context())
            smtp.ehlo()
        if config.username:
            stage = "auth"
            smtp.login(config.username, config.password)
    except smtplib.SMTPNotSupportedError as exc:
        smtp.close()
        raise _SessionError(stage, f"the server does not offer it: {exc}") from exc
    except smtplib.SMTPResponseException as exc:
        smtp.close()
        raise _SessionError(stage, _text(exc.smtp_error), exc.smtp_code) from exc
    except (OSError, smtplib.SMTPException) as exc:
        smtp.close()
        raise _SessionError(stage, _describe(exc)) from exc
    return smtp


def _by_code(code: int) -> Outcome:
    """4xx (and anything unexpected) retries; 5xx is final."""
    return Outcome.FAILED if 500 <= code <= 599 else Outcome.RETRY


def _all(
    rcpts: Sequence[str], outcome: Outcome, stage: str, code: int | None, detail: str
) -> SendReport:
    return SendReport(tuple(RecipientResult(r, outcome, stage, code, detail) for r in rcpts))


def _text(reply: Any) -> str:
    if isinstance(reply, bytes):
        return reply.decode("utf-8", "replace")
    return str(reply)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted: {exc.verify_message}"
    return str(exc) or type(exc).__name__
