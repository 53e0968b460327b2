"""A real SMTP server for tests (aiosmtpd on 127.0.0.1, a free port), programmable to fail.

It stores every accepted message's raw bytes and envelope, counts SMTP sessions, and can
be told to:

* refuse a recipient with a 4xx (transient) or 5xx (permanent) reply, for the next
  ``times`` RCPT commands or for ever: :meth:`SMTPTestServer.refuse`;
* drop the next ``n`` connections before the greeting (the client sees the server
  disconnect): :meth:`SMTPTestServer.drop_connections`;
* be DOWN, not listening at all (connection refused) from :meth:`SMTPTestServer.down`
  until :meth:`SMTPTestServer.up`, on the same port (a closed port cannot count the
  attempts it refuses: the test says when the server comes back).

Use as a context manager::

    with SMTPTestServer() as smtp:
        settings.EMAIL_PORT = smtp.port
        ...
        assert smtp.recipients() == ["a@example.org"]
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

# aiosmtpd logs every SMTP command at INFO; tests and benchmarks only need its warnings.
logging.getLogger("mail.log").setLevel(logging.WARNING)


@dataclass
class Received:
    """One accepted message: envelope sender and recipients, raw bytes, SMTP session number."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    session: int

    def parsed(self) -> EmailMessage:
        """The message parsed with the modern email policy."""
        message = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        return message


@dataclass
class _Refusal:
    reply: str
    times: int | None  # None: for ever


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    messages: list[Received] = field(default_factory=list)
    sessions: int = 0
    drop: int = 0
    refusals: dict[str, _Refusal] = field(default_factory=dict)
    rcpt_replies: Counter[str] = field(default_factory=Counter)


class _Handler:
    def __init__(self, state: _State) -> None:
        self.state = state

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        with self.state.lock:
            refusal = self.state.refusals.get(address.lower())
            if refusal is not None and refusal.times != 0:
                if refusal.times is not None:
                    refusal.times -= 1
                self.state.rcpt_replies[refusal.reply[:3]] += 1
                return refusal.reply
            self.state.rcpt_replies["250"] += 1
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        number = getattr(session, "number", 0)
        with self.state.lock:
            self.state.messages.append(
                Received(str(envelope.mail_from), list(envelope.rcpt_tos), raw, number)
            )
        return "250 Message accepted for delivery"


class _Dropper(asyncio.Protocol):
    """Closes the connection before the greeting."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.close()


class _NumberedSMTP(SMTP):
    def __init__(self, handler: _Handler, state: _State, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._state = state

    def _create_session(self) -> Session:
        session = super()._create_session()
        with self._state.lock:
            self._state.sessions += 1
            session.number = self._state.sessions  # type: ignore[attr-defined]
        return session


class _Controller(Controller):
    def __init__(self, state: _State, port: int) -> None:
        self.state = state
        super().__init__(_Handler(state), hostname="127.0.0.1", port=port)

    def factory(self) -> Any:
        with self.state.lock:
            if self.state.drop > 0:
                self.state.drop -= 1
                return _Dropper()
        return _NumberedSMTP(self.handler, self.state, **self.SMTP_kwargs)

    def _trigger_server(self) -> None:
        # The base class connects once to check the server is up; that probe must not
        # count as a session nor be dropped, so it is made while nothing is programmed.
        with self.state.lock:
            drop, self.state.drop = self.state.drop, 0
        try:
            super()._trigger_server()
        finally:
            with self.state.lock:
                self.state.drop = drop
                self.state.sessions = max(self.state.sessions - 1, 0)


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SMTPTestServer:
    """aiosmtpd on 127.0.0.1:``port`` (a free one by default); see the module docstring."""

    def __init__(self, port: int | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self._state = _State()
        self._controller: _Controller | None = None

    # --- life cycle --------------------------------------------------------------------

    def __enter__(self) -> SMTPTestServer:
        self.up()
        return self

    def __exit__(self, *exc: object) -> None:
        self.down()

    @property
    def listening(self) -> bool:
        return self._controller is not None

    def up(self) -> None:
        """Start listening on :attr:`port` (no-op when already up)."""
        if self._controller is None:
            controller = _Controller(self._state, self.port)
            controller.start()
            self._controller = controller

    def down(self) -> None:
        """Stop listening: connections to :attr:`port` are refused until :meth:`up`."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    # --- programming failures ----------------------------------------------------------

    def refuse(self, address: str, code: int, times: int | None = None) -> None:
        """Answer RCPT TO ``address`` with ``code`` (4xx or 5xx) the next ``times`` times
        (``None``: always)."""
        if not 400 <= code <= 599:
            raise ValueError(f"refusal code must be 4xx or 5xx, not {code}")
        enhanced = "4.2.0" if code < 500 else "5.1.1"
        reply = f"{code} {enhanced} {'try again later' if code < 500 else 'no such user'}"
        with self._state.lock:
            self._state.refusals[address.lower()] = _Refusal(reply, times)

    def drop_connections(self, n: int) -> None:
        """Close the next ``n`` connections before the greeting."""
        with self._state.lock:
            self._state.drop = n

    # --- what was received -------------------------------------------------------------

    @property
    def messages(self) -> list[Received]:
        with self._state.lock:
            return list(self._state.messages)

    @property
    def sessions(self) -> int:
        """SMTP sessions served (connections that got a greeting)."""
        with self._state.lock:
            return self._state.sessions

    def rcpt_replies(self) -> Counter[str]:
        """How many RCPT commands got each reply code (``"250"``, ``"451"``, ...)."""
        with self._state.lock:
            return Counter(self._state.rcpt_replies)

    def recipients(self) -> list[str]:
        """Every recipient of every accepted message, in order (repeats kept)."""
        return [rcpt for message in self.messages for rcpt in message.rcpt_tos]

    def clear(self) -> None:
        """Forget the received messages and the session count."""
        with self._state.lock:
            self._state.messages.clear()
            self._state.sessions = 0
            self._state.rcpt_replies.clear()
