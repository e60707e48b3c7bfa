"""The `hmip` command. Sub-commands are scriptable; `hmip` alone opens the terminal app.

Every refusal is one sentence and exit status 1 (HmipError, or a full disk, a read-only place
or a busy lock, said as such); the terminal app is imported only when it is opened, so scripted
commands never pay for Textual. Arguments are checked before use (cli_checks.py).
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from pathlib import Path

import click

from . import __version__
from .cli_checks import (CODE, CODES, DATE, DB_PATH, INPUT_FILE, OUT_PATH, SEED, SHARE, Number,
                         check_arguments)
from .errors import HmipError
from .terminal_text import terminal_safe
from .words import count as _count
from .words import short


class HmipGroup(click.Group):
    """Turns HmipError, and the machine's own refusals, into one clear sentence and exit
    status 1, for every sub-command; a database the failed command created is taken away."""

    def parse_args(self, ctx, args):
        check_arguments(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except HmipError as exc:
            self._undo(ctx)
            raise click.ClickException(one_line(str(exc))) from None
        except BrokenPipeError:
            # The reader went away (`hmip audit | head`): what it read was printed; nothing is
            # wrong with the database, so nothing more is said. Later writes go nowhere.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(0)
        except (sqlite3.Error, OSError) as exc:
            from .failures import explain

            self._undo(ctx)
            sentence = explain(exc, getattr(ctx.obj, "db", None))
            if sentence is None:
                raise
            raise click.ClickException(one_line(sentence)) from None
        except BaseException:
            self._undo(ctx)
            raise

    @staticmethod
    def _undo(ctx) -> None:
        if isinstance(ctx.obj, Context):
            ctx.obj.discard_if_new()


def say(text: str, err: bool = False) -> None:
    """Print a line that may quote a file or an argument: never an escape sequence, one line."""
    click.echo(terminal_safe(text), err=err)


def one_line(message: str) -> str:
    """A refusal is one sentence on one line, even when it quotes a file's stray control bytes."""
    return terminal_safe(message)


class Context:
    def __init__(self, db: Path, inspector: str, db_named: bool = False):
        self.db = db
        self.inspector = inspector
        self.db_named = db_named  # given with --db or HMIP_DB, not the hidden default
        self._conn = None
        # Only init, demo and bundle import may make a new database file (and the app, for its
        # welcome screen); every other command refuses a missing one.
        self.creates = False
        self._made_from: Path | None = None  # set when this run made the file

    @property
    def conn(self):
        if self._conn is None:
            from .services import open_database

            missing = self.db
            while not missing.parent.exists() and missing.parent != missing:
                missing = missing.parent
            made = not self.db.exists()
            self._conn = open_database(self.db, create=self.creates)
            if made:
                self._made_from = missing
        return self._conn

    def discard_if_new(self) -> None:
        """After a refusal: remove the database this run made, if it still holds nothing."""
        if self._made_from is None:
            return
        from .services import remove_new_database

        self._conn.close()
        self._conn = None
        remove_new_database(self.db, self._made_from if self._made_from != self.db else None)
        self._made_from = None

    def framework(self):
        from .services import inspection_framework

        return inspection_framework(self.conn)


pass_ctx = click.make_pass_decorator(Context)


@click.group(cls=HmipGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", type=DB_PATH, default=None,
              help="The inspection database (default: HMIP_DB, else hmip.sqlite in your data folder).")
@click.option("--as", "inspector", type=CODE, default=None, metavar="CODE",
              help="Who is recording (default: HMIP_INSPECTOR, else your login name; in the app, if that "
                   "is not on the team, the member whose signing key this laptop holds).")
@click.version_option(__version__, prog_name="hmip")
@click.pass_context
def cli(ctx, db, inspector):
    """Assess sampled case files for a probation inspection, rate them and export the data."""
    import os

    from .checks import check_code
    from .paths import current_inspector, default_database
    from .services import check_database_path

    named = db is not None or bool(os.environ.get("HMIP_DB"))
    inspector_named = inspector is not None or bool(os.environ.get("HMIP_INSPECTOR"))
    try:  # the defaults, held to the rules --db and --as are held to
        db = db or check_database_path(default_database(), "HMIP_DB")
        inspector = inspector or check_code(current_inspector(), "HMIP_INSPECTOR")
    except HmipError as exc:
        raise click.ClickException(one_line(str(exc))) from None
    ctx.obj = Context(db, inspector, db_named=named)
    if ctx.invoked_subcommand is None:
        from .tui import run_app

        run_app(ctx.obj.db, ctx.obj.inspector, db_named=named, inspector_named=inspector_named)


@cli.command()
@click.option("--pdu", required=True, help="The Probation Delivery Unit inspected.")
@click.option("--region", default=None)
@click.option("--fieldwork-start", type=DATE, default=None, metavar="YYYY-MM-DD")
@click.option("--framework", "framework_id", default=None, help="Framework id (default: the newest shipped).")
@click.option("--framework-version", default=None)
@pass_ctx
def init(obj: Context, pdu, region, fieldwork_start, framework_id, framework_version):
    """Create the inspection this database will hold, with you (--as) as its lead."""
    from .framework import load_framework
    from .services import found_inspection

    obj.creates = True
    framework = load_framework(framework_id, framework_version)
    inspection = found_inspection(obj.conn, pdu=pdu, framework=framework, lead=obj.inspector,
                                  region=region, fieldwork_start=fieldwork_start)
    say(f"Created the inspection of {inspection.pdu} under {framework.id} {framework.version} "
        f"in {obj.db}, with {obj.inspector} as lead inspector.")


@cli.group()
def sample():
    """The sampled cases."""


@sample.command("import")
@click.argument("file", type=INPUT_FILE)
@click.option("--drop-personal-columns", is_flag=True,
              help="Leave out columns such as name or date of birth instead of refusing the file.")
@pass_ctx
def sample_import(obj: Context, file, drop_personal_columns):
    """Add the sampled cases of a CSV file, all or none; its inspectors join the team."""
    from .services import import_sample

    added = import_sample(obj.conn, file, obj.framework(), obj.inspector, drop_personal=drop_personal_columns)
    say(f"Added {_count(added, 'case')} from {file}.")


@cli.command()
@click.argument("case")
@click.argument("question")
@click.argument("value")
@click.option("--note", default=None, help="The evidence note.")
@click.option("--reason", default=None, help="Why, when changing a complete case.")
@pass_ctx
def answer(obj: Context, case, question, value, note, reason):
    """Record one answer: CASE QUESTION VALUE (e.g. X123456 2.2.1 yes)."""
    from .services import record_answer

    saved = record_answer(obj.conn, obj.framework(), case, question, value, note, obj.inspector,
                          reason=reason)
    asked = obj.framework().question(question)
    option = asked.type.option(saved.value)
    say(f"Saved case {case}, {question} {short(asked.text)}: {option.label if option else saved.value}.")


@cli.command()
@click.argument("case")
@click.argument("question")
@click.argument("text")
@click.option("--reason", default=None, help="Why, when changing a complete case.")
@pass_ctx
def note(obj: Context, case, question, text, reason):
    """Write the evidence note of an answer: CASE QUESTION TEXT."""
    from .services import record_note

    obj.framework().question(question)
    record_note(obj.conn, case, question, text, obj.inspector, reason)
    say(f"Saved the evidence note of {case} {question}.")


@cli.command()
@click.argument("case")
@click.argument("question")
@click.option("--reason", required=True, help="Why the note must go (kept in the history).")
@pass_ctx
def redact(obj: Context, case, question, reason):
    """Redact an answer's evidence note for good, every version of it (the lead only)."""
    from .services import redact_note

    obj.framework().question(question)
    n = redact_note(obj.conn, case, question, reason, obj.inspector)
    say(f"Redacted {_count(n, 'version')} of the note of {case} {question}: the text is gone "
        "from this database and from every bundle it writes; the history keeps that it was redacted.")


@cli.command()
@click.argument("standard")
@click.argument("rating")
@click.option("--evidence", required=True, help="Why the team reached this rating.")
@pass_ctx
def judge(obj: Context, standard, rating, evidence):
    """Record the team's judgement on a domain-one standard (e.g. 1.1 inadequate)."""
    from .services import record_judgement

    framework = obj.framework()
    record_judgement(obj.conn, framework, standard, rating, evidence, obj.inspector)
    say(f"Saved the judgement on {standard} {framework.standard(standard).title}: "
        f"{framework.band(rating).label}.")


@cli.group()
def bundle():
    """Case bundles: carry the inspection's history between laptops."""


PASSPHRASE_ENV = "HMIP_BUNDLE_PASSPHRASE"
RESTRICTED_NOTES = click.option(
    "--include-restricted-notes", is_flag=True,
    help="Include the evidence notes of limited-access cases (the lead; in a bundle, also the "
         "inspectors assigned to them, for their own cases).")


def _passphrase(confirm: bool) -> str:
    """From HMIP_BUNDLE_PASSPHRASE for scripts, else asked for without echo."""
    import os

    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV]
    if not sys.stdin.isatty():
        raise HmipError(f"the bundle's passphrase is needed: type it at a terminal, or set {PASSPHRASE_ENV}")
    return click.prompt("Bundle passphrase", hide_input=True, confirmation_prompt=confirm)


@bundle.command("export")
@click.option("--out", type=OUT_PATH, default=None,
              help="Where to write (default: beside the database, or exports/).")
@click.option("--encrypt", is_flag=True, help="Seal the bundle with a passphrase for transit.")
@click.option("--full", is_flag=True,
              help="The whole history, even what came from the lead (the lead's bundles always are).")
@click.option("--join", "join_file", is_flag=True,
              help="The lead only: a join file, from which a new laptop joins a large inspection in seconds.")
@RESTRICTED_NOTES
@pass_ctx
def bundle_export(obj: Context, out, encrypt, full, include_restricted_notes, join_file):
    """Sign what you recorded since the last export, and write the history to a bundle.

    The lead's bundle holds everything: a new laptop joins from it. An inspector's holds what the
    lead does not have yet, unless --full."""
    from .services import export_bundle, export_join_file

    if join_file:
        if encrypt or include_restricted_notes:
            raise HmipError("--join writes a join file, which is never sealed and never carries the notes of "
                            "limited-access cases: leave out --encrypt and --include-restricted-notes")
        out = _out(obj, out, f"-{obj.inspector}.hmip-join")
        data = export_join_file(obj.conn, out, obj.inspector)
        say(f"Wrote a join file of {_count(data['entries'], 'history entry', 'history entries')} "
            f"({_count(data['cases'], 'case')}) to {out.resolve()}"
            + (f"; the evidence notes of {_count(data['withheld'], 'limited-access case')} were left out."
               if data["withheld"] else ".")
            + " A new laptop joins with hmip bundle import FILE.")
        return
    out = _out(obj, out, f"-{obj.inspector}.hmip.json" + (".sealed" if encrypt else ""))
    data = export_bundle(obj.conn, out, obj.inspector, include_restricted_notes=include_restricted_notes,
                         passphrase=_passphrase(confirm=True) if encrypt else None, full=full or None)
    answers = sum(len(c["answers"]) for c in data["cases"])
    withheld = sum(1 for c in data["cases"] if c.get("notes_withheld"))
    say(f"Wrote {_count(len(data['history']['entries']), 'history entry', 'history entries')} "
        f"({_count(len(data['cases']), 'case')}, {_count(answers, 'answer')} as they stand) "
        f"to {out.resolve()}"
        + (", sealed with a passphrase" if encrypt else "")
        + (f"; the evidence notes of {_count(withheld, 'limited-access case')} were left out."
           if withheld else "."))


@bundle.command("import")
@click.argument("files", nargs=-1, required=True, type=INPUT_FILE)
@pass_ctx
def bundle_import(obj: Context, files):
    """Merge bundles into this database: all checked first, then all or nothing.

    Asks for a sealed bundle's passphrase. Given the lead's join file (bundle export --join), a
    new laptop's empty database joins the inspection from it."""
    from .services import import_bundles

    obj.creates = True
    summaries = import_bundles(obj.conn, list(files), obj.inspector,
                               passphrase=lambda: _passphrase(confirm=False))
    _say_imported(obj, summaries)


def _say_imported(obj: Context, summaries) -> None:
    """What each bundle (or a sync's pull) brought: the same lines for both."""
    for s in summaries:
        m = s.merged
        for code, fingerprint, relayed_by in m.pinned:
            say(f"Pinned {code}'s key {fingerprint} (first seen in {s.source.name})."
                + (f" It came in {relayed_by}'s bundle, not {code}'s own or the lead's: check the "
                   f"fingerprint with {code} (hmip team on their laptop)." if relayed_by else ""))
        parts = [f"{_count(m.entries_added, 'history entry', 'history entries')} added",
                 f"{m.entries_held} already held"]
        if m.cases_added:
            parts.append(f"{_count(m.cases_added, 'case')} new")
        if m.conflicts_opened:
            parts.append(f"{_count(m.conflicts_opened, 'conflict')} to settle (hmip moderation status)")
        if m.conflicts_closed:
            parts.append(f"{_count(m.conflicts_closed, 'conflict')} settled")
        if m.notes_not_kept:
            parts.append(f"{_count(m.notes_not_kept, 'note')} of limited-access cases {obj.inspector} "
                         "may not open not kept")
        say(f"Imported {s.source}: " + ", ".join(parts)
            + (", inspection created." if m.created_inspection else "."))
        if not s.signed:
            say(f"  {s.source.name} is an unsigned hmip-bundle/1 file: its answers merged, and no "
                "role was taken from it.")
    from .services import is_lead, team_members

    if summaries and summaries[0].merged.created_inspection and not any(
            m["role"] == "lead" for m in team_members(obj.conn)):
        say("No one is lead of this copy: the lead's signed bundle brings the team, or make "
            f"yourself lead of it with hmip team add {obj.inspector} --role lead.")
    elif summaries and summaries[0].merged.created_inspection and not is_lead(obj.conn, obj.inspector):
        say(f"Joined the inspection as {obj.inspector}; hmip team lists who is who.")


@cli.command()
@click.argument("target")
@click.option("--inspection", "inspection_uid", default=None, metavar="UID",
              help="Into an empty database: join this inspection (its uid, as hmip team shows it).")
@pass_ctx
def sync(obj: Context, target, inspection_uid):
    """Push what this laptop recorded and pull the team's: with a team server (its URL, from
    hmip server add) or a shared folder (bundles). Safe to run again after a cut connection."""
    from .services import sync as sync_with

    obj.creates = inspection_uid is not None
    summary = sync_with(obj.conn, target, obj.inspector, inspection_uid)
    if summary.wrote is not None:
        say(f"Wrote this laptop's bundle to {summary.wrote}.")
    elif summary.pushed_entries or summary.pushed_batches:
        say(f"Sent {_count(summary.pushed_entries, 'history entry', 'history entries')} "
            f"({_count(summary.pushed_batches, 'signed batch', 'signed batches')}) to {summary.where}.")
    _say_imported(obj, summary.imported)
    for signer, why in summary.left_out.items():
        say(f"Left out what {signer} signed, as every laptop would refuse it ({why}); the team server's "
            "administrator removes it (docs/team-server.md).", err=True)
    for path, why in summary.files_left_out.items():
        why = why.removeprefix(f"{path}: ")
        say(f"Left out {path.name}, which could not be imported ({why}); the folder's other bundles "
            "were.", err=True)
    if not summary.imported and not summary.wrote and not summary.pushed_batches and not summary.left_out \
            and not summary.files_left_out:
        say(f"Nothing new either way with {summary.where}.")


@cli.group()
def server():
    """The team server on PostgreSQL (docs/team-server.md): the administrator's commands."""


@server.command("init")
@click.argument("url")
def server_init(url):
    """Create, or bring up to date, the team store in an existing PostgreSQL database (URL: an
    administrator's, e.g. postgresql://admin@host/db?sslmode=verify-full). No laptop database."""
    from .services import init_server, server_where

    init_server(url)
    say(f"The team store on {server_where(url)} is ready (schema hmip).")


@server.command("add")
@click.argument("url")
@click.argument("code", type=CODE)
@click.option("--analyst", is_flag=True, help="A login for an analyst: the views of answers and counts only.")
def server_add(url, code, analyst):
    """Make the login of inspector CODE (a new password if it has one) and print, last, the URL
    their laptop syncs with. The URL holds the password: give it to them as a secret."""
    from .services import add_server_login

    login_url = add_server_login(url, code, analyst=analyst)
    if analyst:
        say(f"{code} may now read the analysts' views (hmip.answers_now, hmip.answer_counts), and nothing "
            "else; the URL holds the password, so pass it on as a secret:")
    else:
        say(f"{code} may now sync; their URL holds their password, so pass it on as a secret:")
    click.echo(login_url)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the ratings page as JSON.")
@pass_ctx
def rate(obj: Context, as_json):
    """Print the ratings page: key-question percentages, ratings, score and overall rating."""
    from .services import current_ratings

    ratings = current_ratings(obj.conn)
    if as_json:
        click.echo(json.dumps(ratings.as_json(), indent=2))
    else:
        from .report_table import print_ratings  # rich: only for the table

        print_ratings(ratings, obj.framework())


@cli.command()
@click.argument("question")
@click.option("--value", type=click.Choice(["yes", "no"], case_sensitive=False), default=None,
              help="Only the cases counted Yes, or only those counted No.")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@pass_ctx
def evidence(obj: Context, question, value, as_json):
    """The cases behind a question's figure, with their evidence notes (e.g. 2.2.1 --value no).

    Exactly the cases `hmip rate` counts; a case you may not open is listed as withheld."""
    from .rating import whole_percent
    from .services import evidence as cases_behind

    found = cases_behind(obj.conn, obj.framework(), question, obj.inspector,
                         value.lower() if value else None)
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    say(f"{found['question']} {found['text']}")
    percent = "-" if found["percent"] is None else f"{whole_percent(found['percent'])}%"
    figure = (f"{found['yes']} Yes, {found['no']} No of {_count(found['relevant'], 'relevant case')} "
              f"({percent} Yes)")
    if value:
        say(f"{_count(found['count'], 'case')} counted {value.capitalize()}: {figure}.")
    else:
        say(f"{figure}.")
    for c in found["cases"]:
        if c.get("withheld"):
            say(f"  {c['ref']}  withheld: a case {obj.inspector} may not open")
            continue
        say(f"  {c['ref']}  {c['answer']}  ({c['inspector'] or 'no inspector'})")
        note = c["note"] or ("(note withheld or redacted)" if c["note_withheld"] else "(no note)")
        say(f"      {note}")


@cli.command()
@click.argument("words", nargs=-1, required=True)
@click.option("--limit", type=Number(1, 100_000, whole=True), default=50, show_default=True,
              help="Show at most this many matches.")
@click.option("--json", "as_json", is_flag=True, help="Print the matches as JSON.")
@pass_ctx
def search(obj: Context, words, limit, as_json):
    """Find the evidence notes, judgements and reasons holding every one of WORDS.

    Words as typed, in any order (visit finds visited too; safegu* finds safeguarding); cases you
    may not open are left out."""
    from .services import search_evidence

    text = " ".join(words)
    found = search_evidence(obj.conn, obj.framework(), text, obj.inspector, int(limit))
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    if not found["count"]:
        say(f"No evidence you may see holds {text}.")
        return
    more = f" (the first {found['shown']}: --limit shows more)" if found["shown"] < found["count"] else ""
    say(f"{_count(found['count'], 'match', 'matches')} for {text}{more}:")
    for m in found["matches"]:
        snippet = m["snippet"]
        for start, end in reversed(m["marks"]):
            snippet = f"{snippet[:start]}[{snippet[start:end]}]{snippet[end:]}"
        say(f"  {m['case'] or 'inspection'}  {m['question']}  {m['label']}")
        say(f"      {snippet}")


@cli.command()
@click.option("--repair", is_flag=True, help="Rebuild counts found wrong from the answers.")
@pass_ctx
def check(obj: Context, repair):
    """Check the database whole: SQLite's integrity check, and the kept tallies against a recount."""
    from .services import check_inspection

    result = check_inspection(obj.conn, repair=repair)
    if result.problems:
        for problem in result.problems:
            say(f"problem: {problem}")
        n = len(result.problems)
        history = any("unlike their history" in p or "its history" in p or "has no history" in p
                      for p in result.problems)
        fix = ("; answers unlike their history mean the file was edited behind hmip's back: restore "
               "a backup (hmip restore)" if history else
               "" if repair else "; hmip check --repair rebuilds the counts from the answers")
        raise HmipError(f"{obj.db}: {n} problem{'' if n == 1 else 's'} found{fix}")
    done = "rebuilt from, and now equal to," if result.repaired else "equal to"
    say(f"{obj.db}: sound; its tallies are {done} a recount of its {_count(result.answers, 'answer')}")


@cli.group()
def export():
    """Exports for readers: the data workbook, and a long CSV for analysts."""


def _default_export(obj: Context, suffix: str) -> Path:
    from .services import default_export_path

    return default_export_path(obj.conn, obj.db, obj.db_named, suffix)


def _out(obj: Context, out: Path | None, suffix: str) -> Path:
    """Where an export goes: --out, or the default; never over the database or its backups."""
    from .services import check_output_path

    return check_output_path(out or _default_export(obj, suffix), database=obj.db)


@export.command("workbook")
@click.option("--out", type=OUT_PATH, default=None,
              help="Where to write (default: beside the database, or exports/).")
@RESTRICTED_NOTES
@pass_ctx
def export_workbook(obj: Context, out, include_restricted_notes):
    """Write the data workbook (Excel): ratings, key questions, prompts, breakdowns, cases."""
    from .services import export_workbook as write

    out = _out(obj, out, ".xlsx")
    written = write(obj.conn, out, obj.inspector, include_restricted_notes=include_restricted_notes)
    say(f"Wrote the data workbook of {_count(written['cases'], 'case')} to {Path(out).resolve()}.")


@export.command("csv")
@click.option("--out", type=OUT_PATH, default=None,
              help="Where to write (default: beside the database, or exports/).")
@RESTRICTED_NOTES
@pass_ctx
def export_csv(obj: Context, out, include_restricted_notes):
    """Write every answer as one long CSV, with the case profile on each row."""
    from .services import export_answers_csv

    out = _out(obj, out, "-answers.csv")
    rows = export_answers_csv(obj.conn, out, obj.inspector, include_restricted_notes=include_restricted_notes)
    say(f"Wrote {_count(rows, 'answer')} to {Path(out).resolve()}.")


@cli.command()
@click.option("--cases", type=Number(1, 100_000, whole=True), default=60, show_default=True,
              help="How many synthetic cases.")
@pass_ctx
def demo(obj: Context, cases):
    """Create a demo inspection of synthetic cases in an empty database, with you as lead."""
    from .framework import load_framework
    from .services import create_demo

    obj.creates = True
    added = create_demo(obj.conn, load_framework(), cases, lead=obj.inspector)
    say(f"Created a demo inspection of {_count(added, 'synthetic case')} in {obj.db}, "
        f"with {obj.inspector} as lead inspector.")


@cli.group()
def case():
    """Cases: their profile and status, and who may open a limited-access case."""


@case.command("grant")
@click.argument("ref")
@click.argument("inspector", type=CODE)
@pass_ctx
def case_grant(obj: Context, ref, inspector):
    """Assign another inspector to a limited-access case (the lead inspector only)."""
    from .services import grant_access

    grant_access(obj.conn, ref, inspector, obj.inspector)
    say(f"{inspector} can now open case {ref}.")


@case.command("set")
@click.argument("ref")
@click.argument("field")
@click.argument("value")
@click.option("--reason", default=None, help="Why, when changing a complete case (kept in its audit trail).")
@pass_ctx
def case_set(obj: Context, ref, field, value, reason):
    """Change a profile field (e.g. sex female; "" empties it), or the status (complete, or back
    to in_progress). A complete case changes only with a reason; hmip audit REF shows it."""
    from .services import set_case_field

    done = set_case_field(obj.conn, obj.framework(), ref, field, value, obj.inspector, reason)
    if not done.changed:
        say(f"Case {ref}: {done.label.lower()} is already {done.new or 'not recorded'}; nothing changed.")
        return
    cleared = (f"; {', '.join(done.cleared)} no longer {'applies' if len(done.cleared) == 1 else 'apply'}"
               " and was emptied" if done.cleared else "")
    say(f"Case {ref}: {done.label.lower()} is now {done.new or 'not recorded'} "
        f"(was {done.old or 'not recorded'}){cleared}.")


@cli.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print the team as JSON.")
@click.pass_context
def team(ctx, as_json):
    """The team: codes, roles and the keys this inspection knows (hmip team alone lists it)."""
    if ctx.invoked_subcommand is not None:
        return
    from .services import team_members

    obj = ctx.find_object(Context)
    obj.framework()
    members = team_members(obj.conn)
    if as_json:
        click.echo(json.dumps(members, indent=2))
        return
    if not members:
        say("No team yet: the lead's bundle brings it.")
    for m in members:
        say(f"{m['code']:<12} {m['role']:<10} key {m['key'] or 'not seen yet'}")
    from .services import get_inspection

    inspection = get_inspection(obj.conn)
    if inspection is not None:  # what a new laptop joins by: hmip sync TARGET --inspection UID
        say(f"Inspection {inspection.uid}")


@team.command("add")
@click.argument("code", type=CODE)
@click.option("--role", type=click.Choice(["inspector", "lead"]), default="inspector", show_default=True)
@pass_ctx
def team_add(obj: Context, code, role):
    """Add an inspector to the team, or change their role (the lead only)."""
    from .services import add_to_team

    obj.framework()
    changed = add_to_team(obj.conn, code, role, obj.inspector)
    say(f"{code} is {'now' if changed else 'already'} on the team as {role}.")


@team.command("rekey")
@click.argument("code", type=CODE)
@click.argument("bundle_file", required=False, type=INPUT_FILE)
@pass_ctx
def team_rekey(obj: Context, code, bundle_file):
    """Re-pin CODE's key for a new or lost laptop (the lead only): to the key that signed
    BUNDLE_FILE, or, with none, to the next key seen signing for CODE."""
    from .services import rekey

    obj.framework()
    fingerprint = rekey(obj.conn, code, obj.inspector, bundle_file, passphrase=lambda: _passphrase(confirm=False))
    say(f"Re-pinned {code}'s key to {fingerprint}." if fingerprint else
        f"Unpinned {code}'s key: the next key seen signing for {code} will be pinned.")


@cli.group()
def moderation():
    """Moderation: conflicts, second readings, settling, locking."""


@moderation.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print it as JSON.")
@pass_ctx
def moderation_status_cmd(obj: Context, as_json):
    """Open conflicts, disagreements, cases awaiting second reading, and agreement figures."""
    from .services import moderation_status

    status = moderation_status(obj.conn, obj.framework(), obj.inspector)
    if as_json:
        click.echo(json.dumps(status, indent=2))
        return
    say(f"Open conflicts: {status['open_conflicts']}")
    for c in status["conflicts"]:
        where = f"#{c['id']} {c['case'] or 'standard'} {c.get('question', '')}".rstrip()
        if c.get("withheld"):
            say(f"  {where}: a limited-access case you may not open")
        else:
            said = "; ".join(f"{h['value']} ({h['by'] or 'unknown'})" for h in c["heads"])
            say(f"  {where} ({c['kind']}): {said}")
    say(f"Second readings: {len(status['second_readings'])}, awaiting "
        f"{status['awaiting_second_reading']}")
    say(f"Disagreements to settle: {status['disagreements']}")
    for d in status["disagreement_list"]:
        say(f"  {d['case']} {d['question']}: " + ("a limited-access case you may not open"
                                                   if d.get("withheld") else
                                                   f"first {d['first']}, second {d['second']}"))
    for sid, a in status["agreement"]["standards"].items():
        if a["n"]:
            kappa = "undefined" if a["kappa"] is None else f"{a['kappa']:.2f}"
            say(f"Agreement {sid}: {a['agreed']} of {a['n']} ({a['percent']:.0f}%), kappa {kappa}, "
                f"PABAK {a['pabak']:.2f}, AC1 {a['ac1']:.2f}")


@moderation.command("pick")
@click.option("--readers", type=CODES, required=True, help="Second readers' codes, comma-separated.")
@click.option("--share", type=SHARE, default=None,
              help="Share of the other cases, at random, 0 to 1 (default: the framework's).")
@click.option("--seed", type=SEED, default=1, show_default=True, help="Seed for the random share.")
@pass_ctx
def moderation_pick(obj: Context, readers, share, seed):
    """Pick cases for second reading: those the framework always picks, plus a random share."""
    from .services import pick_second_readings

    picked = pick_second_readings(obj.conn, obj.framework(), readers, share, seed, obj.inspector)
    for ref, reader in picked.assigned:
        say(f"{ref} -> {reader}")
    say(f"Picked {_count(len(picked.assigned), 'case')} for second reading.")
    if picked.not_ready:
        say(f"Not yet ({_count(len(picked.not_ready), 'case')} with key questions unanswered): "
            + ", ".join(picked.not_ready))
    if picked.no_reader:
        say(f"No reader may read {', '.join(picked.no_reader)} (their own case, or limited access).")


@moderation.command("assign")
@click.argument("case")
@click.argument("reader", type=CODE)
@pass_ctx
def moderation_assign(obj: Context, case, reader):
    """Pick one case for second reading by READER (the lead only)."""
    from .services import assign_second_reading

    assign_second_reading(obj.conn, obj.framework(), case, reader, obj.inspector)
    say(f"Case {case} is with {reader} for second reading.")


@moderation.command("read")
@click.argument("case")
@click.argument("question")
@click.argument("value")
@click.option("--note", default=None)
@pass_ctx
def moderation_read(obj: Context, case, question, value, note):
    """As the second reader, judge one key question blind."""
    from .services import record_second_answer

    record_second_answer(obj.conn, obj.framework(), case, question, value, note, obj.inspector)
    say(f"Saved the second reading of {case} {question} = {value}.")


@moderation.command("finish")
@click.argument("case")
@pass_ctx
def moderation_finish(obj: Context, case):
    """Finish a second reading; the two readings can then be compared."""
    from .services import agreement_pairs, finish_second_reading

    finish_second_reading(obj.conn, obj.framework(), case, obj.inspector)
    differ = [p for p in agreement_pairs(obj.conn, obj.framework(), case) if not p.agree]
    say(f"Finished the second reading of {case}: "
        f"{_count(len(differ), 'key question')} judged differently.")


@moderation.command("settle")
@click.argument("case_or_conflict")
@click.argument("question_or_value")
@click.argument("value", required=False)
@click.option("--reason", required=True, help="Why this is the final judgement.")
@click.option("--note", default=None, help="The evidence note to keep (default: the one given with that value).")
@pass_ctx
def moderation_settle(obj: Context, case_or_conflict, question_or_value, value, reason, note):
    """Settle a conflict (ID VALUE) or a disagreement (CASE QUESTION VALUE), with a reason."""
    from .services import settle_conflict, settle_disagreement

    if value is None:
        number = case_or_conflict.lstrip("#")
        if not (number.isascii() and number.isdigit()):
            raise HmipError("give a conflict number and a value, or a case, a question and a value")
        if len(number) > 18:  # past any integer SQLite holds: no such conflict
            raise HmipError(f"no conflict {number[:40]}{'...' if len(number) > 40 else ''}: "
                            "hmip moderation status lists the open ones")
        settled = settle_conflict(obj.conn, obj.framework(), int(number), question_or_value,
                                  reason, obj.inspector, note=note)
        say(f"Settled conflict #{settled.id} ({settled.case_ref or 'standard'} {settled.field}): "
            f"{question_or_value}.")
    else:
        settle_disagreement(obj.conn, obj.framework(), case_or_conflict, question_or_value, value,
                            reason, obj.inspector)
        say(f"Settled {case_or_conflict} {question_or_value}: {value}.")


@moderation.command("lock")
@click.argument("case")
@pass_ctx
def moderation_lock(obj: Context, case):
    """Mark a complete case moderated: locked against further change (the lead only)."""
    from .services import lock_case

    lock_case(obj.conn, obj.framework(), case, obj.inspector)
    say(f"Case {case} is moderated and locked.")


@moderation.command("reopen")
@click.argument("case")
@click.option("--reason", required=True)
@pass_ctx
def moderation_reopen(obj: Context, case, reason):
    """Reopen a moderated case, with a reason (the lead only; in the history)."""
    from .services import reopen_case

    reopen_case(obj.conn, case, reason, obj.inspector)
    say(f"Case {case} is reopened.")


@cli.command()
@click.argument("case", required=False)
@pass_ctx
def audit(obj: Context, case):
    """The audit trail: the history of the inspection (or one case), oldest first."""
    from .services import audit_trail

    obj.framework()
    shown = audit_trail(obj.conn, case, obj.inspector)
    for e in shown.lines:
        change = f"{e.old_value or '-'} -> {e.new_value}" if e.new_value else ""
        parts = [e.at, e.by or "-", e.kind, e.case_ref or "", e.question or "", change,
                 f"reason: {e.reason}" if e.reason else "", e.detail or ""]
        say(one_line("  ".join(p for p in parts if p)))
    if shown.withheld:
        say(f"({_count(shown.withheld, 'entry', 'entries')} of limited-access cases "
            f"{obj.inspector} may not open are not shown.)")


@cli.command()
@pass_ctx
def backup(obj: Context):
    """Copy the database now into backups/ beside it (SQLite's backup API)."""
    from .services import backup_now

    made = backup_now(obj.conn, obj.db)
    say(f"Backed up {obj.db} to {Path(made).resolve()}.")


@cli.command()
@click.argument("file", type=INPUT_FILE)
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
@pass_ctx
def restore(obj: Context, file, yes):
    """Replace the database with a backup, after checking the backup's integrity."""
    from .services import restore_backup

    if not yes:
        if not sys.stdin.isatty():
            raise HmipError(f"restore replaces {obj.db}: confirm it with --yes (nothing was restored)")
        click.confirm(terminal_safe(f"Replace {obj.db} with {file}? The current file is kept in "
                                    "backups/ as it is."), abort=True)
    kept = restore_backup(file, obj.db, obj.inspector)
    say(f"Restored {obj.db} from {file}." + (f" The replaced database was kept as {kept}." if kept else ""))


@cli.group()
def framework():
    """Inspection frameworks (schema/*.yaml)."""


@framework.command("check")
@click.argument("file", type=INPUT_FILE)
def framework_check(file):
    """Validate a framework file; name the field of the first problem."""
    from .framework import load_framework_file

    fw = load_framework_file(file)
    kqs = sum(len(s.key_questions) for s in fw.standards)
    say(f"{file}: framework {fw.id} {fw.version} is valid: {len(fw.standards)} standards, "
        f"{kqs} key questions, {len(fw.questions)} questions in all.")




def main() -> None:
    import signal

    def stop(signum, frame):
        # As Ctrl+C does: every unfinished export and backup cleans up after itself on the way out.
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop)
    cli(prog_name="hmip")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
