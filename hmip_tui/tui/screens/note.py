"""Writing text: a short reason or judgement on one line, an evidence note in a multi-line editor.

The evidence note editor keeps a draft in the database as it is typed, so a note survives the
app dying; the draft goes once the note is saved, or once the inspector throws it away.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Static, TextArea

from ... import services
from ...errors import HmipError

# A key typed less than this long after the previous one belongs to the same burst of typing.
# A burst that began before the editor was on screen was meant for the screen below (a
# quick "y" then the note), so the whole burst is kept out of the note: a person reads a newly
# opened editor for longer than this before typing into it.
BURST_GAP_S = 0.3

# How long a draft may sit between keystrokes before it is written: short enough that a crash
# loses at most this much typing, long enough not to commit on every key.
DRAFT_DELAY_S = 0.5


class NoteScreen(ModalScreen[str | None]):
    """One line (a reason, a judgement's evidence). Returns it, or None when the inspector backs out."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel")]

    EVIDENCE = "What in the case file supports this judgement?"
    REASON = "The reason, kept in the audit trail"

    def __init__(self, heading: str, note: str, placeholder: str = EVIDENCE) -> None:
        super().__init__()
        self.heading = heading
        self.note = note
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(id="note-box", classes="dialog"):
            yield Static(self.heading, classes="dialog-title")
            yield Input(self.note, placeholder=self.placeholder, id="note")
            yield Static("Enter saves · Escape cancels", classes="dialog-keys")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self.placeholder == self.REASON and not event.value.strip():
            # Stay open: a dialog closed on an empty reason would hand what is typed next to the
            # screen below as commands (x clears an answer, n answers No).
            self.query_one(".dialog-keys", Static).update("A reason is needed: type it, then Enter · Escape cancels")
            return
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class GuardedTextArea(TextArea):
    """A text area that keeps out a burst of typing begun before it was on screen."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.open_from: float | None = None  # when it was first painted
        self.last_kept_out: float | None = None
        self.kept_out = 0

    def _on_mount(self, event: events.Mount) -> None:
        from textual import _time

        # After the first refresh, the editor is on the screen the inspector looks at.
        self.call_after_refresh(lambda: setattr(self, "open_from", _time.get_time()))

    def too_early(self, event: events.Key) -> bool:
        if self.open_from is None or event.time < self.open_from + BURST_GAP_S:
            return True  # before the editor was on screen, or too soon after to have read it
        # Still the same burst: keys arriving within BURST_GAP_S of one kept out.
        return self.last_kept_out is not None and event.time - self.last_kept_out < BURST_GAP_S

    async def _on_key(self, event: events.Key) -> None:
        if event.key in ("escape", "ctrl+s", "ctrl+e") or not self.too_early(event):
            self.last_kept_out = None
            return await super()._on_key(event)
        event.stop()
        event.prevent_default()  # neither inserted nor run as a binding of the text area
        self.last_kept_out = event.time
        self.kept_out += 1
        self.screen.kept_out(self.kept_out)


class EvidenceNoteScreen(ModalScreen[str | None]):
    """The evidence note of one question of a case, on as many lines as it takes.

    Returns the note to save (possibly empty), or None when the inspector backs out. A draft is
    kept while typing and given back the next time the note is opened.
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="save-note", priority=True),
        Binding("ctrl+e", "external", "$EDITOR", id="external-editor", priority=True),
        Binding("escape", "cancel", "Cancel", id="cancel-note"),
    ]

    def __init__(self, ref: str, question_id: str, heading: str, note: str,
                 subheading: str = "") -> None:
        super().__init__()
        self.ref = ref
        self.question_id = question_id
        self.heading = heading
        self.subheading = subheading
        self.saved_note = note
        self.draft = None

    def compose(self) -> ComposeResult:
        self.draft = services.note_draft(self.app.conn, self.ref, self.question_id, self.app.inspector)
        with Vertical(id="evidence-box", classes="dialog"):
            yield Static(self.heading, classes="dialog-title")
            if self.subheading:
                yield Static(self.subheading, id="note-why")
            yield GuardedTextArea(self.draft.text if self.draft else self.saved_note, id="note-text",
                                  soft_wrap=True, show_line_numbers=False)
            yield Static(self.opening_line(), id="note-status")
        yield Footer()

    def opening_line(self) -> str:
        if self.draft is not None:
            return (f"Restored the draft not saved at {self.draft.saved_at[11:16]}: ctrl+s saves it, "
                    "Escape throws it away.")
        return "ctrl+s saves · ctrl+e opens $EDITOR · Escape cancels"

    def on_mount(self) -> None:
        area = self.query_one(GuardedTextArea)
        area.focus()
        area.move_cursor(area.document.end)

    @property
    def text(self) -> str:
        return self.query_one(GuardedTextArea).text

    def say(self, message: str) -> None:
        self.query_one("#note-status", Static).update(message)

    def kept_out(self, count: int) -> None:
        self.say(f"{count} key{'s' if count != 1 else ''} typed before the note opened "
                 "kept out of it: type the note now.")

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        # Written a moment after typing stops, not on every key.
        if getattr(self, "_draft_timer", None) is not None:
            self._draft_timer.stop()
        self._draft_timer = self.set_timer(DRAFT_DELAY_S, self.keep_draft)

    def keep_draft(self) -> None:
        self._draft_timer = None
        try:
            if self.text.strip() == (self.saved_note or "").strip():
                services.drop_note_draft(self.app.conn, self.ref, self.question_id, self.app.inspector)
            else:
                services.keep_note_draft(self.app.conn, self.ref, self.question_id, self.app.inspector,
                                         self.text)
        except HmipError as exc:
            self.say(f"The draft could not be kept: {exc}")

    def stop_drafting(self) -> None:
        if getattr(self, "_draft_timer", None) is not None:
            self._draft_timer.stop()
            self._draft_timer = None

    def action_save(self) -> None:
        # ctrl+s is a priority key, run as it arrives; keys typed just before it may still wait in
        # the text area's queue. Saving from that queue, after them, keeps the last letters typed.
        self.query_one(GuardedTextArea).call_later(self.save_now)

    def save_now(self) -> None:
        self.stop_drafting()
        # The draft stays until the caller has the note in the history: see drop_note_draft.
        try:
            services.keep_note_draft(self.app.conn, self.ref, self.question_id, self.app.inspector,
                                     self.text)
        except HmipError as exc:
            self.say(f"Not saved: {exc}.")
            return
        self.dismiss(self.text)

    def action_cancel(self) -> None:
        from .confirm import ConfirmScreen

        changed = self.text.strip() != (self.saved_note or "").strip()
        if not changed:
            self.stop_drafting()
            services.drop_note_draft(self.app.conn, self.ref, self.question_id, self.app.inspector)
            self.dismiss(None)
            return

        def answered(throw_away: bool) -> None:
            if throw_away:
                self.stop_drafting()
                services.drop_note_draft(self.app.conn, self.ref, self.question_id, self.app.inspector)
                self.dismiss(None)

        self.app.push_screen(ConfirmScreen("Throw away the changes to this note?"), answered)

    def action_external(self) -> None:
        # After the keys typed before ctrl+e, as for ctrl+s: the editor gets all of them.
        self.query_one(GuardedTextArea).call_later(self.external_now)

    def external_now(self) -> None:
        """Hand the note to $EDITOR (or $VISUAL) for a long note, then take back what it wrote."""
        command = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if not command:
            self.say("No editor is set: set $EDITOR (for example EDITOR=nano) to write notes "
                     "outside hmip; the note is as it was.")
            return
        try:
            argv = shlex.split(command)
        except ValueError:
            argv = []
        # Found before the screen is handed over: a program that cannot start must not leave the
        # terminal suspended and blank.
        if not argv or shutil.which(argv[0]) is None:
            self.say(f"$EDITOR ({command}) is not a program on this laptop: set $EDITOR to one that is "
                     "(for example EDITOR=vi); the note is as it was.")
            return
        folder = Path(tempfile.mkdtemp(prefix="hmip-note-"))  # private: mode 0700
        path = folder / f"{self.question_id}.txt"
        try:
            path.write_text(self.text, encoding="utf-8")
            failed = None
            try:
                with self.app.suspend():
                    try:
                        done = subprocess.run([*argv, str(path)])
                    except OSError as exc:  # caught inside, so the app resumes its screen
                        failed = exc
            except Exception as exc:  # no terminal to hand over (a test run)
                failed = exc
            if failed is not None:
                self.say(f"$EDITOR ({command}) could not be started ({type(failed).__name__}): "
                         "the note is as it was.")
                return
            if done.returncode != 0:
                self.say(f"$EDITOR ({command}) stopped with exit status {done.returncode}: "
                         "the note is as it was.")
                return
            written = path.read_text(encoding="utf-8").rstrip("\n")
        except (OSError, UnicodeDecodeError) as exc:
            self.say(f"The note could not be passed to $EDITOR ({exc.__class__.__name__}): "
                     "the note is as it was.")
            return
        finally:
            for leftover in folder.glob("*"):
                leftover.unlink(missing_ok=True)
            folder.rmdir()
        self.query_one(GuardedTextArea).load_text(written)
        self.keep_draft()
        self.say("Back from $EDITOR: ctrl+s saves the note.")
