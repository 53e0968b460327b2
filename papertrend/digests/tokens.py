"""Signed links for subscribers: confirm, unsubscribe, preferences (``django.core.signing``).

Every token is ``<subscriber id>.<email digest>`` signed with SECRET_KEY under a salt
per purpose, so a token made for one purpose never works for another. The email
digest is an HMAC of the lower-cased address (the address itself never appears in a
URL), so changing a subscriber's address invalidates every link made for the old one.
Confirmation tokens expire (``CONFIRMATION_MAX_AGE``, TimestampSigner); unsubscribe and
preferences tokens do not, because they sit in emails people open months later.
Tokens are URL-safe (base64 and ``.:``-separated), fit in a path segment.

A confirmation token also carries the time it was made (microseconds since the epoch)
and is refused once the address was unsubscribed or disabled after that time: an old
confirmation link cannot re-subscribe an address that left; only a link from a new
subscribe request can.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.core import signing
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from papertrend.digests.models import Subscriber

CONFIRMATION_MAX_AGE = timedelta(days=7)

_CONFIRM = "papertrend.digests.confirm"
_UNSUBSCRIBE = "papertrend.digests.unsubscribe"
_PREFERENCES = "papertrend.digests.preferences"


class InvalidToken(Exception):
    """A token that is malformed, tampered with, for another purpose, or for a changed address."""


class ExpiredToken(InvalidToken):
    """A confirmation token whose signature is good but older than ``CONFIRMATION_MAX_AGE``."""


def _email_digest(purpose: str, email: str) -> str:
    return salted_hmac(purpose + ".email", email.strip().lower(), algorithm="sha256").hexdigest()[
        :20
    ]


def _value(purpose: str, subscriber: Subscriber) -> str:
    return f"{subscriber.pk}.{_email_digest(purpose, subscriber.email)}"


def _lookup(purpose: str, value: str) -> Subscriber:
    pk, _, digest = value.partition(".")
    if not pk.isdigit() or not digest:
        raise InvalidToken("malformed token")
    subscriber = Subscriber.objects.filter(pk=int(pk)).first()
    if subscriber is None or not constant_time_compare(
        digest, _email_digest(purpose, subscriber.email)
    ):
        raise InvalidToken("no subscriber with this address")
    return subscriber


def confirmation_token(subscriber: Subscriber, now: datetime | None = None) -> str:
    """A token for the double opt-in link; valid for ``CONFIRMATION_MAX_AGE`` (7 days)
    and only until the address is next unsubscribed or disabled."""
    issued = now or timezone.now()
    micros = int(issued.timestamp() * 1_000_000)
    return signing.TimestampSigner(salt=_CONFIRM).sign(f"{_value(_CONFIRM, subscriber)}.{micros}")


def _issued_at(token: str, value: str) -> tuple[str, datetime]:
    """(``id.digest``, when the token was made): from the value's third part, or, for
    tokens made before it was added, from the signature's timestamp (whole seconds)."""
    base, _, micros = value.rpartition(".")
    if base.count(".") == 1 and micros.isdigit():
        return base, datetime.fromtimestamp(int(micros) / 1_000_000, tz=UTC)
    # TimestampSigner tokens are "<value>:<base62 seconds>:<signature>".
    stamp = token[len(value) + 1 :].partition(":")[0]
    return value, datetime.fromtimestamp(signing.b62_decode(stamp), tz=UTC)


def unsubscribe_token(subscriber: Subscriber) -> str:
    """A non-expiring token for the unsubscribe link and List-Unsubscribe header."""
    return signing.Signer(salt=_UNSUBSCRIBE).sign(_value(_UNSUBSCRIBE, subscriber))


def preferences_token(subscriber: Subscriber) -> str:
    """A non-expiring token for the preferences page and the digest preview."""
    return signing.Signer(salt=_PREFERENCES).sign(_value(_PREFERENCES, subscriber))


def read_confirmation_token(token: str) -> Subscriber:
    """The subscriber a confirmation token was made for.

    Raises ExpiredToken when it is older than ``CONFIRMATION_MAX_AGE``, InvalidToken
    when it is tampered with, made for another purpose, the subscriber's address
    changed, the subscriber is gone, or the address was unsubscribed or disabled after
    the token was made.
    """
    signer = signing.TimestampSigner(salt=_CONFIRM)
    try:
        value = signer.unsign(token, max_age=CONFIRMATION_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise ExpiredToken("confirmation link expired") from exc
    except signing.BadSignature as exc:
        raise InvalidToken("bad signature") from exc
    base, issued = _issued_at(token, value)
    subscriber = _lookup(_CONFIRM, base)
    left = max(
        (t for t in (subscriber.unsubscribed_at, subscriber.disabled_at) if t is not None),
        default=None,
    )
    if left is not None and issued <= left:
        raise InvalidToken("made before the address was unsubscribed or disabled")
    return subscriber


def read_unsubscribe_token(token: str) -> Subscriber:
    """The subscriber an unsubscribe token was made for; raises InvalidToken."""
    return _read_lasting(_UNSUBSCRIBE, token)


def read_preferences_token(token: str) -> Subscriber:
    """The subscriber a preferences token was made for; raises InvalidToken."""
    return _read_lasting(_PREFERENCES, token)


def _read_lasting(salt: str, token: str) -> Subscriber:
    try:
        value = signing.Signer(salt=salt).unsign(token)
    except signing.BadSignature as exc:
        raise InvalidToken("bad signature") from exc
    return _lookup(salt, value)
