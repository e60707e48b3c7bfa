"""The case walk: one standard at a time, prompts then the key question, answered by keys.

Every answer is committed to the database in the key handler, before the row shows "saved":
a mark on screen is a promise that the answer is on disk.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from ... import services
from ...case_checks import Section, missing, moderation_flags, walk
from ...errors import HmipError
from ...framework import Question


# Lines of a note shown in its row: the whole note is one key (e) away.
NOTE_LINES = 4

# From this width the guidance has a column of its own beside the questions; below it, g shows
# it under them.
GUIDANCE_BESIDE_FROM = 110


def shortened(note: str) -> str:
    lines = note.splitlines()
    return "\n".join(lines[:NOTE_LINES]) + (f"\n… {len(lines) - NOTE_LINES} more lines (e)"
                                             if len(lines) > NOTE_LINES else "")


def flipped(question: Question, before, after) -> bool:
    """A key question's answer turned from Yes to No or back: its note argued the other way."""
    if question.kind != "key_question" or before is None:
        return False
    was, now = (question.type.option(a.value).counts_as for a in (before, after))
    return {was, now} == {"yes", "no"}


def keep_cursor_in_view(box) -> None:
    for row in box.query(".question.-cursor"):
        row.scroll_visible(animate=False)


class QuestionList(VerticalScroll):
    """The questions of a standard. When it changes size (the guidance shown below it), the
    question under the cursor stays in view."""

    # Never focused: a focused scroll view takes up and down for itself and scrolls the view
    # while the question cursor stays put, so the next y or n would answer a question off screen.
    can_focus = False

    def on_resize(self, event) -> None:
        keep_cursor_in_view(self)


class QuestionRow(Horizontal):
    """One question, its answer, its evidence note and its marks."""

    def on_resize(self, event) -> None:
        # Laid out (or wrapped anew beside the guidance column): only now is its place known.
        if self.has_class("-cursor"):
            self.scroll_visible(animate=False)

    def __init__(self, question: Question) -> None:
        super().__init__(classes=f"question {question.kind.replace('_', '-')}")
        self.question = question
        self.shown_text = ""
        self.body = Text()

    def compose(self) -> ComposeResult:
        key = self.question.kind == "key_question"
        yield Static(Text(self.question.id, style="bold" if key else "dim"), classes="qid")
        yield Static(self.body, classes="qbody")

    def show(self, answer, flag: str | None, saved: bool, draft: str | None = None) -> None:
        q = self.question
        key = q.kind == "key_question"
        body = Text()
        if key:
            body.append(" KEY QUESTION ", style="bold reverse")
            body.append(" ")
        body.append(q.text, style="bold" if key else "")
        body.append("\n")
        if answer is None:
            body.append("not answered", style="italic dim")
        else:
            option = q.type.option(answer.value)
            style = {"yes": "bold green", "no": "bold red", "na": "bold yellow"}[option.counts_as]
            body.append(f"▶ {option.label}", style=style)
            if saved:
                body.append("   ✓ saved", style="green")
        note = (answer.note if answer else None) or ""
        if draft is not None and answer is None:
            body.append(f"\nNote (saved with the answer): {shortened(draft)}", style="italic")
        elif note:
            body.append(f"\n{'Evidence' if q.note_required else 'Note'}: {shortened(note)}", style="italic")
            if draft is not None:
                body.append("\nA draft of this note was not saved: e to see it", style="yellow")
        elif draft is not None:
            body.append("\nA draft of this note was not saved: e to see it", style="yellow")
        elif q.note_required:
            body.append("\nEvidence note needed (e to write)", style="yellow")
        if flag:
            body.append(f"\n⚑ For moderation: {flag}", style="bold magenta")
        self.shown_text = f"{q.id} {body.plain}"  # what the row says, for tests and screen readers
        self.body = body
        if self.is_mounted and self.children:  # before it is composed, compose() shows the body
            self.query_one(".qbody", Static).update(body)


class CaseWalkScreen(Screen):
    """Walks one case through the framework's standards."""

    BINDINGS = [
        # The answer keys are shown in the line above the footer, with the question's own
        # options (a graded item's digits too): the footer keeps its room for the rest.
        Binding("y", "answer('y')", "Yes", id="yes", show=False),
        Binding("n", "answer('n')", "No", id="no", show=False),
        Binding("a", "answer('a')", "N/A", id="na", show=False),
        *[Binding(str(d), f"answer('{d}')", f"Option {d}", id=f"option-{d}", show=False)
          for d in range(1, 10)],
        Binding("j,down", "move(1)", "Next question", id="down", show=False),
        Binding("k,up", "move(-1)", "Previous question", id="up", show=False),
        Binding("e", "note", "Note", id="note"),
        Binding("g", "guidance", "Guide", id="guidance"),  # the guidance; short, so 80 columns hold every key
        Binding("l,right,right_square_bracket", "standard(1)", "Next std", id="next"),
        # Shown in help (?), not the footer: l beside it says where h is, and 80 columns are full.
        Binding("h,left,left_square_bracket", "standard(-1)", "Prev std", id="prev", show=False),
        Binding("x,delete", "clear", "Clear answer", id="clear", show=False),
        Binding("c", "complete", "Complete", id="complete"),
        Binding("b", "in_progress", "In progress", id="in-progress"),
        Binding("d", "app.dashboard", "Ratings", id="walk-dashboard", show=False),
        Binding("o", "app.judgements", "Domain one", id="walk-judgements", show=False),
        Binding("p", "profile", "Profile", id="profile", show=False),
        Binding("t", "trail", "Audit trail", id="trail", show=False),
        Binding("escape", "leave", "Cases", id="leave"),
    ]

    def __init__(self, ref: str, question_id: str | None = None) -> None:
        super().__init__()
        self.ref = ref
        self.start_at = question_id
        self.section_index = 0
        self.cursor = 0
        self.saved_now: set[str] = set()
        self.resumed_once = False
        self.opened_by_answer = False  # the note dialog was opened by answering, not by e
        self.change_reason: str | None = None  # why a complete case is being changed, this visit

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="case-head")
        yield Static(id="where")
        with Horizontal(id="walk-body"):
            yield QuestionList(id="questions")
            yield Static(id="guidance")
        yield Static(id="keys-for-question")
        yield Static(id="status")
        yield Footer(compact=True)  # every key of the walk readable at 80 columns

    def on_mount(self) -> None:
        self.guidance_asked = False  # g pressed, where the guidance has no column of its own
        self.load_case()
        target = self.start_at or self.case.resume_at or self.newest_answered() or self.first_unanswered()
        self.go_to(target)

    def on_screen_resume(self) -> None:
        # Textual posts ScreenResume on the first push too: reload only when coming back
        # from the profile or the completion check, where the profile may have changed.
        if not self.resumed_once:
            self.resumed_once = True
            return
        if hasattr(self, "rows"):
            current, standard = self.current_question(), self.section.standard.id
            self.load_case()
            if current is not None:
                self.go_to(current.id)
            else:  # on a standard that does not apply: stay there, never back to the first question
                self.section_index = next((i for i, s in enumerate(self.sections) if s.standard.id == standard), 0)
                self.cursor = 0
                self.render_section()

    # --- state --------------------------------------------------------------------------

    @property
    def framework(self):
        return self.app.framework

    def load_case(self) -> None:
        self.case = services.get_case(self.app.conn, self.ref)
        self.answers = services.answers_for_case(self.app.conn, self.case.id)
        self.drafts = services.drafts_for_case(self.app.conn, self.ref, self.app.inspector)
        self.sections: list[Section] = walk(self.framework, self.case.profile)
        self.query_one("#case-head", Static).update(self.case_heading())

    def case_heading(self) -> Text:
        fw, p = self.framework, self.case.profile
        parts = [fw.profile_field("sentence_type").label_of(p.get("sentence_type")),
                 f"RoSH {fw.profile_field('rosh').label_of(p.get('rosh')).lower()}",
                 f"inspector {self.case.inspector or '-'}"]
        if p.get("limited_access") == "yes":
            parts.append("LIMITED ACCESS")
        return Text.assemble((f"Case {self.case.ref}", "bold"), "  ·  " + "  ·  ".join(parts))

    @property
    def section(self) -> Section:
        return self.sections[self.section_index]

    def current_question(self) -> Question | None:
        qs = self.section.questions
        return qs[self.cursor] if qs and 0 <= self.cursor < len(qs) else None

    def newest_answered(self) -> str | None:
        """Where the inspector was when the app last stopped without leaving the case (a closed
        lid): the question they answered last, of those this case's walk shows. None when no one
        answer is the newest (answers imported together share their time)."""
        mine = sorted((a.answered_at, a.question) for s in self.sections for q in s.questions
                      if (a := self.answers.get(q.id)) is not None and a.answered_by == self.app.inspector)
        if not mine or len(mine) > 1 and mine[-1][0] == mine[-2][0]:
            return None
        return mine[-1][1]

    def first_unanswered(self) -> str | None:
        for s in self.sections:
            for q in s.questions:
                if q.id not in self.answers:
                    return q.id
        return None

    def go_to(self, question_id: str | None) -> None:
        for si, s in enumerate(self.sections):
            for qi, q in enumerate(s.questions):
                if q.id == question_id:
                    self.section_index, self.cursor = si, qi
                    self.render_section()
                    return
        self.section_index = next((i for i, s in enumerate(self.sections) if s.questions), 0)
        self.cursor = 0
        self.render_section()

    # --- drawing ------------------------------------------------------------------------

    def render_section(self) -> None:
        box = self.query_one("#questions", QuestionList)
        box.remove_children()
        s = self.section
        rows = [QuestionRow(q) for q in s.questions]
        if s.why_not:
            box.mount(Static(f"{s.standard.id} {s.standard.title} does not apply to this case: "
                             f"{s.why_not}.\nl or → goes to the next standard.", classes="hidden-reason"))
        else:
            box.mount(Static(s.standard.statement, classes="statement"))
            box.mount_all(rows)
            if s.hidden:
                reasons = sorted({r for _, r in s.hidden})
                box.mount(Static(f"{len(s.hidden)} question(s) hidden: " + "; ".join(reasons),
                                 classes="hidden-reason"))
        self.rows = rows
        self.refresh_rows()
        self.refresh_where()

    def refresh_rows(self) -> None:
        flags = moderation_flags(self.framework, self.answers)
        for i, row in enumerate(self.rows):
            draft = self.drafts.get(row.question.id)
            row.show(self.answers.get(row.question.id), flags.get(row.question.id),
                     row.question.id in self.saved_now, draft.text if draft else None)
            row.set_class(i == self.cursor, "-cursor")
        if self.rows:
            self.rows[self.cursor].scroll_visible(animate=False)
        q = self.current_question()
        keys = Text()
        if q is not None:
            keys.append(f"{q.id}: ", style="bold")
            keys.append("   ".join(f"{o.key} {o.label}" for o in q.type.options))
            keys.append("   e evidence note" if q.note_required else "   e note")
        self.query_one("#keys-for-question", Static).update(keys)
        self.refresh_guidance()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        # Only a complete case goes back to in progress; the key shows only then.
        # Only a complete case goes back to in progress, and only an unfinished one completes:
        # the footer shows the one that applies.
        complete = hasattr(self, "case") and self.case.status == "complete"
        if action == "in_progress":
            return complete
        if action == "complete":
            return not complete
        return True

    def guidance_for(self, q: Question | None) -> Text:
        if q is None:
            return Text()
        if q.guidance:
            return Text.assemble((f"Guidance on {q.id}\n", "bold"), q.guidance)
        key = self.framework.questions.get(q.parent_id) if q.parent_id else None
        if key is not None and key.guidance:
            return Text.assemble((f"Guidance on {key.id}\n", "bold"), key.guidance)
        return Text(f"No guidance on {q.id} in the framework.", style="dim")

    def refresh_guidance(self) -> None:
        wide = self.size.width >= GUIDANCE_BESIDE_FROM
        panel = self.query_one("#guidance", Static)
        self.set_class(wide, "-guidance-beside")
        self.set_class(not wide and self.guidance_asked, "-guidance-below")
        panel.display = wide or self.guidance_asked
        panel.update(self.guidance_for(self.current_question()))

    def on_resize(self, event) -> None:
        if hasattr(self, "rows"):
            self.refresh_guidance()

    def action_guidance(self) -> None:
        if self.size.width >= GUIDANCE_BESIDE_FROM:
            self.say("The guidance is beside the questions; it follows the cursor.")
            return
        self.guidance_asked = not self.guidance_asked
        self.refresh_guidance()

    def refresh_where(self) -> None:
        left = missing(self.framework, self.case.profile, self.answers)
        total = sum(len(s.questions) for s in self.sections)
        answered = total - sum(1 for m in left if m.what == "answer")
        s = self.section
        shown = [i for i, x in enumerate(self.sections)]
        status = "moderated (locked)" if self.case.locked else {
            "not_started": "not started", "in_progress": "in progress", "complete": "complete"}[self.case.status]
        self.query_one("#where", Static).update(Text.assemble(
            (f"{s.standard.id} {s.standard.title}", "bold"),
            f" · standard {shown.index(self.section_index) + 1}/{len(self.sections)}"
            f" · {answered}/{total} answered · {len(left)} left · {status}"))

    def say(self, message: str, style: str = "") -> None:
        self.query_one("#status", Static).update(Text(message, style=style))

    # --- actions ------------------------------------------------------------------------

    def action_move(self, step: int) -> None:
        if self.rows:
            self.cursor = max(0, min(len(self.rows) - 1, self.cursor + step))
            self.refresh_rows()

    def action_standard(self, step: int) -> None:
        target = self.section_index + step
        if 0 <= target < len(self.sections):
            self.section_index, self.cursor = target, 0
            self.render_section()
        else:
            self.say("That is the last standard: c checks the case and completes it."
                     if step > 0 else "That is the first standard.")

    def action_answer(self, key: str) -> None:
        q = self.current_question()
        if q is None:
            return
        option = next((o for o in q.type.options if o.key == key), None)
        if option is None:
            keys = ", ".join(f"{o.key} {o.label}" for o in q.type.options)
            self.say(f"{key} is not an answer to {q.id}: use {keys}.", "yellow")
            return
        if self.needs_reason(lambda: self.action_answer(key)):
            return
        before = self.answers.get(q.id)
        # A note written before the answer goes into the history with it, in the same entry.
        waiting = self.drafts.get(q.id) if before is None else None
        try:
            saved = services.record_answer(self.app.conn, self.framework, self.ref, q.id, option.id,
                                        waiting.text if waiting else None, self.app.inspector,
                                        keep_note=True, reason=self.change_reason)
        except HmipError as exc:
            self.say(str(exc), "bold red")
            return
        if waiting is not None:
            services.drop_note_draft(self.app.conn, self.ref, q.id, self.app.inspector)
            del self.drafts[q.id]
        self.answers[q.id] = saved
        if self.case.status == "not_started":
            self.case = services.get_case(self.app.conn, self.ref)
        self.saved_now.add(q.id)
        self.say(f"Saved {q.id} = {option.label}" + (" with its note." if waiting else "."), "green")
        if saved.note and flipped(q, before, saved):
            self.refresh_rows()
            self.refresh_where()
            self.review_note(q, before, saved)
            return
        if q.note_required and not saved.note:
            self.refresh_rows()
            self.refresh_where()
            self.opened_by_answer = True
            self.action_note()
            return
        self.advance()

    def needs_reason(self, then) -> bool:
        """A complete case changes only with a reason: ask once per visit, then carry on."""
        from .note import NoteScreen

        if self.case.locked:
            self.say(f"Case {self.ref} is moderated and locked: the lead can reopen it with a reason.",
                     "bold red")
            return True
        if self.case.status != "complete" or self.change_reason:
            return False

        def given(reason: str | None) -> None:
            if reason and reason.strip():
                self.change_reason = reason.strip()
                then()
            else:
                self.say("Not changed: a complete case changes only with a reason.", "yellow")

        self.app.push_screen(NoteScreen(f"Case {self.ref} is complete: why change it?", "",
                                        NoteScreen.REASON), given)
        return True

    def advance(self) -> None:
        """After an answer: the next question of the standard, or on to the next standard."""
        following = next((i for i in range(self.section_index + 1, len(self.sections))
                          if self.sections[i].questions), None)  # past standards that do not apply
        if self.cursor < len(self.rows) - 1:
            self.cursor += 1
            self.refresh_rows()
        elif following is not None:
            self.section_index = following
            self.cursor = 0
            self.render_section()
            return
        else:
            self.refresh_rows()
        self.refresh_where()

    def review_note(self, q: Question, before, after) -> None:
        """The answer flipped: the note may still argue for the old one. Ask before moving on."""
        from .confirm import ConfirmScreen

        was, now = (q.type.option(a.value).label for a in (before, after))

        def answered(review: bool) -> None:
            if review:
                self.action_note(why=f"The answer changed from {was} to {now}: does the note "
                                     f"still support {now}?")
            else:
                self.say(f"{q.id} is {now}; its note, written for {was}, was kept as it is.", "yellow")
                if self.current_question() is q:
                    self.advance()

        self.app.push_screen(ConfirmScreen(f"{q.id} changed from {was} to {now}, and its note was "
                                           f"written for {was}. Review the note now?"), answered)

    def action_note(self, why: str = "") -> None:
        from .note import EvidenceNoteScreen

        q = self.current_question()
        if q is None:
            return
        answer = self.answers.get(q.id)
        if answer is None:
            self.note_before_answer(q)
            return
        if self.needs_reason(self.action_note):
            return
        # Opened by the inspector (e) on a question they are reviewing: Escape stays put.
        was_written = bool(answer.note) or not self.opened_by_answer
        self.opened_by_answer = False

        def save(note: str | None) -> None:
            if note is None:
                # The answer is saved either way: move on, or the next key would re-answer it.
                # A missing required note stays on the completion check's list.
                self.drafts = services.drafts_for_case(self.app.conn, self.ref, self.app.inspector)
                self.refresh_rows()
                self.say(f"Evidence note for {q.id} not changed.")
                if self.current_question() is q and not was_written:
                    self.advance()
                return
            try:
                services.record_note(self.app.conn, self.ref, q.id, note, self.app.inspector,
                                  self.change_reason)
            except HmipError as exc:
                self.say(str(exc), "bold red")  # the draft stays, for the next try
                return
            services.drop_note_draft(self.app.conn, self.ref, q.id, self.app.inspector)
            self.drafts.pop(q.id, None)
            self.answers = services.answers_for_case(self.app.conn, self.case.id)
            self.say(f"Saved the evidence note for {q.id}.", "green")
            self.advance()

        self.app.push_screen(EvidenceNoteScreen(self.ref, q.id, f"{q.id} {q.text}", answer.note or "",
                                                why), save)

    def note_before_answer(self, q: Question) -> None:
        """A note written before the answer waits as a draft, and is saved with the answer."""
        from .note import EvidenceNoteScreen

        if self.case.locked:
            self.needs_reason(lambda: None)  # says why nothing can change
            return

        def kept(note: str | None) -> None:
            self.drafts = services.drafts_for_case(self.app.conn, self.ref, self.app.inspector)
            if note is not None and not note.strip():
                services.drop_note_draft(self.app.conn, self.ref, q.id, self.app.inspector)
                self.drafts.pop(q.id, None)
            self.refresh_rows()
            if q.id in self.drafts:
                self.say(f"Note kept for {q.id}: it is saved with the answer.", "green")
            else:
                self.say(f"No note waiting for {q.id}.")

        self.app.push_screen(EvidenceNoteScreen(
            self.ref, q.id, f"{q.id} {q.text}", "",
            f"{q.id} is not answered yet: the note is saved with the answer."), kept)

    def action_clear(self) -> None:
        q = self.current_question()
        if q is not None and q.id in self.answers:
            if self.needs_reason(self.action_clear):
                return
            services.clear_answer(self.app.conn, self.ref, q.id, self.app.inspector, self.change_reason)
            del self.answers[q.id]
            self.saved_now.discard(q.id)
            self.say(f"Cleared {q.id}.")
            self.refresh_rows()
            self.refresh_where()

    def status_changed(self, message: str, style: str) -> None:
        """The case's status moved: show it where the case is summed up, and which keys now apply."""
        self.case = services.get_case(self.app.conn, self.ref)
        self.refresh_where()
        self.refresh_bindings()
        self.say(message, style)

    def action_complete(self) -> None:
        from .completion import CompletionScreen

        left = missing(self.framework, self.case.profile, self.answers)
        if not left:
            try:
                services.set_status(self.app.conn, self.ref, "complete", self.app.inspector)
            except HmipError as exc:
                self.say(str(exc), "bold red")
                return
            self.status_changed(f"Case {self.ref} is complete: b takes it back to in progress, with a reason.",
                                "bold green")
            return

        def jump(question_id: str | None) -> None:
            if question_id:
                self.go_to(question_id)

        self.app.push_screen(CompletionScreen(self.ref, left), jump)

    def action_profile(self) -> None:
        from .profile import ProfileScreen

        self.app.push_screen(ProfileScreen(self.ref))

    def action_trail(self) -> None:
        from .audit_trail import AuditTrailScreen

        self.app.push_screen(AuditTrailScreen(self.ref))

    def remember_place(self) -> None:
        """Keep the question under the cursor, so reopening the case returns there."""
        q = self.current_question()
        if q is not None:
            services.set_resume_at(self.app.conn, self.ref, q.id)

    def action_in_progress(self) -> None:
        """Take a complete case back to in progress: with a reason, in the audit trail."""
        from .note import NoteScreen

        if self.case.locked:
            self.needs_reason(lambda: None)  # says the lead reopens a moderated case
            return
        if self.case.status != "complete":
            self.say(f"Case {self.ref} is {self.case.status.replace('_', ' ')} already.")
            return

        def given(reason: str | None) -> None:
            if not (reason and reason.strip()):
                self.say("Still complete: taking a case back to in progress needs a reason.", "yellow")
                return
            try:
                services.set_case_field(self.app.conn, self.framework, self.ref, "status", "in_progress",
                                        self.app.inspector, reason.strip())
            except HmipError as exc:
                self.say(str(exc), "bold red")
                return
            self.status_changed(f"Case {self.ref} is in progress again; the reason is in its audit trail.", "green")

        self.app.push_screen(NoteScreen(f"Case {self.ref} is complete: why take it back to in progress?",
                                        "", NoteScreen.REASON), given)

    def action_leave(self) -> None:
        """Back to the case list, whichever way the case was opened (the dashboard's evidence
        list, the palette): never to a screen the case was reached through."""
        from .home import HomeScreen

        self.remember_place()
        while len(self.app.screen_stack) > 1 and not isinstance(self.app.screen, HomeScreen):
            self.app.pop_screen()
