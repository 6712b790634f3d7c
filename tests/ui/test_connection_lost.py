"""The clinic's database goes away mid-work: a clear message, the form keeps what was typed, saving works again.

The workstation reaches the real PostgreSQL test server through a local TCP relay that the test cuts
(every open connection dropped, new ones refused) and restores, as a network failure would.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest
from records_fixtures import POSTGRES_URL
from sqlalchemy.engine import make_url

from dermstation.core.domain import Role
from dermstation.core.errors import DatabaseUnavailable
from dermstation.services.container import build_services
from dermstation.ui.patients.editor import PatientDialog

pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(not POSTGRES_URL, reason="DERMSTATION_TEST_POSTGRES_URL is not set")]


class Relay:
    """Forwards TCP connections to ``target``; ``cut()`` drops them all and refuses new ones."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self.refusing = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _addr = self._listener.accept()
            except OSError:
                return
            if self.refusing:
                client.close()
                continue
            upstream = socket.create_connection(self._target)
            with self._lock:
                self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.refusing = True
        with self._lock:
            for s in self._open:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
            self._open.clear()

    def restore(self) -> None:
        self.refusing = False

    def close(self) -> None:
        self.cut()
        self._listener.close()


@pytest.fixture
def relay_url(postgres_schema_url: str) -> Iterator[tuple[Relay, str]]:
    url = make_url(postgres_schema_url)
    relay = Relay(url.host or "localhost", url.port or 5432)
    yield relay, url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    relay.close()


def test_typed_patient_survives_a_lost_connection(qtbot, ops, presenter, paths, relay_url) -> None:  # type: ignore[no-untyped-def]
    relay, url = relay_url
    services = build_services(paths, url)
    try:
        admin = services.auth.set_up_clinic("admin", "Ada Admin", "admin-password")
        services.users.create_user(admin, "rec", "Rita Reception", Role.RECEPTIONIST, "rec-password")
        user = services.auth.sign_in("rec", "rec-password")
        editor = PatientDialog(services.patients, user, ops)
        qtbot.addWidget(editor)
        editor.show()
        editor.record_number.setText("MRN-LOST-1")
        editor.given_name.setText("Lena")
        editor.family_name.setText("Netz")
        editor.phone.setText("+41 44 000 11 22")
        editor.address.setPlainText("Bahnhofplatz 1\n8001 Zürich")

        relay.cut()  # the network goes away while the receptionist types
        with qtbot.waitSignal(presenter.presented, timeout=30000) as shown:
            editor.save_button.click()
        error = shown.args[0]
        assert isinstance(error, DatabaseUnavailable)
        assert "cannot be reached" in error.message and "try again" in error.message
        assert editor.isVisible() and not editor.saving  # the form stays open, ready to save again
        assert (editor.record_number.text(), editor.given_name.text(), editor.family_name.text(),
                editor.phone.text(), editor.address.toPlainText()) == (
            "MRN-LOST-1", "Lena", "Netz", "+41 44 000 11 22", "Bahnhofplatz 1\n8001 Zürich")
        for box in presenter.open_boxes():
            box.close()

        relay.restore()  # back: the same click saves what was typed
        with qtbot.waitSignal(editor.saved, timeout=30000) as saved:
            editor.save_button.click()
        patient = saved.args[0]
        assert (patient.record_number, patient.given_name, patient.phone) == ("MRN-LOST-1", "Lena",
                                                                              "+41 44 000 11 22")
        assert [p.record_number for p in services.patients.search(user, "Netz")] == ["MRN-LOST-1"]
    finally:
        relay.restore()
        services.close()
