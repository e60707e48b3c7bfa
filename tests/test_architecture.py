"""The core never imports the UI, and scripted commands never pay for Textual."""

from __future__ import annotations

import sqlite3
import subprocess
import sys


def test_core_and_scripted_commands_do_not_import_textual(report_db):
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "import hmip_tui.framework, hmip_tui.rating, hmip_tui.store, hmip_tui.exchange, hmip_tui.services\n"
        "from hmip_tui.cli import cli\n"
        f"r = CliRunner().invoke(cli, ['--db', {str(report_db)!r}, 'rate', '--json'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_both_faces_go_through_one_door():
    """cli.py and tui/ call services, never store/ or exchange/ directly."""
    import ast
    from pathlib import Path

    package = Path(__file__).resolve().parent.parent / "hmip_tui"
    faces = [package / "cli.py", *sorted((package / "tui").rglob("*.py"))]
    offenders = []
    for path in faces:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                module = (node.module or "").removeprefix("hmip_tui.").removeprefix("hmip_tui")
                imported = [module.split(".")[0]] if module else [a.name for a in node.names]
            elif isinstance(node, ast.Import):
                imported = [a.name.removeprefix("hmip_tui.").split(".")[0] for a in node.names]
            else:
                continue
            offenders += [f"{path.relative_to(package)}: {name}" for name in imported
                          if name in ("store", "exchange")]
    assert offenders == []


def test_the_hot_paths_never_import_sqlite_utils(report_db, report_bundle_file, tmp_path):
    """sqlite-utils builds the search index in a migration; saving, rating, importing, exporting
    and the app's first paint run its triggers as plain SQL and never pay for its import."""
    ref = sqlite3.connect(report_db).execute("SELECT ref FROM case_file ORDER BY ref").fetchone()[0]
    code = (
        "import asyncio, sys\n"
        "from click.testing import CliRunner\n"
        "from hmip_tui.cli import cli\n"
        f"db = {str(report_db)!r}\n"
        f"runs = [['answer', {ref!r}, '2.2.1', 'no', '--note', 'A new note.', '--reason', 'Read again.'],\n"
        "        ['rate', '--json'],\n"
        f"        ['bundle', 'import', {str(report_bundle_file)!r}],\n"
        f"        ['export', 'workbook', '--out', {str(tmp_path / 'book.xlsx')!r}]]\n"
        "for args in runs:\n"
        "    r = CliRunner().invoke(cli, ['--db', db, '--as', 'LF', *args])\n"
        "    assert r.exit_code == 0, (args, r.output)\n"
        "    assert 'sqlite_utils' not in sys.modules, args\n"
        "from pathlib import Path\n"
        "from hmip_tui.services import open_database\n"
        "from hmip_tui.tui.app import HmipApp\n"
        "async def first_paint():\n"
        "    app = HmipApp(open_database(Path(db)), Path(db), 'LF')\n"
        "    async with app.run_test() as pilot:\n"
        "        await pilot.pause()\n"
        "        assert app.screen.query('DataTable')\n"
        "asyncio.run(first_paint())\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sqlite_utils'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
