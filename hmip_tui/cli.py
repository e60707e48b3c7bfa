"""The `hmip` command. Sub-commands are scriptable; `hmip` alone opens the terminal app.

Every refusal is one sentence and exit status 1 (HmipError, or a full disk, a read-only place
or a busy lock, said as such); the terminal app is imported only when it is opened, so scripted
commands never pay for Textual. Arguments are checked before use (cli_checks.py).
"""

from __future__ import annotations

import json
import sqlite3
import sys
from datetime import date
from pathlib import Path

import click

from . import __version__
from .cli_checks import (CODE, CODES, DATE, DB_PATH, INPUT_FILE, OUT_PATH, SEED, SHARE, Number,
                         check_arguments)
from .errors import HmipError
from .terminal_text import terminal_safe


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


def one_line(message: str) -> str:
    """A refusal is one sentence on one line, even when it quotes a file's stray control bytes."""
    return terminal_safe(message)


class Context:
    def __init__(self, db: Path, inspector: str):
        self.db = db
        self.inspector = inspector
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
        from .store.database import remove_new_database

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
              help="Who is recording (default: HMIP_INSPECTOR, else your login name).")
@click.version_option(__version__, prog_name="hmip")
@click.pass_context
def cli(ctx, db, inspector):
    """Assess sampled case files for a probation inspection, rate them and export the data."""
    from .checks import check_code
    from .paths import current_inspector, default_database
    from .store.database import check_database_path

    try:  # the defaults, held to the rules --db and --as are held to
        db = db or check_database_path(default_database(), "HMIP_DB")
        inspector = inspector or check_code(current_inspector(), "HMIP_INSPECTOR")
    except HmipError as exc:
        raise click.ClickException(one_line(str(exc))) from None
    ctx.obj = Context(db, inspector)
    if ctx.invoked_subcommand is None:
        from .tui import run_app

        run_app(ctx.obj.db, ctx.obj.inspector)


@cli.command()
@click.option("--pdu", required=True, help="The Probation Delivery Unit inspected.")
@click.option("--region", default=None)
@click.option("--fieldwork-start", type=DATE, default=None, metavar="YYYY-MM-DD")
@click.option("--framework", "framework_id", default=None, help="Framework id (default: the newest shipped).")
@click.option("--framework-version", default=None)
@pass_ctx
def init(obj: Context, pdu, region, fieldwork_start, framework_id, framework_version):
    """Create the inspection this database will hold."""
    from . import store
    from .framework import load_framework

    obj.creates = True
    framework = load_framework(framework_id, framework_version)
    with store.transaction(obj.conn):
        inspection = store.create_inspection(obj.conn, pdu=pdu, framework=framework, region=region,
                                             fieldwork_start=fieldwork_start)
        store.add_inspector(obj.conn, obj.inspector, "lead")
    click.echo(terminal_safe(f"Created the inspection of {inspection.pdu} under {framework.id} "
                             f"{framework.version} in {obj.db}, with {obj.inspector} as lead inspector."))


@cli.group()
def sample():
    """The sampled cases."""


@sample.command("import")
@click.argument("file", type=INPUT_FILE)
@click.option("--drop-personal-columns", is_flag=True,
              help="Leave out columns such as name or date of birth instead of refusing the file.")
@pass_ctx
def sample_import(obj: Context, file, drop_personal_columns):
    """Add the sampled cases of a CSV file, all or none."""
    from .exchange.sample_csv import import_sample

    added = import_sample(obj.conn, file, obj.framework(), drop_personal=drop_personal_columns)
    click.echo(terminal_safe(f"Added {added} cases from {file}."))


@cli.command()
@click.argument("case")
@click.argument("question")
@click.argument("value")
@click.option("--note", default=None, help="The evidence note.")
@click.option("--reason", default=None, help="Why, when changing a complete case.")
@pass_ctx
def answer(obj: Context, case, question, value, note, reason):
    """Record one answer: CASE QUESTION VALUE (e.g. X123456 2.2.1 yes)."""
    from .store import record_answer

    saved = record_answer(obj.conn, obj.framework(), case, question, value, note, obj.inspector,
                          reason=reason)
    click.echo(terminal_safe(f"Saved {case} {question} = {saved.value}."))


@cli.command()
@click.argument("standard")
@click.argument("rating")
@click.option("--evidence", required=True, help="Why the team reached this rating.")
@pass_ctx
def judge(obj: Context, standard, rating, evidence):
    """Record the team's judgement on a domain-one standard (e.g. 1.1 inadequate)."""
    from .store import record_judgement

    record_judgement(obj.conn, obj.framework(), standard, rating, evidence, obj.inspector)
    click.echo(terminal_safe(f"Saved standard {standard}: {rating}."))


@cli.group()
def bundle():
    """Case bundles: carry cases and answers between laptops."""


PASSPHRASE_ENV = "HMIP_BUNDLE_PASSPHRASE"
RESTRICTED_NOTES = click.option(
    "--include-restricted-notes", is_flag=True,
    help="Include the evidence notes of limited-access cases (the lead inspector only).")


def _passphrase(confirm: bool) -> str:
    """From HMIP_BUNDLE_PASSPHRASE for scripts, else asked for without echo."""
    import os

    if os.environ.get(PASSPHRASE_ENV):
        from .checks import check_text

        return check_text(os.environ[PASSPHRASE_ENV], PASSPHRASE_ENV)
    if not sys.stdin.isatty():
        raise HmipError(f"the bundle's passphrase is needed: type it at a terminal, or set {PASSPHRASE_ENV}")
    return click.prompt("Bundle passphrase", hide_input=True, confirmation_prompt=confirm)


def _restricted_notes_allowed(obj: Context, asked: bool) -> bool:
    from .store.access import is_lead

    if asked and not is_lead(obj.conn, obj.inspector):
        raise HmipError(f"only the lead inspector can include the notes of limited-access cases "
                        f"({obj.inspector} is not lead)")
    return asked


@bundle.command("export")
@click.option("--out", type=OUT_PATH, default=None,
              help="Where to write (default: exports/<pdu>-<date>.hmip.json).")
@click.option("--encrypt", is_flag=True, help="Seal the bundle with a passphrase for transit.")
@RESTRICTED_NOTES
@pass_ctx
def bundle_export(obj: Context, out, encrypt, include_restricted_notes):
    """Write every case and answer of the inspection to a bundle file."""
    from .exchange.bundle import export_bundle

    include = _restricted_notes_allowed(obj, include_restricted_notes)
    out = _out(obj, out, ".hmip.json" + (".sealed" if encrypt else ""))
    data = export_bundle(obj.conn, out, include_restricted_notes=include, exported_by=obj.inspector,
                         passphrase=_passphrase(confirm=True) if encrypt else None)
    answers = sum(len(c["answers"]) for c in data["cases"])
    withheld = sum(1 for c in data["cases"] if c.get("notes_withheld"))
    click.echo(terminal_safe(
        f"Wrote {len(data['cases'])} cases and {answers} answers to {out}"
        + (", sealed with a passphrase" if encrypt else "")
        + (f"; the evidence notes of {withheld} limited-access cases were left out." if withheld else ".")))


@bundle.command("import")
@click.argument("files", nargs=-1, required=True, type=INPUT_FILE)
@pass_ctx
def bundle_import(obj: Context, files):
    """Merge bundles into this database: all checked first, then all or nothing.

    Asks for a sealed bundle's passphrase."""
    from .exchange.bundle import import_bundles

    obj.creates = True
    summaries = import_bundles(obj.conn, list(files), passphrase=lambda: _passphrase(confirm=False))
    for file, s in zip(files, summaries):
        click.echo(terminal_safe(
            f"Imported {file}: {s.cases_added} cases and {s.answers_added} answers added, "
            f"{s.answers_unchanged} answers already held"
            + (f", {s.conflicts_added} differing answers kept as conflicts to settle "
               "(hmip moderation status)" if s.conflicts_added else "")
            + (", inspection created." if s.created_inspection else ".")))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the ratings page as JSON.")
@pass_ctx
def rate(obj: Context, as_json):
    """Print the ratings page: key-question percentages, ratings, score and overall rating."""
    from .report_table import print_ratings
    from .services import current_ratings

    ratings = current_ratings(obj.conn)
    if as_json:
        click.echo(json.dumps(ratings.as_json(), indent=2))
    else:
        print_ratings(ratings, obj.framework())


@cli.group()
def export():
    """Exports for readers: the data workbook, and a long CSV for analysts."""


def _default_export(obj: Context, suffix: str) -> Path:
    from .paths import exports_dir
    from .store import require_inspection

    return exports_dir() / f"{_slug(require_inspection(obj.conn).pdu)}-{date.today()}{suffix}"


def _out(obj: Context, out: Path | None, suffix: str) -> Path:
    """Where an export goes: --out, or the default; never over the database or its backups."""
    from .exchange.files import check_output_path

    return check_output_path(out or _default_export(obj, suffix), database=obj.db)


@export.command("workbook")
@click.option("--out", type=OUT_PATH, default=None,
              help="Where to write (default: exports/<pdu>-<date>.xlsx).")
@RESTRICTED_NOTES
@pass_ctx
def export_workbook(obj: Context, out, include_restricted_notes):
    """Write the data workbook (Excel): ratings, key questions, prompts, breakdowns, cases."""
    from .exchange.workbook import write_workbook

    include = _restricted_notes_allowed(obj, include_restricted_notes)
    out = _out(obj, out, ".xlsx")
    written = write_workbook(obj.conn, out, include_restricted_notes=include)
    click.echo(terminal_safe(f"Wrote the data workbook of {written['cases']} cases to {out}."))


@export.command("csv")
@click.option("--out", type=OUT_PATH, default=None,
              help="Where to write (default: exports/<pdu>-<date>-answers.csv).")
@RESTRICTED_NOTES
@pass_ctx
def export_csv(obj: Context, out, include_restricted_notes):
    """Write every answer as one long CSV, with the case profile on each row."""
    from .exchange.answers_csv import write_answers_csv

    include = _restricted_notes_allowed(obj, include_restricted_notes)
    out = _out(obj, out, "-answers.csv")
    rows = write_answers_csv(obj.conn, out, include_restricted_notes=include)
    click.echo(terminal_safe(f"Wrote {rows} answers to {out}."))


@cli.command()
@click.option("--cases", type=Number(1, 100_000, whole=True), default=60, show_default=True,
              help="How many synthetic cases.")
@pass_ctx
def demo(obj: Context, cases):
    """Create a demo inspection of synthetic cases in an empty database."""
    from .framework import load_framework
    from .services import create_demo

    obj.creates = True
    added = create_demo(obj.conn, load_framework(), cases)
    click.echo(terminal_safe(f"Created a demo inspection of {added} synthetic cases in {obj.db}."))


@cli.group()
def case():
    """Cases: who may open a limited-access case."""


@case.command("grant")
@click.argument("ref")
@click.argument("inspector", type=CODE)
@pass_ctx
def case_grant(obj: Context, ref, inspector):
    """Assign another inspector to a limited-access case (the lead inspector only)."""
    from .store.access import grant

    grant(obj.conn, ref, inspector, obj.inspector)
    click.echo(terminal_safe(f"{inspector} can now open case {ref}."))


@cli.group()
def moderation():
    """Moderation: conflicts, second readings, settling, locking."""


@moderation.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print it as JSON.")
@pass_ctx
def moderation_status_cmd(obj: Context, as_json):
    """Open conflicts, disagreements, cases awaiting second reading, and agreement figures."""
    from .services import moderation_status

    status = moderation_status(obj.conn, obj.framework())
    if as_json:
        click.echo(json.dumps(status, indent=2))
        return
    click.echo(f"Open import conflicts: {status['open_conflicts']}")
    for c in status["conflicts"]:  # a source names a bundle file and its manifest's inspector
        click.echo(terminal_safe(f"  #{c['id']} {c['case']} {c['question']}: held {c['held']} "
                                 f"({c['held_by']}), imported {c['incoming']} from {c['source']}"))
    click.echo(f"Second readings: {len(status['second_readings'])}, awaiting "
               f"{status['awaiting_second_reading']}")
    click.echo(f"Disagreements to settle: {status['disagreements']}")
    for d in status["disagreement_list"]:
        click.echo(terminal_safe(f"  {d['case']} {d['question']}: first {d['first']}, second {d['second']}"))
    for sid, a in status["agreement"]["standards"].items():
        if a["n"]:
            kappa = "undefined" if a["kappa"] is None else f"{a['kappa']:.2f}"
            click.echo(f"Agreement {sid}: {a['agreed']} of {a['n']} ({a['percent']:.0f}%), kappa {kappa}")


@moderation.command("pick")
@click.option("--readers", type=CODES, required=True, help="Second readers' codes, comma-separated.")
@click.option("--share", type=SHARE, default=0.1, show_default=True,
              help="Share of the other cases, at random (0 to 1).")
@click.option("--seed", type=SEED, default=1, show_default=True, help="Seed for the random share.")
@pass_ctx
def moderation_pick(obj: Context, readers, share, seed):
    """Pick cases for second reading: every high or very high RoSH case plus a random share."""
    from .store.moderation import pick_second_readings

    picked = pick_second_readings(obj.conn, readers, share, seed, obj.inspector)
    for ref, reader in picked:
        click.echo(terminal_safe(f"{ref} -> {reader}"))
    click.echo(f"Picked {len(picked)} cases for second reading.")


@moderation.command("assign")
@click.argument("case")
@click.argument("reader", type=CODE)
@pass_ctx
def moderation_assign(obj: Context, case, reader):
    """Pick one case for second reading by READER."""
    from .store.moderation import assign_second_reading

    assign_second_reading(obj.conn, case, reader, obj.inspector)
    click.echo(terminal_safe(f"Case {case} is with {reader} for second reading."))


@moderation.command("read")
@click.argument("case")
@click.argument("question")
@click.argument("value")
@click.option("--note", default=None)
@pass_ctx
def moderation_read(obj: Context, case, question, value, note):
    """As the second reader, judge one key question blind."""
    from .store.moderation import record_second_answer

    record_second_answer(obj.conn, obj.framework(), case, question, value, note, obj.inspector)
    click.echo(terminal_safe(f"Saved the second reading of {case} {question} = {value}."))


@moderation.command("finish")
@click.argument("case")
@pass_ctx
def moderation_finish(obj: Context, case):
    """Finish a second reading; the two readings can then be compared."""
    from .store.moderation import finish_second_reading, pairs

    finish_second_reading(obj.conn, obj.framework(), case, obj.inspector)
    differ = [p for p in pairs(obj.conn, obj.framework(), case) if not p.agree]
    click.echo(terminal_safe(f"Finished the second reading of {case}: {len(differ)} key questions "
                             "judged differently."))


@moderation.command("settle")
@click.argument("case_or_conflict")
@click.argument("question_or_value")
@click.argument("value", required=False)
@click.option("--reason", required=True, help="Why this is the final judgement.")
@pass_ctx
def moderation_settle(obj: Context, case_or_conflict, question_or_value, value, reason):
    """Settle a conflict (ID VALUE) or a disagreement (CASE QUESTION VALUE), with a reason."""
    from .store.moderation import settle_conflict, settle_disagreement

    if value is None:
        from .checks import MAX_ID

        number = case_or_conflict.removeprefix("#")
        if not (number.isascii() and number.isdigit()):
            raise HmipError("give a conflict number and a value, or a case, a question and a value")
        if len(number) > 19 or int(number) > MAX_ID:  # more than SQLite can hold: no such conflict
            raise HmipError(f"no conflict {number[:24]}{'...' if len(number) > 24 else ''}: "
                            "hmip moderation status lists the open ones")
        settle_conflict(obj.conn, obj.framework(), int(number), question_or_value, reason, obj.inspector)
        click.echo(terminal_safe(f"Settled conflict {case_or_conflict}: {question_or_value}."))
    else:
        settle_disagreement(obj.conn, obj.framework(), case_or_conflict, question_or_value, value,
                            reason, obj.inspector)
        click.echo(terminal_safe(f"Settled {case_or_conflict} {question_or_value}: {value}."))


@moderation.command("lock")
@click.argument("case")
@pass_ctx
def moderation_lock(obj: Context, case):
    """Mark a complete case moderated: locked against further change."""
    from .store.moderation import mark_moderated

    mark_moderated(obj.conn, obj.framework(), case, obj.inspector)
    click.echo(terminal_safe(f"Case {case} is moderated and locked."))


@moderation.command("reopen")
@click.argument("case")
@click.option("--reason", required=True)
@pass_ctx
def moderation_reopen(obj: Context, case, reason):
    """Reopen a moderated case, with a reason (logged)."""
    from .store.moderation import reopen

    reopen(obj.conn, case, reason, obj.inspector)
    click.echo(terminal_safe(f"Case {case} is reopened."))


@cli.command()
@click.argument("case", required=False)
@pass_ctx
def audit(obj: Context, case):
    """The audit trail: every change to an answer or judgement, oldest first."""
    from .store.audit import trail

    obj.framework()
    for e in trail(obj.conn, case):
        change = f"{e.old_value} -> {e.new_value}" if (e.old_value or e.new_value) else ""
        parts = [e.at, e.by or "-", e.kind, e.case_ref or "", e.question or "", change,
                 f"reason: {e.reason}" if e.reason else "", e.detail or ""]
        # One entry, one line: a reason or a file name with a newline or an escape sequence in
        # it must not forge a line of the trail or act on the terminal.
        click.echo("  ".join(terminal_safe(p) for p in parts if p))


@cli.command()
@pass_ctx
def backup(obj: Context):
    """Copy the database now into backups/ beside it (SQLite's backup API)."""
    from .store.backups import make_backup

    made = make_backup(obj.conn, obj.db, "by-hand")
    click.echo(terminal_safe(f"Backed up {obj.db} to {made}."))


@cli.command()
@click.argument("file", type=INPUT_FILE)
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
@pass_ctx
def restore(obj: Context, file, yes):
    """Replace the database with a backup, after checking the backup's integrity."""
    from .store.backups import restore as restore_file
    from .store.database import APPLICATION_ID
    from .store.migrations import SCHEMA_VERSION

    if not yes and sys.stdin.isatty():
        click.confirm(terminal_safe(f"Replace {obj.db} with {file}? The current file is kept in "
                                    "backups/ as it is."), abort=True)
    kept = restore_file(file, obj.db, APPLICATION_ID, SCHEMA_VERSION)
    click.echo(terminal_safe(f"Restored {obj.db} from {file}."
                             + (f" The replaced database was kept as {kept}." if kept else "")))


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
    click.echo(terminal_safe(f"{file}: framework {fw.id} {fw.version} is valid: {len(fw.standards)} "
                             f"standards, {kqs} key questions, {len(fw.questions)} questions in all."))


def _slug(text: str) -> str:
    return "".join(c.lower() if c.isalnum() else "-" for c in text).strip("-") or "inspection"


def main() -> None:
    cli(prog_name="hmip")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
