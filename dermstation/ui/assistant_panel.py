"""The explanation panel beside an analysis: ask, confirm the exact request, read with sources, edit, approve.

Explanations are written from the signed, coded diagnosis and plan of the shown analysis; without
one the panel says why instead of answering. When the answer would come from the online service,
the clinician first sees the exact request (:class:`RequestPreviewDialog`) and nothing is sent
unless they confirm it. The widget only wires signals to
:class:`~dermstation.services.assistant.AssistantService` calls through
:class:`~dermstation.ui.operations.Operations`: preparing and storing on the database thread, the
question itself (network, up to tens of seconds) on the worker pool. Errors go to the presenter.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QTextOption
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from dermstation.core.errors import ValidationError
from dermstation.core.i18n import RIGHT_TO_LEFT, SUPPORTED_LANGUAGES, _, current_language, format_moment
from dermstation.ui.forms import dialog_finished
from dermstation.ui.operations import Operations
from dermstation.ui.theme import set_role

if TYPE_CHECKING:
    from dermstation.services.assistant import AssistantService, AssistantStatus, Explanation
    from dermstation.services.types import CurrentUser

_STYLE = """
QLabel#assistantBadge { border-radius: 9px; padding: 2px 10px; font-weight: 600; }
QLabel#assistantBadge[origin="offline"] { background: #FFF4D6; color: #6B4E00; border: 1px solid #E8C66A; }
QLabel#assistantBadge[origin="perplexity"] { background: #DCEAF0; color: #163A49; border: 1px solid #9DB5C0; }
QLabel#assistantBadge[origin="clinician"] { background: #E3F1E5; color: #1E4D2B; border: 1px solid #9CC7A5; }
QLabel#assistantNotice { color: #6B4E00; background: #FFF9E8; border: 1px solid #F0DCA0; border-radius: 5px;
                         padding: 5px 8px; }
QTextBrowser#assistantAnswer { background: #FFFFFF; border: 1px solid #DDE3E8; border-radius: 6px; padding: 4px; }
"""


def _badge_text(explanation: Explanation) -> str:
    """Where the text came from, as the patient will be told, and whether the clinician edited it."""
    source = _("Online AI service (Perplexity)") if explanation.written_by == "online" else _("Built-in knowledge base")
    return source + (" · " + _("edited by clinician") if explanation.origin == "clinician" else "")


_BOLD = re.compile(r"\*\*(.+?)\*\*")
_HEADING = re.compile(r"^#{1,6}\s+")


def _block_html(block: str, first: bool) -> str:
    """One paragraph: escaped, **bold** kept, a leading label line (offline sections) or heading in bold."""
    lines = [line.rstrip() for line in block.strip().split("\n")]
    rendered = []
    for i, line in enumerate(lines):
        heading = bool(_HEADING.match(line))
        text = _BOLD.sub(r"<b>\1</b>", html.escape(_HEADING.sub("", line)))
        if heading or (i == 0 and len(lines) > 1):
            text = f"<b>{text}</b>"
        rendered.append(text)
    body = "<br>".join(rendered)
    if first and len(lines) == 1 and len(body) < 160:
        return f'<p style="font-size: 11pt"><b>{body}</b></p>'
    return f"<p>{body}</p>"


def _host(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")


def answer_html(explanation: Explanation) -> str:
    """The answer and its cited sources as links (escaped: the answer is untrusted text)."""
    blocks = [b for b in explanation.text.split("\n\n") if b.strip()]
    paragraphs = "".join(_block_html(block, i == 0) for i, block in enumerate(blocks))
    sources = "".join(
        f'<li><a href="{html.escape(s.url, quote=True)}">{html.escape(s.title or s.url)}</a>'
        f' <span style="color:#5B6B77">({html.escape(_host(s.url))})</span></li>'
        for s in explanation.sources if s.url.startswith(("https://", "http://"))
    )
    direction = "rtl" if explanation.language in RIGHT_TO_LEFT else "ltr"
    out = f'<div dir="{direction}">{paragraphs}'
    if sources:
        out += f"<p><b>{html.escape(_('Sources'))}</b></p><ol>{sources}</ol>"
    return out + "</div>"


class RequestPreviewDialog(QDialog):
    """The exact request that would leave this computer; Send confirms it, Cancel sends nothing."""

    def __init__(self, request_text: str, replacements: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Send this request to the online assistant?"))
        layout = QVBoxLayout(self)
        intro = QLabel(_("This is exactly what will be sent to Perplexity, an online AI service. It holds the signed "
                         "diagnosis and plan, the age band, the body region, the language and your question with "
                         "names, places, dates and numbers removed. Check it before you send it."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        if replacements:
            removed = QLabel(_("{n} identifier(s) were removed from your question.").format(n=replacements))
            layout.addWidget(set_role(removed, "subtitle"))
        self.request = QPlainTextEdit(request_text)
        self.request.setObjectName("assistantRequestPreview")
        self.request.setReadOnly(True)
        self.request.setMinimumSize(560, 320)
        layout.addWidget(self.request, 1)
        buttons = QDialogButtonBox()
        self.send_button = buttons.addButton(_("Send"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class AssistantPanel(QFrame):
    """Ask about one analysis, review the answer and approve a version for the patient."""

    #: A new explanation was shown (Explanation).
    answered = Signal(object)
    #: The clinician saved an edited version (Explanation).
    saved = Signal(object)
    #: A version was approved for the patient (Explanation); reports print this one.
    approved = Signal(object)
    #: The assistant's status was loaded (AssistantStatus).
    status_loaded = Signal(object)
    #: The exact online request is shown for confirmation (RequestPreviewDialog).
    preview_opened = Signal(object)
    #: No explanation can be written (the reason, str): e.g. no signed, coded diagnosis and plan yet.
    refused = Signal(str)

    def __init__(self, assistant: AssistantService, user: CurrentUser, ops: Operations,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._assistant = assistant
        self._user = user
        self._ops = ops
        self._analysis_id: int | None = None
        self._current: Explanation | None = None
        self._asking = False
        self.setObjectName("card")
        self.setStyleSheet(_STYLE)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 12)
        layout.setSpacing(8)

        header = QHBoxLayout()
        header.addWidget(set_role(QLabel(_("Explain to the patient")), "section"))
        header.addStretch(1)
        self.badge = QLabel()
        self.badge.setObjectName("assistantBadge")
        self.badge.hide()
        header.addWidget(self.badge)
        header.addWidget(QLabel(_("Language")))
        self.language = QComboBox()
        self.language.setObjectName("assistantLanguage")
        for code, name in SUPPORTED_LANGUAGES.items():
            self.language.addItem(name, code)
        self.language.setCurrentIndex(max(self.language.findData(current_language()), 0))
        header.addWidget(self.language)
        layout.addLayout(header)

        self.mode = set_role(QLabel(), "subtitle")
        self.mode.setWordWrap(True)
        layout.addWidget(self.mode)

        ask_row = QHBoxLayout()
        self.question = QLineEdit()
        self.question.setObjectName("assistantQuestion")
        self.question.setMaxLength(1000)
        self.question.setPlaceholderText(_("Question about this result (no names, dates or record numbers)"))
        self.question.returnPressed.connect(self.ask)
        self.ask_button = QPushButton(_("Explain"))
        self.ask_button.setProperty("primary", True)
        self.ask_button.clicked.connect(self.ask)
        ask_row.addWidget(self.question, 1)
        ask_row.addWidget(self.ask_button)
        layout.addLayout(ask_row)

        self.notice = QLabel()
        self.notice.setObjectName("assistantNotice")
        self.notice.setWordWrap(True)
        self.notice.hide()
        layout.addWidget(self.notice)

        self.answer = QTextBrowser()
        self.answer.setObjectName("assistantAnswer")
        self.answer.setOpenExternalLinks(True)
        self.answer.setMinimumHeight(160)
        self.answer.setPlaceholderText(_("The explanation appears here."))
        layout.addWidget(self.answer, 3)

        layout.addWidget(set_role(QLabel(_("Explanation for the patient (you can edit it)")), "fieldName"))
        self.editor = QPlainTextEdit()
        self.editor.setObjectName("assistantEditor")
        self.editor.setMinimumHeight(120)
        self.editor.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.editor.textChanged.connect(self._update_buttons)
        layout.addWidget(self.editor, 2)

        actions = QHBoxLayout()
        self.state = set_role(QLabel(), "subtitle")
        self.state.setWordWrap(True)
        actions.addWidget(self.state, 1)
        self.save_button = QPushButton(_("Save edit"))
        self.save_button.clicked.connect(lambda: self._ops.spawn(self._revise(False), parent=self))
        self.approve_button = QPushButton(_("Approve for patient"))
        self.approve_button.setProperty("primary", True)
        self.approve_button.clicked.connect(lambda: self._ops.spawn(self._revise(True), parent=self))
        actions.addWidget(self.save_button)
        actions.addWidget(self.approve_button)
        layout.addLayout(actions)
        self._update_buttons()

    # --- public --------------------------------------------------------------------------------
    def set_analysis(self, analysis_id: int | None, language: str | None = None) -> None:
        """Show the assistant for ``analysis_id`` (None clears it); loads the status and the last exchange."""
        self._analysis_id = analysis_id
        self._current = None
        if language in SUPPORTED_LANGUAGES:
            self.language.setCurrentIndex(self.language.findData(language))
        self.answer.clear()
        self.editor.clear()
        self.notice.hide()
        self.badge.hide()
        self.state.clear()
        self._update_buttons()
        if analysis_id is not None:
            self._ops.spawn(self._load(analysis_id), key=f"assistant-load-{id(self)}", parent=self)

    @property
    def current(self) -> Explanation | None:
        return self._current

    def ask(self) -> None:
        if self._analysis_id is None or self._asking:
            return
        # Busy at once, not when the task first runs: a second click must not send the question twice.
        self._asking = True
        self.ask_button.setEnabled(False)
        self.ask_button.setText(_("Asking…"))
        task = self._ops.spawn(self._ask(self._analysis_id, self.question.text(), self.language.currentData()),
                               key=f"assistant-ask-{id(self)}", parent=self)
        task.add_done_callback(lambda _task: self._asked())

    def _asked(self) -> None:
        """However the question ended (answer, error, cancel), the panel can be asked again."""
        try:
            self._asking = False
            self.ask_button.setText(_("Explain"))
            self._update_buttons()
        except RuntimeError:  # the panel was closed meanwhile
            pass

    # --- work ----------------------------------------------------------------------------------
    async def _load(self, analysis_id: int) -> None:
        status = await self._ops.db(self._assistant.status)
        self._show_status(status)
        if not status.enabled:
            return
        history = await self._ops.db(self._assistant.history, self._user, analysis_id)
        if history and self._analysis_id == analysis_id:
            approved = [e for e in history if e.approved]
            shown = approved[-1] if approved else history[-1]
            self._show(shown)
            if shown.approved:  # approved under an earlier signature? then it is not printed any more
                current = await self._ops.db(self._assistant.approved_explanation, self._user, analysis_id,
                                             shown.language)
                if (current is None or current.id != shown.id) and self._current is shown:
                    self.state.setText(_("Approved for an earlier signature of this picture, so it is not printed. "
                                         "Explain again for the current diagnosis."))

    async def _ask(self, analysis_id: int, question: str, language: str) -> None:
        try:
            prepared = await self._ops.db(self._assistant.prepare, self._user, analysis_id, language)
        except ValidationError as exc:  # nothing signed yet, or signed without a code or a plan: say why
            self._refuse(exc.message)
            return
        draft = await self._ops.work(self._assistant.draft, prepared, question)
        confirmed = False
        if draft.online:
            dialog = RequestPreviewDialog(draft.request_text, draft.question.replacements, self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.preview_opened.emit(dialog)
            confirmed = await dialog_finished(dialog) == QDialog.DialogCode.Accepted
            if not confirmed:
                self.state.setText(_("Nothing was sent."))
                return
        answer = await self._ops.work(self._assistant.ask, prepared, draft, confirmed=confirmed)
        explanation = await self._ops.db(self._assistant.record, self._user, prepared, answer)
        if self._analysis_id == analysis_id:
            self.question.clear()
            self._show(explanation)
            self.answered.emit(explanation)

    async def _revise(self, approve: bool) -> None:
        if self._current is None:
            return
        text = self.editor.toPlainText()
        revision = await self._ops.db(self._assistant.revise, self._user, self._current.id, text, approve=approve)
        self._show(revision)
        (self.approved if approve else self.saved).emit(revision)

    # --- display -------------------------------------------------------------------------------
    def _refuse(self, reason: str) -> None:
        self.notice.setText(reason)
        self.notice.show()
        self.refused.emit(reason)

    def _show_status(self, status: AssistantStatus) -> None:
        self.status_loaded.emit(status)
        if not status.enabled:
            self.mode.setText(_("The explanation assistant is switched off for this clinic."))
        elif status.online:
            self.mode.setText(_("Explanations of the signed diagnosis and plan are written online. Only the diagnosis "
                                "code, the plan, the age band, the body region and your question (with names, "
                                "places, dates and numbers removed) are sent, after you confirm the request."))
        else:
            self.mode.setText(_("Explanations of the signed diagnosis and plan come from the built-in knowledge "
                                "base: nothing leaves this computer."))
        self.question.setEnabled(status.enabled)
        self._update_buttons()

    def _show(self, explanation: Explanation) -> None:
        self._current = explanation
        rtl = explanation.language in RIGHT_TO_LEFT
        direction = Qt.LayoutDirection.RightToLeft if rtl else Qt.LayoutDirection.LeftToRight
        for widget in (self.answer, self.editor):
            widget.setLayoutDirection(direction)
            option = widget.document().defaultTextOption()
            option.setTextDirection(direction)
            option.setAlignment(Qt.AlignmentFlag.AlignRight if rtl else Qt.AlignmentFlag.AlignLeft)
            option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
            widget.document().setDefaultTextOption(option)
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.answer.setHtml(answer_html(explanation))
        self.editor.blockSignals(True)
        self.editor.setPlainText(explanation.text)
        self.editor.blockSignals(False)
        self.badge.setText(_badge_text(explanation))
        self.badge.setProperty("origin", explanation.origin)
        self.badge.style().unpolish(self.badge)
        self.badge.style().polish(self.badge)
        self.badge.show()
        if explanation.notice:
            self.notice.setText(explanation.notice)
            self.notice.show()
        else:
            self.notice.hide()
        when = format_moment(explanation.created_at)
        if explanation.approved:
            self.state.setText(_("Approved for the patient ({when}).").format(when=when))
        elif explanation.origin == "clinician":
            self.state.setText(_("Edited ({when}); not yet approved.").format(when=when))
        else:
            self.state.setText(_("Review and edit before approving it for the patient."))
        self._update_buttons()

    def _update_buttons(self) -> None:
        has_text = bool(self.editor.toPlainText().strip())
        ready = self._current is not None and has_text
        self.save_button.setEnabled(ready and self.editor.toPlainText() != self._current.text)
        self.approve_button.setEnabled(ready and not (self._current.approved
                                                      and self.editor.toPlainText() == self._current.text))
        self.ask_button.setEnabled(self._analysis_id is not None and self.question.isEnabled()
                                   and not self._asking)
