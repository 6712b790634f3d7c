"""DICOM over TLS: a pynetdicom storage SCP with a certificate from a test CA (made here with
``cryptography``); DermStation sends when it trusts that CA and says plainly why when it does not."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from helpers import analysed_capture
from orthanc import free_port
from pynetdicom import AE, evt
from pynetdicom.sop_class import Verification, VLPhotographicImageStorage

from dermstation.services.pacs import DestinationInput, build_pacs_service

pytestmark = pytest.mark.pacs


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """(CA certificate, server certificate, server key) for 127.0.0.1, as PEM files."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("DermStation test CA")).issuer_name(_name("DermStation test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name("test pacs")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


@pytest.fixture
def tls_pacs(tmp_path: Path) -> Iterator[tuple[int, Path, list[str]]]:
    """(port, CA file, received SOP instance UIDs) of a TLS-only storage SCP."""
    ca, cert, key = make_certificates(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    received: list[str] = []

    def on_store(event: evt.Event) -> int:
        received.append(str(event.dataset.SOPInstanceUID))
        return 0x0000

    scp = AE(ae_title="TLSPACS")
    scp.add_supported_context(Verification)
    scp.add_supported_context(VLPhotographicImageStorage)
    port = free_port()
    server = scp.start_server(("127.0.0.1", port), block=False, ssl_context=context,
                              evt_handlers=[(evt.EVT_C_STORE, on_store)])
    yield port, ca, received
    server.shutdown()


def test_tls_send_with_the_trusted_ca_and_clear_refusals_without(services, admin, dermatologist, tls_pacs,
                                                                 analysis_results) -> None:
    port, ca, received = tls_pacs
    pacs = build_pacs_service(services)
    trusted = pacs.save_destination(admin, DestinationInput("TLS PACS", "dimse", ae_title="TLSPACS",
                                                            host="127.0.0.1", port=port, tls=True, ca_file=str(ca)))
    done = analysed_capture(services, dermatologist, analysis_results, record_number="TLS-1")
    pacs.test_destination(admin, trusted.id)  # C-ECHO over TLS
    items = pacs.queue_analysis(dermatologist, done.analysis_id, [trusted.id], include_report=False)
    pacs.process_queue()
    by_kind = {i.kind: i for i in pacs.queue(dermatologist)}
    assert by_kind["photo"].state == "sent" and received == [items[0].sop_instance_uid]

    untrusted = pacs.save_destination(admin, DestinationInput("TLS, unknown CA", "dimse", ae_title="TLSPACS",
                                                              host="127.0.0.1", port=port, tls=True))
    plain = pacs.save_destination(admin, DestinationInput("TLS port, no TLS", "dimse", ae_title="TLSPACS",
                                                          host="127.0.0.1", port=port))
    pacs.queue_analysis(dermatologist, done.analysis_id, [untrusted.id, plain.id], include_report=False)
    pacs.process_queue()
    rows = [i for i in pacs.queue(dermatologist) if i.kind == "photo" and i.destination_id != trusted.id]
    by_dest = {i.destination_id: i for i in rows}
    assert by_dest[untrusted.id].state == "failed"  # not retried for hours: someone must fix the CA
    assert "certificate is not trusted" in by_dest[untrusted.id].last_error
    assert by_dest[plain.id].state == "retrying" and "turn TLS on" in by_dest[plain.id].last_error
    assert len(received) == 1  # nothing reached the PACS without TLS
