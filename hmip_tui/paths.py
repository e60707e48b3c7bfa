"""Where hmip keeps things by default: the database and the exports folder."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "hmip"


def default_database() -> Path:
    """HMIP_DB if set, else hmip.sqlite in the platform's user data folder."""
    if os.environ.get("HMIP_DB"):
        return Path(os.environ["HMIP_DB"]).expanduser()
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False) / "hmip.sqlite"


def exports_dir() -> Path:
    """exports/ in the working folder, as the repository lays it out."""
    return Path(os.environ.get("HMIP_EXPORTS", "exports"))


def current_inspector() -> str:
    """Who is using hmip: HMIP_INSPECTOR (checked by the caller), else the login name made
    into a code (upper-cased; a character a code cannot hold, as in "jo smith@corp", becomes -)."""
    code = os.environ.get("HMIP_INSPECTOR")
    if code:
        return code
    import getpass

    from .checks import normalise_code

    try:
        return normalise_code(getpass.getuser())
    except Exception:  # no login name in some containers
        return "INSPECTOR"
