"""The IMAP collector: report e-mails (ShadowServer and others) in a mailbox.

Options (``Feed.collector_options``):

``host``, ``port``
    The IMAP server; the port defaults to 993 with ``ssl``, 143 otherwise.
``security``
    ``ssl`` (IMAP over TLS, the default), ``starttls``, or ``plain``
    (allowed only to a server on this machine: 127.0.0.1, ::1, localhost).
``username``, ``password_env``
    The login; the password is read from the environment variable named
    (``BAOBAB_FEED_…``), never stored in the database.
``folder``
    The mailbox folder to read. Default ``INBOX``.
``sender``, ``subject``
    Only messages whose From address contains ``sender`` and whose subject
    contains ``subject`` (ignoring case). Both optional. A From header is
    easy to forge: give the feed a mailbox of its own.
``attachment_pattern``
    Only attachments whose name matches this glob. Default ``*``.
``mark_seen``
    Flag the messages read ``\\Seen``. Default true.
``move_to``
    Move the messages read into this folder (MOVE, or COPY and EXPUNGE).
``timeout``
    Seconds to wait for the server at each step. Default 60.
``ca_file``
    A PEM file of certificate authorities to trust instead of the system's.
``max_messages``
    At most this many messages per collection (the rest come next time).
    Default 200.

Every attachment becomes a run whose file name is the attachment's (so the
ShadowServer parser reads the report type from it); zipped and gzip'd
attachments are unpacked first. Signatures are left out. The messages read
are remembered by the folder's UIDVALIDITY and the highest UID read, in
``Feed.collector_state``: a message is read once, even if it stays in the
folder; if the folder is re-created (a new UIDVALIDITY) it is read again.
"""

from __future__ import annotations

import contextlib
import imaplib
import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.utils.translation import gettext as _

from baobab.pipeline.collectors import mail
from baobab.pipeline.collectors.base import (
    CollectorError,
    Job,
    logger,
    max_bytes,
    spool_dir,
    tls_context,
    too_large,
)
from baobab.pipeline.collectors.options import Options, secret
from baobab.pipeline.collectors.state import remember

KNOWN_OPTIONS = (
    "host",
    "port",
    "security",
    "username",
    "password_env",
    "folder",
    "sender",
    "subject",
    "attachment_pattern",
    "mark_seen",
    "move_to",
    "timeout",
    "ca_file",
    "max_messages",
)
SECURITY = ("ssl", "starttls", "plain")
SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
FOLDER = re.compile(r"^[\x20-\x7e]{1,200}$")


@dataclass(frozen=True)
class ImapOptions:
    """The IMAP collector's options, checked."""

    host: str
    port: int
    security: str
    username: str
    password_env: str
    folder: str = "INBOX"
    sender: str = ""
    subject: str = ""
    attachment_pattern: str = "*"
    mark_seen: bool = True
    move_to: str = ""
    timeout: float = 60.0
    ca_file: str = ""
    max_messages: int = 200

    @property
    def mailbox(self) -> str:
        """The folder as an IMAP URL (RFC 5092), which runs record as their source."""
        user = quote(self.username, safe="")
        return f"imap://{user}@{self.host}:{self.port}/{quote(self.folder, safe='')}"


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_options(raw: Any) -> ImapOptions:
    """Check the options of an IMAP feed."""
    options = Options(raw, KNOWN_OPTIONS)
    host = options.text("host", required=True)
    security = options.choice("security", SECURITY, default="ssl")
    if security == "plain" and host and not is_loopback(host):
        options.errors.append(
            _("Without TLS (security plain) Baobab only talks to a server on this machine.")
        )
    default_port = 993 if security == "ssl" else 143
    result = ImapOptions(
        host=host,
        port=options.integer("port", default=default_port, minimum=1, maximum=65535),
        security=security,
        username=options.text("username", required=True),
        password_env=options.env_name("password_env", required=True),
        folder=options.text("folder", default="INBOX"),
        sender=options.text("sender"),
        subject=options.text("subject"),
        attachment_pattern=options.text("attachment_pattern", default="*"),
        mark_seen=options.flag("mark_seen", default=True),
        move_to=options.text("move_to"),
        timeout=options.number("timeout", default=60.0, minimum=0.1, maximum=3600),
        ca_file=options.text("ca_file"),
        max_messages=options.integer("max_messages", default=200, minimum=1, maximum=100000),
    )
    for name, folder in (("folder", result.folder), ("move_to", result.move_to)):
        if folder and not FOLDER.match(folder):
            options.errors.append(
                _("The option %(name)s must be a folder name in plain ASCII.") % {"name": name}
            )
    options.check()
    return result


def quoted(text: str) -> str:
    """``text`` as an IMAP quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ok(answer: tuple[str, list[Any]], what: str) -> list[Any]:
    typ, data = answer
    if typ != "OK":
        detail = b" ".join(item for item in data if isinstance(item, bytes))
        raise CollectorError(
            _("The IMAP server refused %(what)s: %(answer)s")
            % {"what": what, "answer": detail.decode("utf-8", "replace") or typ}
        )
    return data


@contextlib.contextmanager
def connect(options: ImapOptions, password: str) -> Iterator[imaplib.IMAP4]:
    """A logged-in IMAP session, logged out on leaving."""
    context = tls_context(options.ca_file)
    try:
        if options.security == "ssl":
            conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                options.host, options.port, ssl_context=context, timeout=options.timeout
            )
        else:
            conn = imaplib.IMAP4(options.host, options.port, timeout=options.timeout)
            if options.security == "starttls":
                conn.starttls(ssl_context=context)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise CollectorError(
            _("Could not connect to the IMAP server %(host)s: %(error)s")
            % {"host": options.host, "error": exc}
        ) from exc
    try:
        try:
            conn.login(quoted(options.username), password)
        except (imaplib.IMAP4.error, UnicodeError) as exc:
            raise CollectorError(
                _("The IMAP server refused the login: %(error)s") % {"error": exc}
            ) from exc
        # What the server offers once logged in (MOVE, UIDPLUS…).
        capabilities = _ok(conn.capability(), "CAPABILITY")
        if capabilities and isinstance(capabilities[-1], bytes):
            conn.capabilities = tuple(capabilities[-1].decode("ascii", "replace").upper().split())
        yield conn
    finally:
        with contextlib.suppress(Exception):
            conn.logout()


def _fetched(data: list[Any], uid: int) -> tuple[bytes, bytes] | None:
    """The (response text, literal) of message ``uid`` in a FETCH answer;
    the text includes what the server sent after the literal."""
    found: tuple[bytes, bytes] | None = None
    for index, item in enumerate(data):
        if not isinstance(item, tuple):
            continue
        text, literal = item
        following = data[index + 1] if index + 1 < len(data) else b""
        if isinstance(following, bytes):
            text += b" " + following
        if re.search(rb"\bUID %d\b" % uid, text) or found is None:
            found = (text, literal)
    return found


def _header(conn: imaplib.IMAP4, uid: int) -> tuple[bytes, int] | None:
    data = _ok(conn.uid("FETCH", str(uid), "(RFC822.SIZE BODY.PEEK[HEADER])"), "FETCH")
    found = _fetched(data, uid)
    if found is None:
        return None  # expunged meanwhile
    size = SIZE.search(found[0])
    return found[1], int(size.group(1)) if size else 0


def _body(conn: imaplib.IMAP4, uid: int) -> bytes | None:
    found = _fetched(_ok(conn.uid("FETCH", str(uid), "(BODY.PEEK[])"), "FETCH"), uid)
    return None if found is None else found[1]


def _ingest_attachment(job: Job, attachment: mail.Attachment, source: str, scratch: Path) -> None:
    path = scratch / "attachment"
    path.write_bytes(attachment.payload)
    try:
        job.ingest(path, file_name=attachment.name, source=source, move=True)
    except Exception as exc:  # one bad attachment must not stop the mailbox
        if not isinstance(exc, CollectorError):
            logger.exception("feed %s: could not ingest %s", job.feed.name, attachment.name)
        job.fail(str(exc) or exc.__class__.__name__, source=f"{source} ({attachment.name})")
    finally:
        path.unlink(missing_ok=True)


def _read_message(
    job: Job, conn: imaplib.IMAP4, uid: int, options: ImapOptions, source: str
) -> bool:
    """Hand over the attachments of message ``uid`` if it is one the feed
    wants; whether it was."""
    head = _header(conn, uid)
    if head is None:
        return False
    header, size = head
    if not mail.wanted(mail.parse(header), sender=options.sender, subject_contains=options.subject):
        return False
    limit = max_bytes()
    if size > limit:
        job.fail(str(too_large(limit)), source=source)
        return True
    raw = _body(conn, uid)
    if raw is None:
        return False
    count = 0
    with spool_dir() as scratch:
        for attachment in mail.attachments(mail.parse(raw), options.attachment_pattern):
            _ingest_attachment(job, attachment, source, scratch)
            count += 1
    if not count:
        logger.info("feed %s: no report attached to %s", job.feed.name, source)
    return True


def _new_uids(conn: imaplib.IMAP4, last_uid: int, limit: int) -> list[int]:
    criteria = f"UID {last_uid + 1}:*" if last_uid else "ALL"
    data = _ok(conn.uid("SEARCH", criteria), "SEARCH")
    found = {int(uid) for line in data if line for uid in line.split() if uid.isdigit()}
    # "n:*" also matches the last message when n is past it: keep only new ones.
    return sorted(uid for uid in found if uid > last_uid)[:limit]


def _dispose(conn: imaplib.IMAP4, uid: int, options: ImapOptions) -> bool:
    """Move or flag a message read; whether it awaits an EXPUNGE."""
    if options.move_to:
        if "MOVE" in conn.capabilities:
            _ok(conn.uid("MOVE", str(uid), quoted(options.move_to)), "MOVE")
            return False
        _ok(conn.uid("COPY", str(uid), quoted(options.move_to)), "COPY")
        _ok(conn.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Deleted)"), "STORE")
        return True
    if options.mark_seen:
        _ok(conn.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Seen)"), "STORE")
    return False


def _read_folder(job: Job, conn: imaplib.IMAP4, options: ImapOptions) -> None:
    readonly = not (options.mark_seen or options.move_to)
    _ok(conn.select(quoted(options.folder), readonly=readonly), "SELECT")
    _typ, validity = conn.response("UIDVALIDITY")
    if not validity or not validity[0]:
        raise CollectorError(_("The IMAP server gave no UIDVALIDITY for the folder."))
    uidvalidity = int(validity[0])
    seen = job.feed.collector_state.get("imap") or {}
    last_uid = 0
    if seen.get("mailbox") == options.mailbox and seen.get("uidvalidity") == uidvalidity:
        last_uid = int(seen.get("last_uid") or 0)
    folder_source = f"{options.mailbox};UIDVALIDITY={uidvalidity}"
    expunge: list[int] = []
    for uid in _new_uids(conn, last_uid, options.max_messages):
        was_report = _read_message(job, conn, uid, options, f"{folder_source}/;UID={uid}")
        # Remembered before it is moved: a failed move must not mean a second read.
        remember(
            job.feed,
            "imap",
            {"mailbox": options.mailbox, "uidvalidity": uidvalidity, "last_uid": uid},
        )
        if was_report and _dispose(conn, uid, options):
            expunge.append(uid)
    if expunge:
        if "UIDPLUS" in conn.capabilities:
            _ok(conn.uid("EXPUNGE", ",".join(map(str, expunge))), "EXPUNGE")
        else:
            _ok(conn.expunge(), "EXPUNGE")


def collect(job: Job) -> None:
    """Read the new report e-mails of the feed's mailbox."""
    options = read_options(job.feed.collector_options)
    job.source = options.mailbox
    password = secret(options.password_env)
    try:
        with connect(options, password) as conn:
            _read_folder(job, conn, options)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise CollectorError(
            _("The IMAP session with %(host)s failed: %(error)s")
            % {"host": options.host, "error": exc}
        ) from exc
