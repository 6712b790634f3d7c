"""Hospital connections in the UI: the administrator's destinations (Settings), "Send to PACS" / "Send to
the health record" and the send queue (Analysis), "Fill from worklist" (Schedule).

Widgets only wire signals to one service call each (``services.pacs``, ``services.worklist``,
``services.fhir_export``) through ``Operations``; every rule lives in the services.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dermstation.core.errors import DermStationError
from dermstation.core.i18n import _
from dermstation.services.fhir_export import build_fhir_bundle, deliver_fhir_bundle
from dermstation.services.pacs import build_send_files
from dermstation.ui.forms import FormErrors, GuardedDialog, open_dialog
from dermstation.ui.operations import Kind, Operations
from dermstation.ui.theme import set_role

if TYPE_CHECKING:
    from dermstation.core.assessments import SignedAssessment
    from dermstation.dicom.network import StudyMatch
    from dermstation.services.hospital_link import HospitalLink
    from dermstation.services.pacs import Destination, DestinationInput, SendItem
    from dermstation.services.types import CurrentUser
    from dermstation.services.worklist import WorklistStep


def kind_label(kind: str) -> str:
    return {"dimse": _("DICOM (PACS)"), "dicomweb": _("DICOMweb"), "fhir": _("FHIR server")}.get(kind, kind)


def state_label(state: str) -> str:
    return {"queued": _("Waiting"), "retrying": _("Will retry"), "sent": _("Sent"), "failed": _("Failed"),
            "cancelled": _("Cancelled")}.get(state, state)


def item_kind_label(kind: str) -> str:
    return {"photo": _("Photograph"), "overlay": _("Analysis overlay"), "report": _("Signed report")}.get(kind, kind)


def uses_text(dest: Destination) -> str:
    uses = [label for flag, label in ((dest.send, _("send")), (dest.auto_send, _("on signing")),
                                      (dest.query, _("query")), (dest.worklist, _("worklist"))) if flag]
    if dest.kind == "fhir":
        uses = [_("reports")]
    return ", ".join(uses)


def _state_text(item: SendItem) -> str:
    if item.state == "retrying":
        return _("Will retry at {time}").format(time=item.next_attempt_at.astimezone().strftime("%H:%M"))
    return state_label(item.state)


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _fill(table: QTableWidget, rows: list[tuple[int, list[str]]]) -> None:
    table.setRowCount(len(rows))
    for r, (key, cells) in enumerate(rows):
        for c, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setToolTip(text)
            table.setItem(r, c, item)


def _selected_key(table: QTableWidget) -> int | None:
    items = table.selectedItems()
    return int(items[0].data(Qt.ItemDataRole.UserRole)) if items else None


# --- administrator: destinations ---------------------------------------------------------------------------
class DestinationDialog(GuardedDialog):
    """Add or change one destination. The password goes to the keyring through the service."""

    saved = Signal(object)  # Destination

    def __init__(self, link: HospitalLink, user: CurrentUser, ops: Operations,
                 current: Destination | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._link, self._user, self._ops, self._current = link, user, ops, current
        self.setWindowTitle(_("Change destination") if current else _("Add a destination"))
        layout = QVBoxLayout(self)
        general = QLabel()
        self.errors = FormErrors(general)
        form = QFormLayout()
        self.name = QLineEdit(current.name if current else "")
        self.kind = QComboBox()
        for kind in ("dimse", "dicomweb", "fhir"):
            self.kind.addItem(kind_label(kind), kind)
        if current:
            self.kind.setCurrentIndex(self.kind.findData(current.kind))
        self.ae_title = QLineEdit(current.ae_title if current else "")
        self.host = QLineEdit(current.host if current else "")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(current.port or 104 if current else 104)
        self.calling_ae = QLineEdit(current.calling_ae if current else "DERMSTATION")
        self.tls = QCheckBox(_("Use TLS (the PACS must offer it)"))
        self.tls.setChecked(bool(current and current.tls))
        self.ca_file = QLineEdit(current.ca_file if current else "")
        self.ca_file.setPlaceholderText(_("CA certificate file (empty: the system's)"))
        self.url = QLineEdit(current.url if current else "")
        self.url.setPlaceholderText("https://pacs.hospital.example/dicom-web")
        self.username = QLineEdit(current.username if current else "")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(_("unchanged") if current else "")
        self.send = QCheckBox(_("Send pictures and reports here"))
        self.send.setChecked(current.send if current else True)
        self.auto_send = QCheckBox(_("Send automatically when an assessment is signed"))
        self.auto_send.setChecked(bool(current and current.auto_send))
        self.query = QCheckBox(_("Look up prior studies here"))
        self.query.setChecked(bool(current and current.query))
        self.worklist = QCheckBox(_("Read today's worklist here"))
        self.worklist.setChecked(bool(current and current.worklist))
        form.addRow(_("Name"), self.errors.field("name", self.name))
        form.addRow(_("Kind"), self.kind)
        self._dimse_rows = [(_("Called AE title"), self.errors.field("ae_title", self.ae_title)),
                            (_("Host"), self.errors.field("host", self.host)),
                            (_("Port"), self.errors.field("port", self.port)),
                            (_("Our AE title"), self.errors.field("calling_ae", self.calling_ae))]
        self._web_rows = [(_("Address"), self.errors.field("url", self.url)), (_("User name"), self.username),
                          (_("Password"), self.errors.field("password", self.password))]
        for label, widget in self._dimse_rows + self._web_rows:
            form.addRow(label, widget)
        form.addRow("", self.tls)
        form.addRow(_("Trusted CA"), self.ca_file)
        for box in (self.send, self.auto_send, self.query, self.worklist):
            form.addRow("", box)
        layout.addLayout(form)
        layout.addWidget(general)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        buttons.accepted.connect(lambda: self._ops.spawn(self._save(), parent=self))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._form = form
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()
        self.mark_clean()

    def _kind_changed(self) -> None:
        dimse = self.kind.currentData() == "dimse"
        for _label, widget in self._dimse_rows:
            self._form.setRowVisible(widget, dimse)
        for _label, widget in self._web_rows:
            self._form.setRowVisible(widget, not dimse)
        self._form.setRowVisible(self.tls, dimse)
        for box in (self.query, self.auto_send, self.send):
            box.setVisible(self.kind.currentData() != "fhir")
        self.worklist.setVisible(dimse)

    def data(self) -> DestinationInput:
        from dermstation.services.pacs import DestinationInput

        kind = str(self.kind.currentData())
        password = self.password.text() if (self.password.text() or not self._current) else None
        return DestinationInput(
            name=self.name.text(), kind=kind, ae_title=self.ae_title.text(), host=self.host.text(),
            port=self.port.value(), calling_ae=self.calling_ae.text(), tls=self.tls.isChecked(),
            ca_file=self.ca_file.text(), url=self.url.text(), username=self.username.text(),
            password=password if kind != "dimse" else None,
            send=self.send.isChecked() and kind != "fhir", query=self.query.isChecked() and kind != "fhir",
            worklist=self.worklist.isChecked() and kind == "dimse",
            auto_send=self.auto_send.isChecked() and kind != "fhir")

    async def _save(self) -> None:
        self.saving = True
        try:
            data = self.data()
            self.password.clear()  # the secret does not stay in the widget
            dest = await self._ops.db(self._link.pacs.save_destination, self._user, data,
                                      self._current.id if self._current else None)
        except DermStationError as exc:
            self.errors.show(exc)
            return
        finally:
            self.saving = False
        self.saved.emit(dest)
        self.accept()


class DestinationsCard(QFrame):
    """Settings card (administrators): where DermStation may send to and read from."""

    loaded = Signal(int)

    def __init__(self, link: HospitalLink, user: CurrentUser, ops: Operations, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._link, self._user, self._ops = link, user, ops
        self._destinations: dict[int, Destination] = {}
        self.setObjectName("card")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 14)
        layout.setSpacing(8)
        layout.addWidget(set_role(QLabel(_("Hospital connections")), "section"))
        note = set_role(QLabel(_(
            "PACS, worklist and health-record servers DermStation may talk to. Nothing is sent anywhere else. "
            "Passwords are kept in this computer's password store (keyring).")), "subtitle")
        note.setWordWrap(True)
        layout.addWidget(note)
        self.table = _table([_("Name"), _("Kind"), _("Address"), _("Used for")])
        self.table.setObjectName("destinations")
        self.table.setMinimumHeight(120)
        self.table.doubleClicked.connect(lambda _index: self.edit())
        layout.addWidget(self.table)
        row = QHBoxLayout()
        self.add_button = QPushButton(_("Add…"))
        self.add_button.clicked.connect(lambda: self.add())
        self.edit_button = QPushButton(_("Change…"))
        self.edit_button.clicked.connect(lambda: self.edit())
        self.test_button = QPushButton(_("Test connection"))
        self.test_button.clicked.connect(lambda: self._ops.spawn(self._test(), parent=self))
        self.remove_button = QPushButton(_("Remove"))
        self.remove_button.clicked.connect(lambda: self._ops.spawn(self._remove(), parent=self))
        for button in (self.add_button, self.edit_button, self.test_button, self.remove_button):
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        self.status = set_role(QLabel(), "subtitle")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.refresh()

    def refresh(self) -> None:
        self._ops.spawn(self._load(), key=f"destinations-{id(self)}", parent=self)

    async def _load(self) -> None:
        found = await self._ops.db(self._link.pacs.destinations, self._user)
        self._destinations = {d.id: d for d in found}
        _fill(self.table, [(d.id, [d.name, kind_label(d.kind), d.address + (" · TLS" if d.tls else ""), uses_text(d)])
                           for d in found])
        self.loaded.emit(len(found))

    def selected(self) -> Destination | None:
        key = _selected_key(self.table)
        return self._destinations.get(key) if key is not None else None

    def add(self) -> DestinationDialog:
        dialog = DestinationDialog(self._link, self._user, self._ops, None, self)
        dialog.saved.connect(lambda _d: self.refresh())
        open_dialog(dialog)
        return dialog

    def edit(self) -> DestinationDialog | None:
        current = self.selected()
        if current is None:
            return None
        dialog = DestinationDialog(self._link, self._user, self._ops, current, self)
        dialog.saved.connect(lambda _d: self.refresh())
        open_dialog(dialog)
        return dialog

    async def _test(self) -> None:
        current = self.selected()
        if current is None:
            return
        self.status.setText(_("Testing {name}…").format(name=current.name))
        try:
            await self._ops.work(self._link.pacs.test_destination, self._user, current.id)
        except DermStationError as exc:
            self.status.setText(_("{name}: {message}").format(name=current.name, message=exc.message))
            return
        self.status.setText(_("{name} answers.").format(name=current.name))

    async def _remove(self) -> None:
        current = self.selected()
        if current is None:
            return
        await self._ops.db(self._link.pacs.retire_destination, self._user, current.id)
        self.refresh()


# --- clinicians: send, queue, FHIR ----------------------------------------------------------------------
class SendQueueDialog(QDialog):
    """What was sent where, what waits, and what failed with the peer's reason; retry or cancel."""

    loaded = Signal(int)

    def __init__(self, link: HospitalLink, user: CurrentUser, ops: Operations, patient_id: int | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._link, self._user, self._ops, self._patient_id = link, user, ops, patient_id
        self._items: dict[int, SendItem] = {}
        self.setWindowTitle(_("Send queue"))
        self.resize(860, 420)
        layout = QVBoxLayout(self)
        self.table = _table([_("Queued"), _("Destination"), _("What"), _("State"), _("Tries"), _("Reason")])
        self.table.setObjectName("sendQueue")
        layout.addWidget(self.table)
        row = QHBoxLayout()
        self.retry_button = QPushButton(_("Send again now"))
        self.retry_button.clicked.connect(lambda: self._ops.spawn(self._act(self._link.pacs.retry_now), parent=self))
        self.cancel_button = QPushButton(_("Do not send"))
        self.cancel_button.clicked.connect(lambda: self._ops.spawn(self._act(self._link.pacs.cancel), parent=self))
        self.refresh_button = QPushButton(_("Refresh"))
        self.refresh_button.clicked.connect(self.refresh)
        close = QPushButton(_("Close"))
        close.clicked.connect(self.accept)
        for button in (self.retry_button, self.cancel_button, self.refresh_button):
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(close)
        layout.addLayout(row)
        self.refresh()

    def refresh(self) -> None:
        self._ops.spawn(self._load(), key=f"send-queue-{id(self)}", parent=self)

    async def _load(self) -> None:
        items = await self._ops.db(self._link.pacs.queue, self._user, patient_id=self._patient_id)
        self._items = {i.id: i for i in items}
        _fill(self.table, [(i.id, [i.created_at.astimezone().strftime("%Y-%m-%d %H:%M"), i.destination_name,
                                   item_kind_label(i.kind), _state_text(i), str(i.attempts), i.last_error])
                           for i in items])
        self.loaded.emit(len(items))

    async def _act(self, call: Callable[[CurrentUser, int], None]) -> None:
        key = _selected_key(self.table)
        if key is None:
            return
        await self._ops.db(call, self._user, key)
        self._link.sender.wake()
        await self._load()


class HospitalActions(QObject):
    """The Analysis page's hospital actions, added to its Report menu; ``analysis`` gives the shown analysis id."""

    queued = Signal(int)  # how many instances were queued
    posted = Signal(object)  # FhirPostResult

    def __init__(self, link: HospitalLink, user: CurrentUser, ops: Operations,
                 analysis: Callable[[], int | None], patient: Callable[[], int | None], parent: QWidget) -> None:
        super().__init__(parent)
        self._link, self._user, self._ops, self._parent = link, user, ops, parent
        self._analysis, self._patient = analysis, patient

    def add_to(self, menu: QMenu) -> None:
        menu.addSeparator()
        self.send_action = menu.addAction(_("Send to PACS"), lambda: self._ops.spawn(self.send(), parent=self._parent))
        self.fhir_action = menu.addAction(_("Send to the health record (FHIR)"),
                                          lambda: self._ops.spawn(self.send_fhir(), parent=self._parent))
        self.queue_action = menu.addAction(_("Send queue…"), self.show_queue)
        self.prior_action = menu.addAction(_("Prior studies at the PACS…"), self.show_prior)

    async def send(self) -> None:
        analysis_id = self._analysis()
        if analysis_id is None:
            return
        items = await self._queue(analysis_id, None)
        self.queued.emit(len(items))

    async def after_signing(self, signed: SignedAssessment) -> None:
        """Queue the signed analysis to the destinations set to send on signing (nothing when there are none)."""
        if signed.analysis_id is None:
            return
        auto = await self._ops.db(self._link.pacs.auto_send_destinations, self._user)
        items = await self._queue(signed.analysis_id, auto) if auto else ()
        if items:
            self.queued.emit(len(items))

    async def _queue(self, analysis_id: int, destination_ids: tuple[int, ...] | None) -> tuple[SendItem, ...]:
        """Read on the database thread, decode and build the DICOM files on a worker, queue them on the database
        thread."""
        inputs = await self._ops.db(self._link.pacs.queue_inputs, self._user, analysis_id, destination_ids)
        files = await self._ops.work(build_send_files, inputs)
        return await self._ops.db(self._link.pacs.enqueue, self._user, inputs, files)

    async def send_fhir(self) -> None:
        analysis_id = self._analysis()
        if analysis_id is None:
            return
        targets = [d for d in await self._ops.db(self._link.pacs.destinations, self._user) if d.kind == "fhir"]
        if not targets:
            QMessageBox.information(self._parent, _("Health record"),
                                    _("No FHIR server is configured. An administrator adds one in Settings."))
            return
        # read and audit on the database thread; draw, build and send on a worker
        target = await self._ops.db(self._link.fhir.target, self._user, targets[0].id)
        inputs = await self._ops.db(self._link.fhir.bundle_inputs, self._user, analysis_id)
        bundle = await self._ops.work(build_fhir_bundle, inputs)
        answer = await self._ops.work(deliver_fhir_bundle, target, bundle)
        result = await self._ops.db(self._link.fhir.record_post, self._user, analysis_id, answer)
        self.posted.emit(result)

    def show_queue(self) -> SendQueueDialog:
        dialog = SendQueueDialog(self._link, self._user, self._ops, None, self._parent)
        open_dialog(dialog)
        return dialog

    def show_prior(self) -> PriorStudiesDialog | None:
        patient_id = self._patient()
        if patient_id is None:
            return None
        dialog = PriorStudiesDialog(self._link, self._user, self._ops, patient_id, self._parent)
        open_dialog(dialog)
        return dialog


class PriorStudiesDialog(QDialog):
    """The open patient's prior dermoscopy at the PACS; retrieve a study into the lesion history."""

    retrieved = Signal(object)  # RetrieveResult

    def __init__(self, link: HospitalLink, user: CurrentUser, ops: Operations, patient_id: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._link, self._user, self._ops, self._patient_id = link, user, ops, patient_id
        self._studies: list[StudyMatch] = []
        self.setWindowTitle(_("Prior studies at the PACS"))
        self.resize(760, 380)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.source = QComboBox()
        self.search_button = QPushButton(_("Search"))
        self.search_button.clicked.connect(lambda: self._ops.spawn(self._search(), key=f"prior-{id(self)}",
                                                                   parent=self))
        top.addWidget(QLabel(_("PACS")))
        top.addWidget(self.source, 1)
        top.addWidget(self.search_button)
        layout.addLayout(top)
        self.table = _table([_("Date"), _("Description"), _("Modalities"), _("Images")])
        self.table.setObjectName("priorStudies")
        layout.addWidget(self.table)
        self.summary = set_role(QLabel(), "subtitle")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        buttons = QHBoxLayout()
        self.retrieve_button = QPushButton(_("Add to the lesion history"))
        self.retrieve_button.clicked.connect(lambda: self._ops.spawn(self._retrieve(), parent=self))
        close = QPushButton(_("Close"))
        close.clicked.connect(self.accept)
        buttons.addStretch(1)
        buttons.addWidget(self.retrieve_button)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self._ops.spawn(self._load_sources(), parent=self)

    async def _load_sources(self) -> None:
        for dest in await self._ops.db(self._link.pacs.destinations, self._user):
            if dest.query and dest.kind != "fhir":
                self.source.addItem(dest.name, dest.id)
        if self.source.count() == 0:
            self.summary.setText(_("No PACS is configured for queries. An administrator adds one in Settings."))
            self.search_button.setEnabled(False)
        self.retrieve_button.setEnabled(False)

    async def _search(self) -> None:
        self._studies = await self._ops.work(self._link.pacs.find_prior, self._user, self._patient_id,
                                             int(self.source.currentData()))
        _fill(self.table, [(i, [s.study_date.isoformat() if s.study_date else "", s.description,
                                " ".join(s.modalities), "" if s.instance_count is None else str(s.instance_count)])
                           for i, s in enumerate(self._studies)])
        self.summary.setText(_("{count} prior dermoscopy studies.").format(count=len(self._studies)))
        self.retrieve_button.setEnabled(bool(self._studies))

    async def _retrieve(self) -> None:
        row = _selected_key(self.table)
        if row is None:
            return
        result = await self._ops.work(self._link.pacs.retrieve, self._user, self._patient_id,
                                      int(self.source.currentData()), self._studies[row].study_uid)
        if result.imported:
            self._ops.announce(Kind.PICTURES)
        lines = [_("{count} pictures added to the lesion history.").format(count=len(result.imported))]
        lines += [_("Not added: {reason}").format(reason=reason) for _uid, reason in result.refused]
        self.summary.setText("\n".join(lines))
        self.retrieved.emit(result)


# --- reception: worklist ------------------------------------------------------------------------------------
def open_worklist(link: HospitalLink, user: CurrentUser, ops: Operations, dermatologists: list[tuple[int, str]],
                  day: date | None, parent: QWidget) -> WorklistDialog:
    """The Schedule's "Fill from worklist…": the dialog on the shown day (the schedule reloads on `changed`)."""
    dialog = WorklistDialog(link, user, ops, dermatologists, parent)
    if day is not None:
        dialog.day.setDate(QDate(day.year, day.month, day.day))
    open_dialog(dialog)
    return dialog


class WorklistDialog(QDialog):
    """Look at a day's worklist, then add its steps to the schedule (patients created or matched)."""

    filled = Signal(object)  # FillResult

    def __init__(self, link: HospitalLink, user: CurrentUser, ops: Operations,
                 dermatologists: list[tuple[int, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._link, self._user, self._ops = link, user, ops
        self._steps: list[WorklistStep] = []
        self.setWindowTitle(_("Fill from worklist"))
        self.resize(900, 460)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.source = QComboBox()
        self.source.setMinimumContentsLength(18)
        self.day = QDateEdit(QDate.currentDate())
        self.day.setDisplayFormat("yyyy-MM-dd")
        self.day.setCalendarPopup(True)
        self.doctor = QComboBox()
        self.doctor.addItem(_("As the worklist names"), None)
        for uid, name in dermatologists:
            self.doctor.addItem(name, uid)
        self.fetch_button = QPushButton(_("Show"))
        self.fetch_button.clicked.connect(lambda: self._ops.spawn(self._fetch(), key=f"worklist-{id(self)}",
                                                                  parent=self))
        for label, widget in ((_("Worklist"), self.source), (_("Day"), self.day), (_("Otherwise with"), self.doctor)):
            top.addWidget(QLabel(label))
            top.addWidget(widget)
        top.addWidget(self.fetch_button)
        top.addStretch(1)
        layout.addLayout(top)
        self.table = _table([_("Time"), _("Record number"), _("Patient"), _("Procedure"), _("Physician"), _("Status")])
        self.table.setObjectName("worklist")
        layout.addWidget(self.table)
        self.summary = set_role(QLabel(), "subtitle")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        buttons = QHBoxLayout()
        self.fill_button = QPushButton(_("Add to the schedule"))
        self.fill_button.setEnabled(False)
        self.fill_button.clicked.connect(lambda: self._ops.spawn(self._fill(), parent=self))
        close = QPushButton(_("Close"))
        close.clicked.connect(self.accept)
        buttons.addStretch(1)
        buttons.addWidget(self.fill_button)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self._ops.spawn(self._load_sources(), parent=self)

    async def _load_sources(self) -> None:
        for uid, name in await self._ops.db(self._link.worklist.worklist_destinations, self._user):
            self.source.addItem(name, uid)
        if self.source.count() == 0:
            self.summary.setText(_("No worklist is configured. An administrator adds one in Settings."))
            self.fetch_button.setEnabled(False)

    def chosen_day(self) -> date:
        return self.day.date().toPython()

    async def _fetch(self) -> None:
        if self.source.currentData() is None:
            return
        self._steps = await self._ops.work(self._link.worklist.fetch, self._user, int(self.source.currentData()),
                                           self.chosen_day())
        rows = []
        for i, step in enumerate(self._steps):
            e = step.entry
            status = (_("In the schedule") if step.appointment_id else step.problem
                      or (_("Known patient") if step.patient_id else _("New patient")))
            when = f"{e.start_time[:2]}:{e.start_time[2:4]}" if len(e.start_time) >= 4 else ""
            rows.append((i, [when, e.patient_id, f"{e.family_name}, {e.given_name}", e.description,
                             e.performing_physician.replace("^", " ").strip(), status]))
        _fill(self.table, rows)
        self.summary.setText(_("{count} scheduled steps.").format(count=len(self._steps)))
        self.fill_button.setEnabled(any(s.appointment_id is None and not s.problem for s in self._steps))

    async def _fill(self) -> None:
        result = await self._ops.db(self._link.worklist.fill_day, self._user, int(self.source.currentData()),
                                    self.chosen_day(), dermatologist_id=self.doctor.currentData(), steps=self._steps)
        lines = [_("{booked} appointments added, {created} new patients, {already} already in the schedule.").format(
            booked=len(result.booked), created=result.patients_created, already=result.already_there)]
        lines += [f"{e.patient_id}: {reason}" for e, reason in result.skipped]
        if result.patients_created:
            self._ops.announce(Kind.PATIENTS)
        self._ops.announce(Kind.APPOINTMENTS, *(a.id for a in result.booked))
        await self._fetch()
        self.summary.setText("\n".join(lines))
        self.filled.emit(result)
