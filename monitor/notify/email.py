"""E-mail through SMTP: multipart/alternative with a plain-text and an HTML part.

TLS is `none`, `starttls` or `ssl` (MONITOR_SMTP_TLS); a login is made only when a
user name is set. The SMTP server comes from the settings, never from a user. Text
from feeds that ends up in a header (the subject carries the article title) has its
line breaks and other control characters turned into spaces first, so a title can
never add a header or a recipient.
"""

from __future__ import annotations

import re
import smtplib
import ssl
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from monitor.notify.webhook import SendResult
from monitor.settings import Settings

# C0 and C1 controls (CR, LF, tab, NUL, NEL ...) and the Unicode line and paragraph separators.
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_RUN = re.compile(r"\s*[\x00-\x1f\x7f-\x9f\u2028\u2029][\s\x00-\x1f\x7f-\x9f\u2028\u2029]*")


def header_text(value: str) -> str:
    """`value` fit for one header line: each run of control characters becomes one space."""
    return _CONTROL_RUN.sub(" ", value).strip()


def build_message(
    settings: Settings, to: str, subject: str, text: str, html: str, msg_id: str | None = None
) -> EmailMessage:
    """A multipart/alternative message (text first, HTML preferred by mail clients)."""
    msg = EmailMessage()
    msg["From"] = settings.smtp_sender
    msg["To"] = to
    msg["Subject"] = header_text(subject)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(idstring=msg_id, domain=settings.smtp_sender.rsplit("@", 1)[-1] or None)
    if msg_id:
        # lets a receiving system drop the duplicate a crash between send and commit can cause
        msg["X-Monitor-Message-Id"] = msg_id
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


def send_email(settings: Settings, msg: EmailMessage) -> SendResult:
    """Send one message with the configured SMTP server; failures are reported, not raised."""
    started = time.perf_counter()
    timeout = settings.webhook_timeout
    try:
        smtp: smtplib.SMTP
        if settings.smtp_tls == "ssl":
            smtp = smtplib.SMTP_SSL(
                settings.smtp_host, settings.smtp_port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        with smtp:
            if settings.smtp_tls == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            refused = smtp.send_message(msg)
    except (smtplib.SMTPException, OSError) as exc:
        code = getattr(exc, "smtp_code", None)
        return SendResult(
            False, status_code=code if isinstance(code, int) else None,
            error=f"{type(exc).__name__}: {exc}", duration_ms=(time.perf_counter() - started) * 1000,
        )
    duration = (time.perf_counter() - started) * 1000
    if refused:
        return SendResult(False, error=f"recipients refused: {refused}", duration_ms=duration)
    return SendResult(True, status_code=250, duration_ms=duration)
