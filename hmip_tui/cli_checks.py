"""Checking the command line: every argument before any command uses it.

The click types here hand each value to the shared checkers (`checks.py`), so an argument is
held to the same rules as the same field in a file. A refusal is `click.ClickException`: one
sentence, exit status 1, before the database is opened, let alone written.
"""

from __future__ import annotations

from pathlib import Path

import click

from . import checks
from .errors import HmipError
from .terminal_text import terminal_safe


def _refuse(exc: HmipError):
    raise click.ClickException(terminal_safe(str(exc))) from None


def _name(param) -> str:
    if param is None:
        return "the value"
    return param.opts[0] if getattr(param, "opts", None) and param.param_type_name == "option" \
        else param.human_readable_name


def check_arguments(args: list[str]) -> None:
    """Every argument must be text hmip can store and show.

    Bytes that are not UTF-8 reach Python as lone surrogates; stored, they would fail later
    with a traceback, far from the argument that brought them.
    """
    for i, arg in enumerate(args):
        try:
            checks.check_text(arg, "")
        except HmipError as exc:
            previous = args[i - 1] if i else ""
            where = (f"the value of {previous}" if previous.startswith("-")
                     else f"the value of {arg.split('=', 1)[0]}" if arg.startswith("--") and "=" in arg
                     else f"argument {i + 1} of the command line")
            _refuse(HmipError(f"{where}: {str(exc).lstrip(': ')}; nothing was done"))


class _Checked(click.ParamType):
    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value  # a default, already sound
        try:
            return self.check(value, _name(param))
        except HmipError as exc:
            _refuse(exc)

    def check(self, value: str, where: str):
        raise NotImplementedError


class DatabasePath(_Checked):
    """--db: a database file, never empty, a folder or a device."""

    name = "path"

    def check(self, value, where):
        from .store.database import check_database_path

        return check_database_path(value, where)


class OutputPath(_Checked):
    """--out: a file to write, never empty, a folder or a device."""

    name = "path"

    def check(self, value, where):
        from .exchange.files import check_output_path

        return check_output_path(value, option=where)


class InputFile(_Checked):
    """A file to read: an existing regular file (reading /dev/zero would never end)."""

    name = "file"

    def check(self, value, where):
        import stat

        path = Path(value)
        if value.strip() == "":
            raise HmipError(f"{where} is empty: name a file")
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            raise HmipError(f"{path}: no such file") from None
        except OSError as exc:
            raise HmipError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        if stat.S_ISDIR(mode):
            raise HmipError(f"{path}: is a folder; name a file")
        if not stat.S_ISREG(mode):
            raise HmipError(f"{path}: is not a regular file (a device, a pipe or a socket)")
        return path


class InspectorCode(_Checked):
    name = "code"

    def check(self, value, where):
        return checks.check_code(value, where)


class InspectorCodes(_Checked):
    """A comma-separated list of inspector codes."""

    name = "codes"

    def check(self, value, where):
        codes = [c.strip() for c in value.split(",") if c.strip()]
        if not codes:
            raise HmipError(f"{where}: name at least one inspector code")
        return [checks.check_code(c, where) for c in codes]


class IsoDate(_Checked):
    name = "YYYY-MM-DD"

    def check(self, value, where):
        return checks.check_date(value, where)


class Number(_Checked):
    """A finite number in a range, whole if need be: never nan, inf, or one SQLite cannot hold."""

    def __init__(self, low: float, high: float, *, whole: bool = False):
        self.low, self.high, self.whole = low, high, whole
        self.name = "integer" if whole else "number"

    def check(self, value, where):
        return checks.check_number(value, where, low=self.low, high=self.high, whole=self.whole)


DB_PATH = DatabasePath()
OUT_PATH = OutputPath()
INPUT_FILE = InputFile()
CODE = InspectorCode()
CODES = InspectorCodes()
DATE = IsoDate()
SHARE = Number(0, 1)
SEED = Number(0, checks.MAX_ID, whole=True)
