"""Credentials never reach a log line: the access log redacts them wherever they appear.

Clients sometimes put a key where it does not belong (`?api_key=...`, `?token=...`), and
uvicorn's access log writes the full request target. Every record of the uvicorn loggers
passes this filter: the value of any query parameter whose name says it holds a secret,
an API key (`smk_...`), a webhook secret (`whsec_...`) and a `Bearer ...` credential are
replaced by `REDACTED`. The monitor's own request log (logger `monitor.api.access`, the path
without its query string) passes the same filter. Headers (Authorization) are logged by
neither.
"""

from __future__ import annotations

import logging
import re
from typing import Any

REDACTED = "REDACTED"
# Parameter names that hold secrets: api_key, apikey, key, access_token, token, secret,
# password, passwd, pwd, auth, authorization, signature, sig, session, credential, bearer, code.
_SECRET_PARAM = re.compile(
    r"(?i)((?:^|[?&;])[^=&;#\s]*?(?:key|token|secret|passw(?:or)?d|pwd|auth\w*|sig(?:nature)?|session\w*"
    r"|credential\w*|bearer|code)=)[^&;#\s\"]*"
)
_SECRET_VALUE = re.compile(
    r"smk_[A-Za-z0-9_\-]+|whsec_[A-Za-z0-9+/=_\-]+|(?i:bearer)(?:\s|%20|\+)+[A-Za-z0-9._~+/=\-]+"
)
LOGGERS = ("uvicorn.access", "uvicorn.error", "uvicorn", "monitor.api", "monitor.api.access")
# Structured fields (logging `extra=`) that carry a request target.
_FIELDS = ("path", "url", "target", "query")


def redact(text: str) -> str:
    """`text` with credentials in query strings, API keys, webhook secrets and bearer tokens replaced."""
    text = _SECRET_PARAM.sub(lambda m: m.group(1) + REDACTED, text)
    return _SECRET_VALUE.sub(REDACTED, text)


class RedactCredentials(logging.Filter):
    """A logging filter that redacts credentials in a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops it."""
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            args: dict[str, Any] = record.args  # type: ignore[assignment]
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in args.items()}
        for name in _FIELDS:
            value = getattr(record, name, None)
            if isinstance(value, str):
                setattr(record, name, redact(value))
        return True


def install_log_redaction() -> None:
    """Attach the filter to uvicorn's loggers (once, however many apps are created)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactCredentials) for f in logger.filters):
            logger.addFilter(RedactCredentials())
