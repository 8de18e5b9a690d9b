"""What the access-log filter redacts (the `up` test checks it on a running service)."""

from __future__ import annotations

import pytest

from monitor.api.logredact import redact


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('"GET /api/v1/alerts?api_key=abc123&limit=5 HTTP/1.1" 401',
         '"GET /api/v1/alerts?api_key=REDACTED&limit=5 HTTP/1.1" 401'),
        ("/x?apikey=a;token=b&X-Api-Key=c", "/x?apikey=REDACTED;token=REDACTED&X-Api-Key=REDACTED"),
        ("/x?client_secret=s&PASSWORD=p&sig=q&session_id=z", "/x?client_secret=REDACTED&PASSWORD=REDACTED"
         "&sig=REDACTED&session_id=REDACTED"),
        ("/api/v1/keys/smk_AbC-12_x?x=1", "/api/v1/keys/REDACTED?x=1"),
        ("secret whsec_ZmFrZQ== in text", "secret REDACTED in text"),
        ("Authorization: Bearer eyJhbGciOi.x.y", "Authorization: REDACTED"),
        ("/api/v1/alerts?since=7d&rule=arms-transfer&q=key%20figure", "/api/v1/alerts?since=7d&rule=arms-transfer"
         "&q=key%20figure"),
    ],
)
def test_redact(line: str, expected: str) -> None:
    assert redact(line) == expected
