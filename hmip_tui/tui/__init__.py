"""The terminal app. Imported only when `hmip` runs without a sub-command."""

from __future__ import annotations

from pathlib import Path

from ..errors import HmipError


def run_app(db: Path, inspector: str, *, db_named: bool = True, inspector_named: bool = True) -> None:
    """Open the database (refusing a bad one before the screen starts), then run the app.

    If the app stops on an error, raise HmipError with one sentence about it (the command
    line prints it and exits 1); nothing else of the error reaches the terminal.
    """
    from ..services import open_database, recorder_here
    from .app import HmipApp

    conn = open_database(db)
    try:
        if not inspector_named:
            inspector = recorder_here(conn, inspector)
        app = HmipApp(conn, db, inspector, db_named=db_named)
        app.run()
    finally:
        conn.close()
    if app.return_code:
        raise HmipError(fatal_sentence(app.fatal_error, db))


def fatal_sentence(error: BaseException | None, db: Path) -> str:
    """What stopped the app, without its traceback: a sentence that names no evidence."""
    from ..failures import explain

    cause = getattr(error, "error", None) or error  # a worker's failure wraps the real one
    if isinstance(cause, HmipError):
        return f"hmip stopped: {cause}"
    said = explain(cause, db, "the change being made was not saved, and every answer shown as "
                              "saved is in the database") if cause is not None else None
    if said:
        return f"hmip stopped: {said}"
    # An unforeseen error: its type and where it happened help a bug report; its message and
    # local variables may quote an evidence note, so they are left out.
    where = ""
    tb = getattr(cause, "__traceback__", None)
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__", "").startswith("hmip_tui"):
            where = f" in {tb.tb_frame.f_globals['__name__']} line {tb.tb_lineno}"
        tb = tb.tb_next
    kind = type(cause).__name__ if cause is not None else "unknown error"
    return (f"hmip stopped on an unexpected error ({kind}{where}); every answer shown as saved "
            "is in the database")
