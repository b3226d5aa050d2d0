"""The QR code shown in the room: a URL carrying an HMAC token bound to the session and a time slot.

The slot is the number of `DELIVERY_QR_ROTATION_SECONDS` periods since the epoch, so the code on the screen
changes every period; a scan is accepted for the current and the previous slot (a person who scans just before
the change still gets in) and only inside the session's window (from `DELIVERY_CHECKIN_OPENS_MINUTES` before the
start until the end). A screenshot from yesterday carries a slot long past: refused. The token is keyed with the
project's SECRET_KEY (through Django's salted HMAC), so nobody can compute one for another session or slot.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import salted_hmac

SALT = "guopei.delivery.checkin"
TOKEN_LENGTH = 24


def current_slot(now: datetime) -> int:
    return int(now.timestamp()) // settings.DELIVERY_QR_ROTATION_SECONDS


def slot_token(session_id: int, slot: int) -> str:
    return salted_hmac(SALT, f"{session_id}:{slot}", algorithm="sha256").hexdigest()[:TOKEN_LENGTH]


def token_valid(session_id: int, slot: int, token: str, now_slot: int) -> bool:
    """The token is this session's for the given slot, and that slot is the current or the previous one."""
    if slot not in (now_slot, now_slot - 1):
        return False
    return hmac.compare_digest(slot_token(session_id, slot), str(token or ""))


def checkin_window(session: Any) -> tuple[datetime, datetime]:
    return session.starts_at - timedelta(minutes=settings.DELIVERY_CHECKIN_OPENS_MINUTES), session.ends_at


def checkin_path(session_id: int, now: datetime) -> str:
    slot = current_slot(now)
    return f"{reverse('delivery:checkin', args=[session_id])}?s={slot}&t={slot_token(session_id, slot)}"


def qr_svg(url: str) -> str:
    """The URL as an inline SVG QR code (server-rendered: no script, allowed by the CSP)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=12, border=2)
    return image.to_string(encoding="unicode")
