"""The case profile: the fields the framework defines, checked as you go.

For a case already held, each valid change is committed at once. A new case is created with
ctrl+s once its reference and required fields are given.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Label, Select, Static

from ... import services
from ...errors import HmipError
from ...services import check_ref, clean_profile, profile_problem


class ProfileScreen(Screen):
    """The case profile. Tab moves between fields; changes to a held case save themselves."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="save"),
        Binding("escape", "leave", "Back", id="leave"),
    ]

    def __init__(self, ref: str | None) -> None:
        super().__init__()
        self.ref = ref
        self.filling = True
        self.change_reason: str | None = None  # why a complete case's profile changes, this visit

    @property
    def framework(self):
        return self.app.framework

    def compose(self) -> ComposeResult:
        case = services.get_case(self.app.conn, self.ref) if self.ref else None
        profile = case.profile if case else {}
        yield Header()
        yield Static(f"Profile of case {self.ref}" if case else "New case: reference, inspector and profile",
                     id="where")
        with VerticalScroll(id="profile-form"):
            if case is None:
                with Horizontal(classes="field"):
                    yield Label("Case reference", classes="field-label")
                    yield Input(placeholder="e.g. X123456 (never a name)", id="ref", compact=True)
                with Horizontal(classes="field"):
                    yield Label("Inspector", classes="field-label")
                    yield Input(self.app.inspector, id="inspector", compact=True)
            for f in self.framework.profile:
                with Horizontal(classes="field"):
                    yield Label(f.label + (" *" if f.required else ""), classes="field-label")
                    if f.type == "choice":
                        yield Select([(o.label, o.id) for o in f.options], id=f"f-{f.id}",
                                     value=profile.get(f.id, Select.NULL), prompt="not recorded",
                                     compact=True)
                    else:
                        yield Input(profile.get(f.id, ""), id=f"f-{f.id}", compact=True,
                                    placeholder="YYYY-MM-DD" if f.type == "date" else "")
        yield Static(id="profile-status")
        yield Footer()

    def on_mount(self) -> None:
        self.filling = False
        self.check()
        # Keyboard first: the cursor starts in the first field to fill.
        first = next((w for w in self.query("#profile-form Input, #profile-form Select") if not w.disabled), None)
        if first is not None:
            first.focus()

    def gathered(self) -> dict:
        profile = {}
        for f in self.framework.profile:
            widget = self.query_one(f"#f-{f.id}")
            value = widget.value
            if value is Select.NULL or value is None:
                continue
            profile[f.id] = value.strip() if isinstance(value, str) else value
        return clean_profile(profile)

    def check(self) -> str | None:
        problem = profile_problem(self.framework, self.gathered(), by_label=True)
        status = self.query_one("#profile-status", Static)
        for f in self.framework.profile:  # fields that do not apply to this profile are greyed
            self.query_one(f"#f-{f.id}").disabled = not f.applies_to(self.gathered())
        untouched = not self.ref and not self.gathered()
        if untouched:  # a new, empty form: what to do, not yet what is wrong
            status.update("Fill in the case reference and the fields marked *; ctrl+s creates the case.")
        else:
            status.update(f"To fix: {problem}" if problem else
                          ("All fields valid; changes are saved as you make them." if self.ref
                           else "All fields valid: ctrl+s creates the case."))
        status.set_class(bool(problem) and not untouched, "-error")
        return problem

    def on_select_changed(self, event: Select.Changed) -> None:
        self.field_changed()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id and event.input.id.startswith("f-"):
            self.field_changed()

    def field_changed(self) -> None:
        if self.filling:
            return
        problem = self.check()
        if not self.ref or problem:
            return
        case = services.get_case(self.app.conn, self.ref)
        wanted = {k: v for k, v in self.gathered().items()
                  if self.framework.profile_field(k).applies_to(self.gathered())}
        if wanted == case.profile:
            return
        if case.status == "complete" and not case.locked and not self.change_reason:
            self.ask_reason(case)
            return
        self.save_changes(case, wanted)

    def save_changes(self, case, wanted: dict) -> None:
        """Each changed field through the same service as `hmip case set`, so a complete case's
        change carries its reason into the audit trail."""
        status = self.query_one("#profile-status", Static)
        changed = [f.id for f in self.framework.profile
                   if wanted.get(f.id) != case.profile.get(f.id) and f.id in wanted]
        changed += [f.id for f in self.framework.profile  # emptied by hand, not by not applying
                    if f.id in case.profile and f.id not in wanted and f.applies_to(wanted)]
        try:
            for field in changed:
                services.set_case_field(self.app.conn, self.framework, self.ref, field,
                                        wanted.get(field, ""), self.app.inspector, self.change_reason)
        except HmipError as exc:
            self.put_back(services.get_case(self.app.conn, self.ref).profile)
            status.update(f"Not saved: {exc}")
            status.add_class("-error")
            return
        status.update("Saved ✓" + (" (the reason is in the audit trail)" if self.change_reason else ""))

    def ask_reason(self, case) -> None:
        from .note import NoteScreen

        def given(reason: str | None) -> None:
            if reason and reason.strip():
                self.change_reason = reason.strip()
                self.field_changed()
                return
            self.put_back(case.profile)
            status = self.query_one("#profile-status", Static)
            status.update("Not changed: a complete case's profile changes only with a reason.")
            status.add_class("-error")

        self.app.push_screen(NoteScreen(f"Case {self.ref} is complete: why change its profile?", "",
                                        NoteScreen.REASON), given)

    def put_back(self, profile: dict) -> None:
        """Show the profile as held again, without taking that for a change."""
        with self.prevent(Select.Changed, Input.Changed):
            for f in self.framework.profile:
                widget = self.query_one(f"#f-{f.id}")
                if f.type == "choice":
                    widget.value = profile.get(f.id, Select.NULL)
                else:
                    widget.value = profile.get(f.id, "")
        self.check()

    def action_save(self) -> None:
        if self.ref:
            self.app.pop_screen()
            return
        status = self.query_one("#profile-status", Static)
        problem = self.check()
        if problem:  # said as the form labels it; the store would name the file's field ids
            status.update(f"Not saved: {problem}")
            status.add_class("-error")
            return
        try:
            ref = check_ref(self.query_one("#ref", Input).value, "case reference")
            inspector = self.query_one("#inspector", Input).value.strip() or None
            services.add_case(self.app.conn, self.framework, ref, inspector, self.gathered(), self.app.inspector)
        except HmipError as exc:
            status.update(f"Not saved: {exc}")
            status.add_class("-error")
            return
        self.app.pop_screen()
        self.app.notify(f"Case {ref} added.")
        self.app.open_case(ref)

    def action_leave(self) -> None:
        begun = not self.ref and (self.query_one("#ref", Input).value.strip() or self.gathered())
        if not begun:  # a held case's changes are saved as they are made
            self.app.pop_screen()
            return
        from .confirm import ConfirmScreen

        def answered(throw_away: bool) -> None:
            if throw_away:
                self.app.pop_screen()

        self.app.push_screen(ConfirmScreen("Throw away this new case? Nothing of it is saved yet."), answered)
