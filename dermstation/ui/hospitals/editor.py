"""Add or edit a referral hospital (administrators)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dermstation.core.errors import ValidationError
from dermstation.core.i18n import _
from dermstation.services.reception_types import HospitalInput
from dermstation.services.specialties import SPECIALTIES, specialty_label
from dermstation.ui.forms import FormErrors
from dermstation.ui.operations import Kind, Operations
from dermstation.ui.theme import set_role

if TYPE_CHECKING:
    from dermstation.services.hospitals import HospitalService
    from dermstation.services.reception_types import HospitalInfo
    from dermstation.services.types import CurrentUser


class HospitalDialog(QDialog):
    saved = Signal(object)

    def __init__(
        self,
        hospitals: HospitalService,
        user: CurrentUser,
        ops: Operations,
        existing: HospitalInfo | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._hospitals = hospitals
        self._user = user
        self._ops = ops
        self._existing = existing
        self.setWindowTitle(_("Edit hospital") if existing else _("Add hospital"))
        self.setMinimumWidth(520)
        self.name = QLineEdit()
        self.address = QPlainTextEdit()
        self.address.setTabChangesFocus(True)
        self.address.setFixedHeight(52)
        self.city = QLineEdit()
        self.country = QLineEdit()
        self.phone = QLineEdit()
        self.email = QLineEdit()
        self.website = QLineEdit()
        self.latitude = QLineEdit()
        self.latitude.setPlaceholderText(_("e.g. 52.5251"))
        self.longitude = QLineEdit()
        self.longitude.setPlaceholderText(_("e.g. 13.3769"))
        specialties = QWidget()
        grid = QGridLayout(specialties)
        grid.setContentsMargins(0, 0, 0, 0)
        self.specialty_boxes: dict[str, QCheckBox] = {}
        for index, code in enumerate(SPECIALTIES):
            box = QCheckBox(specialty_label(code))
            self.specialty_boxes[code] = box
            grid.addWidget(box, index // 2, index % 2)
        self.accepts = QCheckBox(_("Accepts referrals"))
        self.accepts.setChecked(True)

        general = QLabel()
        self.errors = FormErrors(general)
        form = QFormLayout()
        form.setVerticalSpacing(6)
        form.addRow(_("Name"), self.errors.field("name", self.name))
        form.addRow(_("Address"), self.errors.field("address", self.address))
        form.addRow(_("City"), self.errors.field("city", self.city))
        form.addRow(_("Country"), self.errors.field("country", self.country))
        form.addRow(_("Phone"), self.errors.field("phone", self.phone))
        form.addRow(_("E-mail"), self.errors.field("email", self.email))
        form.addRow(_("Website"), self.errors.field("website", self.website))
        form.addRow(_("Latitude"), self.errors.field("latitude", self.latitude))
        form.addRow(_("Longitude"), self.errors.field("longitude", self.longitude))
        form.addRow(_("Specialties"), self.errors.field("specialties", specialties))
        form.addRow("", self.accepts)

        buttons = QDialogButtonBox()
        self.save_button = QPushButton(_("Save"))
        self.save_button.setDefault(True)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(lambda: self._ops.spawn(self._save(), parent=self))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 14)
        layout.addWidget(set_role(QLabel(self.windowTitle()), "title"))
        if existing is not None and existing.sample:
            note = set_role(QLabel(_("This is a sample entry. Saving it makes it a real directory entry.")), "subtitle")
            note.setWordWrap(True)
            layout.addWidget(note)
        layout.addWidget(general)
        layout.addLayout(form)
        layout.addWidget(buttons)
        if existing is not None:
            self._fill(existing)
        self.name.setFocus(Qt.FocusReason.OtherFocusReason)

    def _fill(self, h: HospitalInfo) -> None:
        self.name.setText(h.name)
        self.address.setPlainText(h.address)
        self.city.setText(h.city)
        self.country.setText(h.country)
        self.phone.setText(h.phone)
        self.email.setText(h.email)
        self.website.setText(h.website)
        self.latitude.setText("" if h.latitude is None else f"{h.latitude:.6f}".rstrip("0").rstrip("."))
        self.longitude.setText("" if h.longitude is None else f"{h.longitude:.6f}".rstrip("0").rstrip("."))
        for code, box in self.specialty_boxes.items():
            box.setChecked(code in h.specialties)
        self.accepts.setChecked(h.accepts_referrals)

    def hospital_input(self) -> HospitalInput:
        return HospitalInput(
            name=self.name.text(),
            address=self.address.toPlainText(),
            city=self.city.text(),
            country=self.country.text(),
            phone=self.phone.text(),
            email=self.email.text(),
            website=self.website.text(),
            latitude=_number(self.latitude.text(), "latitude"),
            longitude=_number(self.longitude.text(), "longitude"),
            specialties=tuple(code for code, box in self.specialty_boxes.items() if box.isChecked()),
            accepts_referrals=self.accepts.isChecked(),
        )

    async def _save(self) -> None:
        self.errors.clear()
        try:
            data = self.hospital_input()
            if self._existing is None:
                saved = await self._ops.db(self._hospitals.add, self._user, data)
            else:
                saved = await self._ops.db(self._hospitals.edit, self._user, self._existing.id, data)
        except ValidationError as exc:
            self.errors.show(exc)
            return
        self._ops.announce(Kind.HOSPITALS, saved.id)
        self.saved.emit(saved)
        self.accept()


def _number(text: str, field: str) -> float | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValidationError(_("Please enter a number, e.g. 52.52."), field=field) from None
