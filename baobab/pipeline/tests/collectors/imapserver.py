"""A small IMAP4rev1 server on a real loopback socket, enough for Python's
imaplib to talk to it for real: CAPABILITY, LOGIN, STARTTLS, SELECT/EXAMINE,
UID SEARCH, UID FETCH (UID, FLAGS, RFC822.SIZE, BODY[HEADER], BODY[],
RFC822 and their PEEK forms), UID STORE, UID COPY, UID MOVE, UID EXPUNGE,
EXPUNGE, CLOSE, NOOP, LOGOUT. Plain, implicit TLS or STARTTLS."""

from __future__ import annotations

import re
import socketserver
import ssl
import threading
from dataclasses import dataclass, field
from typing import Any

FLAGS = r"(\Answered \Flagged \Deleted \Seen \Draft)"


@dataclass
class StoredMessage:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


@dataclass
class Mailbox:
    uidvalidity: int = 1
    next_uid: int = 1
    messages: list[StoredMessage] = field(default_factory=list)

    def add(self, raw: bytes, flags: set[str] | None = None) -> int:
        uid = self.next_uid
        self.next_uid += 1
        self.messages.append(
            StoredMessage(
                uid, raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"), set(flags or ())
            )
        )
        return uid

    def uids(self, spec: str) -> list[int]:
        """The UIDs a UID set (``1,3:5,7:*``) names, as RFC 3501 reads it."""
        existing = [message.uid for message in self.messages]
        if not existing:
            return []
        top = max(existing)
        wanted: set[int] = set()
        for part in spec.split(","):
            low_text, _sep, high_text = part.partition(":")
            low = top if low_text == "*" else int(low_text)
            high = low if not _sep else (top if high_text == "*" else int(high_text))
            low, high = min(low, high), max(low, high)
            wanted.update(uid for uid in existing if low <= uid <= high)
        return sorted(wanted)


class Tokens:
    """IMAP arguments: atoms, quoted strings and parenthesised lists."""

    TOKEN = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|(\()|(\))|([^\s()"]+))')

    @classmethod
    def parse(cls, text: str) -> list[Any]:
        stack: list[list[Any]] = [[]]
        pos = 0
        while pos < len(text):
            match = cls.TOKEN.match(text, pos)
            if not match or match.end() == pos:
                break
            pos = match.end()
            quoted, opening, closing, atom = match.groups()
            if quoted is not None:
                stack[-1].append(re.sub(r"\\(.)", r"\1", quoted))
            elif opening:
                stack.append([])
            elif closing:
                inner = stack.pop()
                stack[-1].append(inner)
            elif atom is not None:
                stack[-1].append(atom)
        return stack[0]


class ImapServer(socketserver.ThreadingTCPServer):
    """The server: mailboxes by name, the users it accepts, what it was told."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        *,
        users: dict[str, str],
        tls: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
        capabilities: tuple[str, ...] = ("MOVE", "UIDPLUS"),
    ) -> None:
        self.users = users
        self.tls = tls
        self.implicit_tls = implicit_tls
        self.extra_capabilities = capabilities
        self.mailboxes: dict[str, Mailbox] = {"INBOX": Mailbox(uidvalidity=1000)}
        self.commands: list[str] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), ImapHandler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def get_request(self) -> tuple[Any, Any]:
        sock, address = super().get_request()
        if self.implicit_tls and self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_side=True)
        return sock, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that drops the connection (or refuses our certificate) is
        part of the tests, not an error to print."""

    def mailbox(self, name: str) -> Mailbox:
        return self.mailboxes.setdefault(name, Mailbox(uidvalidity=2000 + len(self.mailboxes)))

    def __enter__(self) -> ImapServer:
        threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


class ImapHandler(socketserver.StreamRequestHandler):
    server: ImapServer
    disable_nagle_algorithm = True  # one small write per response line

    def setup(self) -> None:
        super().setup()
        self.user: str | None = None
        self.selected: Mailbox | None = None
        self.readonly = False
        self.tls_active = self.server.implicit_tls

    # -- wire -----------------------------------------------------------------
    def send(self, line: str | bytes) -> None:
        data = line.encode() if isinstance(line, str) else line
        self.wfile.write(data + b"\r\n")
        self.wfile.flush()

    def capabilities(self) -> str:
        caps = ["IMAP4rev1", "LITERAL+"]
        if self.server.tls is not None and not self.tls_active:
            caps.append("STARTTLS")
        if self.user is None:
            caps.append("AUTH=PLAIN")
        else:
            caps.extend(self.server.extra_capabilities)
        return " ".join(caps)

    def handle(self) -> None:
        self.send(f"* OK [CAPABILITY {self.capabilities()}] test IMAP ready")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            tag, _sep, rest = text.partition(" ")
            name, _sep, args = rest.partition(" ")
            name = name.upper()
            with self.server.lock:
                self.server.commands.append(f"{name} {args}" if name != "LOGIN" else "LOGIN")
            handler = getattr(self, f"do_{name.lower()}", None)
            if handler is None:
                self.send(f"{tag} BAD unknown command {name}")
                continue
            if handler(tag, args) == "quit":
                return

    # -- commands -------------------------------------------------------------
    def do_capability(self, tag: str, args: str) -> None:
        self.send(f"* CAPABILITY {self.capabilities()}")
        self.send(f"{tag} OK CAPABILITY completed")

    def do_noop(self, tag: str, args: str) -> None:
        self.send(f"{tag} OK NOOP completed")

    def do_logout(self, tag: str, args: str) -> str:
        self.send("* BYE logging out")
        self.send(f"{tag} OK LOGOUT completed")
        return "quit"

    def do_starttls(self, tag: str, args: str) -> None:
        if self.server.tls is None or self.tls_active:
            self.send(f"{tag} BAD STARTTLS not available")
            return
        self.send(f"{tag} OK begin TLS")
        self.request = self.server.tls.wrap_socket(self.request, server_side=True)
        self.rfile = self.request.makefile("rb")
        self.wfile = self.request.makefile("wb")
        self.tls_active = True

    def do_login(self, tag: str, args: str) -> None:
        if self.server.tls is not None and not self.tls_active:
            self.send(f"{tag} NO [PRIVACYREQUIRED] use TLS first")
            return
        tokens = Tokens.parse(args)
        if len(tokens) == 2 and self.server.users.get(tokens[0]) == tokens[1]:
            self.user = tokens[0]
            self.send(f"{tag} OK [CAPABILITY {self.capabilities()}] logged in")
        else:
            self.send(f"{tag} NO [AUTHENTICATIONFAILED] invalid credentials")

    def _select(self, tag: str, args: str, *, readonly: bool) -> None:
        if self.user is None:
            self.send(f"{tag} NO log in first")
            return
        (name,) = Tokens.parse(args)
        if name not in self.server.mailboxes:
            self.send(f"{tag} NO [NONEXISTENT] no such mailbox")
            return
        box = self.server.mailboxes[name]
        self.selected, self.readonly = box, readonly
        self.send(f"* FLAGS {FLAGS}")
        self.send(f"* {len(box.messages)} EXISTS")
        self.send("* 0 RECENT")
        self.send(f"* OK [UIDVALIDITY {box.uidvalidity}] UIDs valid")
        self.send(f"* OK [UIDNEXT {box.next_uid}] predicted next UID")
        mode = "READ-ONLY" if readonly else "READ-WRITE"
        self.send(f"{tag} OK [{mode}] {'EXAMINE' if readonly else 'SELECT'} completed")

    def do_select(self, tag: str, args: str) -> None:
        self._select(tag, args, readonly=False)

    def do_examine(self, tag: str, args: str) -> None:
        self._select(tag, args, readonly=True)

    def do_close(self, tag: str, args: str) -> None:
        self.selected = None
        self.send(f"{tag} OK CLOSE completed")

    def do_expunge(self, tag: str, args: str) -> None:
        self._expunge(tag, None)

    def _expunge(self, tag: str, only: set[int] | None) -> None:
        box = self.selected
        if box is None or self.readonly:
            self.send(f"{tag} NO not allowed")
            return
        with self.server.lock:
            for seq in range(len(box.messages), 0, -1):
                message = box.messages[seq - 1]
                if "\\Deleted" in message.flags and (only is None or message.uid in only):
                    del box.messages[seq - 1]
                    self.send(f"* {seq} EXPUNGE")
        self.send(f"{tag} OK EXPUNGE completed")

    def do_uid(self, tag: str, args: str) -> None:
        box = self.selected
        if box is None:
            self.send(f"{tag} NO select a mailbox first")
            return
        command, _sep, rest = args.partition(" ")
        command = command.upper()
        if command == "SEARCH":
            self._search(tag, box, rest)
        elif command == "FETCH":
            spec, _sep, items = rest.partition(" ")
            self._fetch(tag, box, box.uids(spec), items)
        elif command == "STORE":
            spec, _sep, rest = rest.partition(" ")
            self._store(tag, box, box.uids(spec), rest)
        elif command in ("COPY", "MOVE"):
            if command == "MOVE" and "MOVE" not in self.server.extra_capabilities:
                self.send(f"{tag} BAD MOVE not supported")
                return
            spec, _sep, target = rest.partition(" ")
            self._copy(tag, box, box.uids(spec), Tokens.parse(target)[0], move=command == "MOVE")
        elif command == "EXPUNGE":
            self._expunge(tag, set(box.uids(rest)))
        else:
            self.send(f"{tag} BAD unknown UID command")

    def _search(self, tag: str, box: Mailbox, criteria: str) -> None:
        tokens = Tokens.parse(criteria)
        if tokens and str(tokens[0]).upper() == "UID":
            found = box.uids(tokens[1])
        elif [str(token).upper() for token in tokens] == ["ALL"]:
            found = [message.uid for message in box.messages]
        else:
            self.send(f"{tag} BAD unsupported search")
            return
        self.send("* SEARCH" + "".join(f" {uid}" for uid in found))
        self.send(f"{tag} OK SEARCH completed")

    def _fetch(self, tag: str, box: Mailbox, uids: list[int], items_text: str) -> None:
        items = items_text.upper()
        for seq, message in enumerate(box.messages, start=1):
            if message.uid not in uids:
                continue
            parts: list[bytes] = [b"UID %d" % message.uid]
            literal: bytes | None = None
            literal_name = b""
            if re.search(r"\bFLAGS\b", items):
                parts.append(b"FLAGS (" + " ".join(sorted(message.flags)).encode() + b")")
            if "RFC822.SIZE" in items:
                parts.append(b"RFC822.SIZE %d" % len(message.raw))
            peek = "PEEK" in items
            if "BODY.PEEK[HEADER]" in items or "BODY[HEADER]" in items:
                literal = message.raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
                literal_name = b"BODY[HEADER]"
            elif "BODY.PEEK[]" in items or "BODY[]" in items:
                literal, literal_name = message.raw, b"BODY[]"
            elif re.search(r"\bRFC822(?![.\w])", items):
                literal, literal_name, peek = message.raw, b"RFC822", False
            if literal is not None and not peek and not self.readonly:
                message.flags.add("\\Seen")
            head = b"* %d FETCH (" % seq + b" ".join(parts)
            if literal is None:
                self.send(head + b")")
            else:
                self.wfile.write(head + b" " + literal_name + b" {%d}\r\n" % len(literal))
                self.wfile.write(literal)
                self.send(b")")
        self.send(f"{tag} OK FETCH completed")

    def _store(self, tag: str, box: Mailbox, uids: list[int], rest: str) -> None:
        if self.readonly:
            self.send(f"{tag} NO mailbox is read-only")
            return
        mode, _sep, flags_text = rest.partition(" ")
        flags_tokens = Tokens.parse(flags_text)
        flags = set(
            flags_tokens[0] if flags_tokens and isinstance(flags_tokens[0], list) else flags_tokens
        )
        silent = mode.upper().endswith(".SILENT")
        for seq, message in enumerate(box.messages, start=1):
            if message.uid not in uids:
                continue
            if mode.startswith("+"):
                message.flags |= flags
            elif mode.startswith("-"):
                message.flags -= flags
            else:
                message.flags = set(flags)
            if not silent:
                listed = " ".join(sorted(message.flags))
                self.send(f"* {seq} FETCH (UID {message.uid} FLAGS ({listed}))")
        self.send(f"{tag} OK STORE completed")

    def _copy(self, tag: str, box: Mailbox, uids: list[int], target: str, *, move: bool) -> None:
        if self.readonly and move:
            self.send(f"{tag} NO mailbox is read-only")
            return
        destination = self.server.mailbox(target)
        with self.server.lock:
            for message in [m for m in box.messages if m.uid in uids]:
                destination.add(message.raw, message.flags - {"\\Deleted"})
            if move:
                for seq in range(len(box.messages), 0, -1):
                    if box.messages[seq - 1].uid in uids:
                        del box.messages[seq - 1]
                        self.send(f"* {seq} EXPUNGE")
        self.send(f"{tag} OK {'MOVE' if move else 'COPY'} completed")
