"""SMTP with STARTTLS + login and with implicit TLS, against aiosmtpd on 127.0.0.1 with a test CA."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from monitor.notify.email import build_message, send_email
from tests.notify.smtp import _Handler, free_port


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _auth(server, session, envelope, mechanism, auth_data) -> AuthResult:  # type: ignore[no-untyped-def]
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"mon" and auth_data.password == b"s3cret"
    return AuthResult(success=ok)


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_tls_modes_with_login(mode: str, tmp_path: Path, make_settings, monkeypatch) -> None:
    cert, key = _self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts the test CA, nothing else changes
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    handler, port = _Handler(), free_port()
    kwargs = {"tls_context": ctx, "require_starttls": True} if mode == "starttls" else {"ssl_context": ctx}
    controller = Controller(handler, hostname="127.0.0.1", port=port, authenticator=_auth, auth_required=True,
                            auth_require_tls=False, server_hostname="127.0.0.1", **kwargs)
    controller.start()
    try:
        settings = make_settings(smtp_port=port, smtp_tls=mode, smtp_user="mon", smtp_password="s3cret")
        msg = build_message(settings, "a@example.org", "subject", "text body", "<p>html body</p>")
        result = send_email(settings, msg)
        assert result.ok, result.error
        assert len(handler.messages) == 1
        assert handler.envelopes[0].mail_from == settings.smtp_sender
        # a server whose certificate the client does not trust is refused, not used in clear
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "no-such-ca.pem"))
        refused = send_email(settings, build_message(settings, "a@example.org", "s", "t", "<p>h</p>"))
        assert not refused.ok and "CERTIFICATE_VERIFY_FAILED" in (refused.error or "")
        assert len(handler.messages) == 1
    finally:
        controller.stop()
