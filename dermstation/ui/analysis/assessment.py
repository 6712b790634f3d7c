"""The clinician's signed, coded assessment of the analysis on screen: diagnosis, plan, notes.

The analysis above it is advice; this is the record. A signature belongs to the one analysis shown
here: another picture of the lesion shows its own signature or none. Signing again amends (a new
version). The same panel retracts a picture stored by mistake and records a histology result.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from dermstation.core.assessments import (
    FOLLOW_UP_KINDS,
    FOLLOW_UP_MONTHS,
    PLAN_URGENCIES,
    Plan,
    PlanKind,
    RetractionReason,
    SignedAssessment,
    diagnosis_codes,
    plan_kind_label,
    plan_text,
    retraction_reason_label,
)
from dermstation.core.diagnoses import Category, Diagnosis, catalogue
from dermstation.core.domain import ReferralUrgency, Role
from dermstation.core.errors import Conflict, ValidationError
from dermstation.core.i18n import _, current_language, format_day, format_moment, ngettext
from dermstation.ui.operations import Kind
from dermstation.ui.text import breakable
from dermstation.ui.theme import set_role

if TYPE_CHECKING:
    from dermstation.services.assessments import AssessmentService
    from dermstation.services.hospitals import HospitalService
    from dermstation.services.types import CurrentUser
    from dermstation.ui.operations import Operations

MAX_RESULTS = 40
CATEGORY_STYLE = {
    Category.MALIGNANT: "background:#FDECEA; color:#8C1D18; border:1px solid #D9534F;",
    Category.PREMALIGNANT: "background:#FFF4E0; color:#6B4400; border:1px solid #E0A030;",
    Category.BENIGN: "background:#EAF4EE; color:#1E4D33; border:1px solid #9CC8AE;",
    Category.UNCERTAIN: "background:#EEF1F6; color:#2B3A55; border:1px solid #9AA8C0;",
}


def category_label(category: Category) -> str:
    return {Category.MALIGNANT: _("Malignant"), Category.PREMALIGNANT: _("Premalignant"),
            Category.BENIGN: _("Benign"), Category.UNCERTAIN: _("Uncertain")}[category]


def urgency_text(urgency: ReferralUrgency) -> str:
    return _("Urgent") if urgency == ReferralUrgency.URGENT else _("Routine")


class DiagnosisPicker(QWidget):
    """Search-as-you-type over the catalogue, in any language, by code or synonym; one entry is chosen."""

    chosen_changed = Signal(object)  # Diagnosis | None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._chosen: Diagnosis | None = None
        self.search = QLineEdit()
        self.search.setObjectName("diagnosisSearch")
        self.search.setPlaceholderText(_("Type to find a diagnosis (any language or code)"))
        self.search.setAccessibleName(_("Diagnosis"))
        self.search.setClearButtonEnabled(True)
        self.search.textEdited.connect(self._typed)
        self.search.returnPressed.connect(self._take_first)
        self.search.installEventFilter(self)
        self.results = QListWidget()
        self.results.setObjectName("diagnosisResults")
        self.results.setMaximumHeight(self.fontMetrics().height() * 7 + 12)
        self.results.itemActivated.connect(self._item_chosen)
        self.results.itemClicked.connect(self._item_chosen)
        self.results.hide()
        self.badge = QLabel()
        self.badge.setObjectName("categoryBadge")
        self.badge.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Maximum)
        self.badge.hide()
        self.codes = set_role(QLabel(), "subtitle")
        self.codes.setObjectName("diagnosisCodes")
        self.codes.setWordWrap(True)
        self.codes.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(self.search)
        layout.addWidget(self.results)
        row = QHBoxLayout()
        row.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.codes, 1)
        layout.addLayout(row)

    @property
    def chosen(self) -> Diagnosis | None:
        return self._chosen

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if (watched is self.search and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Down and self.results.count()):
            self.results.show()
            self.results.setFocus()
            self.results.setCurrentRow(0)
            return True
        return super().eventFilter(watched, event)

    def _typed(self, text: str) -> None:
        if self._chosen is not None:
            self.choose(None, keep_text=True)
        self.show_results(text)

    def show_results(self, text: str) -> None:
        lang = current_language()
        self.results.clear()
        for entry in catalogue().search(text, lang, limit=MAX_RESULTS) if text.strip() else ():
            item = QListWidgetItem(f"{entry.name(lang)} — {category_label(entry.category)}")
            item.setData(Qt.ItemDataRole.UserRole, entry.code)
            item.setToolTip(" · ".join(x for x in (entry.code, diagnosis_codes(entry)) if x))
            self.results.addItem(item)
        self.results.setVisible(self.results.count() > 0)

    def _take_first(self) -> None:
        if self.results.isVisible() and self.results.count():
            self._item_chosen(self.results.currentItem() or self.results.item(0))

    def _item_chosen(self, item: QListWidgetItem) -> None:
        self.choose(catalogue().get(item.data(Qt.ItemDataRole.UserRole)))
        self.search.setFocus()

    def choose(self, diagnosis: Diagnosis | None, *, keep_text: bool = False) -> None:
        self._chosen = diagnosis
        if diagnosis is not None:
            self.search.setText(diagnosis.name(current_language()))
            self.results.hide()
            self.badge.setText(category_label(diagnosis.category))
            self.badge.setStyleSheet(f"QLabel#categoryBadge {{ {CATEGORY_STYLE[diagnosis.category]} "
                                     "border-radius:4px; padding:1px 6px; font-weight:600; }")
            self.codes.setText(breakable(diagnosis_codes(diagnosis) or diagnosis.code))
        elif not keep_text:
            self.search.clear()
            self.results.hide()
        self.badge.setVisible(diagnosis is not None)
        self.codes.setVisible(diagnosis is not None)
        self.chosen_changed.emit(diagnosis)


class PlanEditor(QWidget):
    """One plan kind with what it needs: an interval for follow-ups, urgency and hospital for a referral."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = QComboBox()
        # long plan names (Tamil, Telugu) must not widen the side panel past the window: elide, full in the list
        self.kind.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.kind.setMinimumContentsLength(16)
        self.kind.setObjectName("planKind")
        self.kind.setAccessibleName(_("Plan"))
        self.kind.addItem(_("Choose the plan"), None)
        for kind in PlanKind:
            self.kind.addItem(plan_kind_label(kind), kind)
        self.interval = QComboBox()
        self.interval.setObjectName("followUpInterval")
        self.interval.setAccessibleName(_("Follow-up in"))
        for months in FOLLOW_UP_MONTHS:
            self.interval.addItem(ngettext("in {n} month", "in {n} months", months).format(n=months), months)
        self.interval.setCurrentIndex(FOLLOW_UP_MONTHS.index(3))
        self.urgency = QComboBox()
        self.urgency.setObjectName("planUrgency")
        for urgency in PLAN_URGENCIES:
            self.urgency.addItem(urgency_text(urgency), urgency)
        self.hospital = QComboBox()
        self.hospital.setObjectName("planHospital")
        self.hospital.setAccessibleName(_("Hospital"))
        self.hospital.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.hospital.setMinimumContentsLength(14)
        self.referral_row = QWidget()
        referral = QHBoxLayout(self.referral_row)
        referral.setContentsMargins(0, 0, 0, 0)
        referral.addWidget(self.urgency)
        referral.addWidget(self.hospital, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(self.kind)
        layout.addWidget(self.interval)
        layout.addWidget(self.referral_row)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()

    def set_hospitals(self, hospitals: list[tuple[int, str]]) -> None:
        current = self.hospital.currentData()
        self.hospital.clear()
        for hospital_id, name in hospitals:
            self.hospital.addItem(name, hospital_id)
        if current is not None:
            self.hospital.setCurrentIndex(max(0, self.hospital.findData(current)))

    def _kind_changed(self) -> None:
        kind = self.kind.currentData()
        self.interval.setVisible(kind in FOLLOW_UP_KINDS)
        self.referral_row.setVisible(kind == PlanKind.REFERRAL)

    def plan(self) -> Plan | None:
        data = self.kind.currentData()
        if data is None:
            return None
        kind = PlanKind(data)  # Qt hands enum data back as plain str
        if kind in FOLLOW_UP_KINDS:
            return Plan(kind, follow_up_months=self.interval.currentData())
        if kind == PlanKind.REFERRAL:
            urgency = self.urgency.currentData()
            return Plan(kind, urgency=ReferralUrgency(urgency) if urgency else None,
                        hospital_id=self.hospital.currentData())
        return Plan(kind)

    def show_plan(self, plan: Plan | None) -> None:
        self.kind.setCurrentIndex(max(0, self.kind.findData(plan.kind)) if plan else 0)
        if plan is not None and plan.follow_up_months:
            self.interval.setCurrentIndex(max(0, self.interval.findData(plan.follow_up_months)))
        if plan is not None and plan.urgency is not None:
            self.urgency.setCurrentIndex(max(0, self.urgency.findData(plan.urgency)))
        if plan is not None and plan.hospital_id is not None:
            self.hospital.setCurrentIndex(max(0, self.hospital.findData(plan.hospital_id)))


def signature_text(s: SignedAssessment) -> str:
    """One signed version as the panel lists it."""
    when = format_moment(s.signed_at.astimezone())
    head = _("Version {n}, signed by {name} on {when}").format(n=s.version, name=s.signed_by, when=when)
    if not s.coded:
        text = head + "\n" + _("Free-text diagnosis from before coding (uncoded): {text}").format(text=s.legacy_text)
    else:
        text = head + "\n" + s.diagnosis_name(current_language()) + " — " + plan_text(s.plan)
    return text + ("\n" + _("Notes: {notes}").format(notes=s.notes) if s.notes else "")


class AssessmentForm(QWidget):
    """Coded diagnosis, plan, notes and Sign for the analysis shown; its own signed versions below."""

    signed = Signal(object)  # SignedAssessment
    history_shown = Signal(int)  # number of signed versions of this analysis
    retracted = Signal(int)  # capture id

    def __init__(self, assessments: AssessmentService, hospitals: HospitalService | None, user: CurrentUser,
                 ops: Operations, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._assessments = assessments
        self._hospitals = hospitals
        self._user = user
        self._ops = ops
        self._lesion_id: int | None = None
        self._analysis_id: int | None = None
        self._capture_id: int | None = None
        self._version = 0
        self.current: SignedAssessment | None = None
        self.may_sign = Role.DERMATOLOGIST in user.roles

        self.picker = DiagnosisPicker()
        self.plan = PlanEditor()
        self.notes = QPlainTextEdit()
        self.notes.setObjectName("assessmentNotes")
        self.notes.setPlaceholderText(_("Findings and reasoning (a note: it never changes the coded diagnosis)"))
        self.notes.setAccessibleName(_("Notes"))
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(self.fontMetrics().height() * 4 + 16)
        self.error = set_role(QLabel(), "fieldError")
        self.error.setObjectName("assessmentError")
        self.error.setWordWrap(True)
        self.error.hide()
        self.sign_button = QPushButton(_("Sign assessment"))
        self.sign_button.setObjectName("signAssessment")
        self.sign_button.setProperty("primary", True)
        self.sign_button.clicked.connect(self.sign)
        self.sign_button.setEnabled(False)
        self.note = set_role(QLabel(
            _("Your signed diagnosis and plan are the record for this picture; the analysis above is advice.")
            if self.may_sign else _("Only a dermatologist can sign an assessment.")), "subtitle")
        self.note.setWordWrap(True)
        self.status = QLabel()
        self.status.setObjectName("assessmentStatus")
        self.status.setWordWrap(True)
        self.status.setStyleSheet("QLabel#assessmentStatus { background:#F3F6F9; border:1px solid #DDE3E8; "
                                  "border-radius:6px; padding:6px 8px; }")
        self.history = QLabel()
        self.history.setObjectName("assessmentHistory")
        self.history.setWordWrap(True)
        self.history.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retract_button = QPushButton(_("Retract picture…"))
        self.retract_button.setObjectName("retractCapture")
        self.retract_button.setToolTip(_("Take back a picture stored by mistake (wrong patient or lesion, not a "
                                         "lesion, unusable). It stays in the audit trail."))
        self.retract_button.clicked.connect(self.retract)
        self.legacy = set_role(QLabel(), "subtitle")
        self.legacy.setObjectName("legacyAssessments")
        self.legacy.setWordWrap(True)
        self.legacy.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.legacy.hide()
        self.histology = QLabel()
        self.histology.setObjectName("lesionHistology")
        self.histology.setWordWrap(True)
        self.histology.hide()
        self.histology_button = QPushButton(_("Record histology…"))
        self.histology_button.setObjectName("recordHistology")
        self.histology_button.clicked.connect(self.record_histology)

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # long labels go above their field
        form.addRow(_("Diagnosis"), self.picker)
        form.addRow(_("Plan"), self.plan)
        form.addRow(_("Notes"), self.notes)
        # one button a row: side by side, long labels (Tamil, Telugu) would widen the panel past the window
        signing = QHBoxLayout()
        signing.addStretch(1)
        signing.addWidget(self.sign_button)
        buttons = QVBoxLayout()
        buttons.addWidget(self.histology_button, 0, Qt.AlignmentFlag.AlignLeading)
        buttons.addWidget(self.retract_button, 0, Qt.AlignmentFlag.AlignLeading)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.status)
        layout.addWidget(self.histology)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.note)
        layout.addLayout(signing)
        layout.addLayout(buttons)
        layout.addWidget(self.history)
        layout.addWidget(self.legacy)
        layout.addStretch(1)
        for w in (self.picker, self.plan, self.notes, self.retract_button, self.histology_button):
            w.setEnabled(self.may_sign)
        self.picker.chosen_changed.connect(lambda _d: self._update_sign_button())
        self.plan.kind.currentIndexChanged.connect(lambda _i: self._update_sign_button())
        self._hospitals_loaded = False

    # --- subject ----------------------------------------------------------------------------------
    def set_subject(self, lesion_id: int | None, analysis_id: int | None, capture_id: int | None = None) -> None:
        """The analysis a signature will belong to; shows that analysis's own signed versions only."""
        changed = analysis_id != self._analysis_id
        self._lesion_id = lesion_id
        self._analysis_id = analysis_id
        self._capture_id = capture_id
        self.error.hide()
        if changed:
            self.current = None
            self._version = 0
            self.picker.choose(None)
            self.plan.show_plan(None)
            self.notes.clear()
            self.history.clear()
        self.retract_button.setEnabled(self.may_sign and capture_id is not None)
        self.histology_button.setEnabled(self.may_sign and lesion_id is not None)
        self.histology.hide()
        self.legacy.hide()
        if lesion_id is not None:
            self._ops.spawn(self._load_lesion(lesion_id), key=f"histology-{id(self)}", parent=self)
        if analysis_id is None:
            self.status.setText(_("Open or analyse a picture to sign its assessment.") if lesion_id else "")
            self._update_sign_button()
            return
        self.status.setText(_("Loading…"))
        if self.may_sign and not self._hospitals_loaded and self._hospitals is not None:
            self._ops.spawn(self._load_hospitals(), key=f"plan-hospitals-{id(self)}", parent=self)
        self._ops.spawn(self._load_versions(analysis_id), key=f"assessments-{id(self)}", parent=self)

    async def _load_hospitals(self) -> None:
        hospitals = await self._ops.db(self._hospitals.list, self._user)  # type: ignore[union-attr]
        self._hospitals_loaded = True
        self.plan.set_hospitals([(h.id, f"{h.name} — {h.city}" if h.city else h.name)
                                 for h in hospitals if h.accepts_referrals and not h.retired])

    async def _load_lesion(self, lesion_id: int) -> None:
        await self._load_histology(lesion_id)
        legacy = await self._ops.db(self._assessments.legacy_for_lesion, self._user, lesion_id)
        if lesion_id != self._lesion_id:
            return
        if legacy:  # signed before coding, for the lesion as a whole: shown as written, never interpreted
            self.legacy.setText(breakable("\n\n".join(
                [_("Signed for this lesion before coded diagnoses (free text, uncoded):")]
                + [signature_text(r) for r in legacy[:5]])))
        self.legacy.setVisible(bool(legacy))

    async def _load_histology(self, lesion_id: int) -> None:
        results = await self._ops.db(self._assessments.histology, self._user, lesion_id)
        if lesion_id != self._lesion_id:
            return
        if results:  # the lesion's latest result: what the specimen showed, beside what was signed
            latest = results[0]
            self.histology.setText(_("Histology ({day}): {diagnosis}").format(
                day=format_day(latest.reported_on), diagnosis=latest.diagnosis.name(current_language())))
        self.histology.setVisible(bool(results))

    async def _load_versions(self, analysis_id: int) -> None:
        rows = await self._ops.db(self._assessments.versions, self._user, analysis_id)
        if analysis_id != self._analysis_id:
            return
        self.show_versions(rows)

    def show_versions(self, rows: tuple[SignedAssessment, ...]) -> None:
        self.current = rows[0] if rows else None
        self._version = rows[0].version if rows else 0
        if self.current is None:
            self.status.setText(_("Not signed yet."))
            self.sign_button.setText(_("Sign assessment"))
            self.history.clear()
        else:
            c = self.current
            text = signature_text(c)
            self.status.setText(breakable(_("Signed: {summary}").format(summary=text)))
            self.sign_button.setText(_("Sign amendment"))
            if c.coded and self.picker.chosen is None:  # start an amendment from what was signed
                self.picker.choose(c.diagnosis)
                self.plan.show_plan(c.plan)
            older = rows[1:6]
            self.history.setText(breakable("\n\n".join(
                [_("Earlier versions:")] + [signature_text(r) for r in older])) if older else "")
        self._update_sign_button()
        self.history_shown.emit(len(rows))

    def _update_sign_button(self) -> None:
        self.sign_button.setEnabled(self.may_sign and self._analysis_id is not None
                                    and self.picker.chosen is not None and self.plan.kind.currentData() is not None)

    # --- signing ----------------------------------------------------------------------------------
    def sign(self) -> None:
        if self._analysis_id is None or not self.may_sign:
            return
        self._ops.spawn(self._sign(self._analysis_id), key=f"sign-{id(self)}", parent=self)

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    async def _sign(self, analysis_id: int) -> None:
        self.error.hide()
        diagnosis, plan = self.picker.chosen, self.plan.plan()
        if diagnosis is None:
            self._show_error(_("Choose a diagnosis from the list before signing."))
            return
        if plan is None:
            self._show_error(_("Choose the plan before signing."))
            return
        self.sign_button.setEnabled(False)
        try:
            signed = await self._ops.db(self._assessments.sign, self._user, analysis_id, diagnosis.code, plan,
                                        self.notes.toPlainText(), self._version)
        except (ValidationError, Conflict) as exc:
            self._show_error(exc.message)
            if isinstance(exc, Conflict):
                await self._load_versions(analysis_id)
            return
        finally:
            self._update_sign_button()
        self.notes.clear()
        self._ops.announce(Kind.ASSESSMENTS, signed.id)
        self.signed.emit(signed)
        await self._load_versions(analysis_id)

    # --- retraction and histology -------------------------------------------------------------------
    def retract(self) -> RetractDialog | None:
        if self._capture_id is None or not self.may_sign:
            return None
        dialog = RetractDialog(self)
        capture_id = self._capture_id
        dialog.accepted.connect(lambda: self._ops.spawn(self._retract(capture_id, dialog.reason(), dialog.note()),
                                                        parent=self))
        dialog.open()
        return dialog

    async def _retract(self, capture_id: int, reason: RetractionReason, note: str) -> None:
        try:
            await self._ops.db(self._assessments.retract_capture, self._user, capture_id, reason, note)
        except ValidationError as exc:
            self._show_error(exc.message)
            return
        self.set_subject(self._lesion_id, None, None)
        self._ops.announce(Kind.PICTURES, capture_id)
        self.retracted.emit(capture_id)

    def record_histology(self) -> HistologyDialog | None:
        if self._lesion_id is None or not self.may_sign:
            return None
        lesion_id = self._lesion_id
        dialog = HistologyDialog(self._assessments, self._user, self._ops, lesion_id,
                                 self.current.id if self.current else None, self)
        dialog.saved.connect(lambda _result: self._ops.spawn(self._load_histology(lesion_id), parent=self))
        dialog.open()
        return dialog


class RetractDialog(QDialog):
    """Why a picture is taken back; the picture stays in the audit trail."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Retract picture"))
        self.reasons = QComboBox()
        self.reasons.setObjectName("retractionReason")
        self.reasons.addItem(_("Choose a reason"), None)
        for reason in RetractionReason:
            self.reasons.addItem(retraction_reason_label(reason), reason)
        self.note_edit = QPlainTextEdit()
        self.note_edit.setPlaceholderText(_("Optional: what happened (stays in the record)"))
        self.note_edit.setFixedHeight(self.fontMetrics().height() * 3 + 14)
        explain = QLabel(_("The picture, its analyses and signatures leave the lesion's history, comparisons and "
                           "reports. Nothing is deleted: the retraction is kept in the audit trail."))
        explain.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.confirm = self.buttons.addButton(_("Retract"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.confirm.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.reasons.currentIndexChanged.connect(lambda _i: self.confirm.setEnabled(self.reason() is not None))
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        form = QFormLayout()
        form.addRow(_("Reason"), self.reasons)
        form.addRow(_("Note"), self.note_edit)
        layout.addLayout(form)
        layout.addWidget(self.buttons)

    def reason(self) -> RetractionReason | None:
        return self.reasons.currentData()

    def note(self) -> str:
        return self.note_edit.toPlainText()


class HistologyDialog(QDialog):
    """Record the coded histopathology result of the lesion (closes the loop on a biopsy or excision)."""

    saved = Signal(object)  # HistologyResult

    def __init__(self, assessments: AssessmentService, user: CurrentUser, ops: Operations, lesion_id: int,
                 assessment_id: int | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._assessments = assessments
        self._user = user
        self._ops = ops
        self._lesion_id = lesion_id
        self._assessment_id = assessment_id
        self.setWindowTitle(_("Record histology"))
        self.setMinimumWidth(460)
        self.picker = DiagnosisPicker()
        self.reported_on = QDateEdit(date.today())
        self.reported_on.setCalendarPopup(True)
        self.reported_on.setMaximumDate(date.today())
        self.notes = QPlainTextEdit()
        self.notes.setFixedHeight(self.fontMetrics().height() * 3 + 14)
        self.error = set_role(QLabel(), "fieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.addButton(_("Record"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(lambda: self._ops.spawn(self._save(), parent=self))
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(_("Histology"), self.picker)
        form.addRow(_("Reported on"), self.reported_on)
        form.addRow(_("Notes"), self.notes)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    async def _save(self) -> None:
        if self.picker.chosen is None:
            self.error.setText(_("Choose what the histology showed from the list."))
            self.error.show()
            return
        try:
            result = await self._ops.db(self._assessments.record_histology, self._user, self._lesion_id,
                                        self.picker.chosen.code, self.reported_on.date().toPython(),
                                        self.notes.toPlainText(), self._assessment_id)
        except ValidationError as exc:
            self.error.setText(exc.message)
            self.error.show()
            return
        self._ops.announce(Kind.ASSESSMENTS, result.id)
        self.saved.emit(result)
        self.accept()

