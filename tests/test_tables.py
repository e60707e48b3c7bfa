"""The SQLModel classes (store/tables.py) and the SQLite schema the migrations make are one
schema; and sqlmodel, SQLAlchemy and psycopg stay off every hot path."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from conftest import run_hmip


def _sqlite_columns(db, table: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(f"PRAGMA table_info({table})").fetchall()
    finally:
        conn.close()
    # (name, declared type, not null, part of the primary key); an INTEGER PRIMARY KEY is a rowid
    # and may not be null whatever it declares.
    return sorted((name, kind.upper(), bool(notnull) or bool(pk), bool(pk)) for _, name, kind, notnull, _, pk in rows)


def _unique(db, table: str) -> set[str]:
    conn = sqlite3.connect(db)
    try:
        out = set()
        for _, name, unique, origin, _ in conn.execute(f"PRAGMA index_list({table})").fetchall():
            cols = [r[2] for r in conn.execute(f"PRAGMA index_info({name})")]
            if unique and origin == "u" and len(cols) == 1:
                out.add(cols[0])
        return out
    finally:
        conn.close()


def test_the_migrated_sqlite_schema_matches_the_sqlmodel_classes(demo_db):
    from sqlalchemy.dialects import sqlite

    from hmip_tui.store.tables import laptop_metadata

    dialect = sqlite.dialect()
    assert {t.name for t in laptop_metadata.sorted_tables} == {"entry", "batch", "text", "inspector", "signer"}
    for table in laptop_metadata.sorted_tables:
        declared = sorted((c.name, c.type.compile(dialect=dialect).upper(), not c.nullable or c.primary_key,
                           c.primary_key) for c in table.columns)
        assert _sqlite_columns(demo_db, table.name) == declared, table.name
        assert _unique(demo_db, table.name) == {c.name for c in table.columns if c.unique}, table.name


def test_the_server_tables_are_made_from_the_same_fields():
    from hmip_tui.store.tables import laptop_metadata, server_metadata

    for name in ("entry", "batch", "text", "inspector"):
        laptop = laptop_metadata.tables[name]
        server = server_metadata.tables[f"hmip.{name}"]
        shared = {c.name for c in laptop.columns} & {c.name for c in server.columns}
        for column in shared - {"seq"}:
            assert type(laptop.c[column].type) is type(server.c[column].type), (name, column)
            assert laptop.c[column].nullable == server.c[column].nullable, (name, column)
        assert "inspection" in server.c and server.c.inspection.primary_key


HEAVY = ("sqlmodel", "sqlalchemy", "psycopg")


def _modules_after(code: str) -> list[str]:
    script = code + "\nimport sys\nprint(sorted({m.split('.')[0] for m in sys.modules} & set(%r)))\n" % (HEAVY,)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return eval(out.stdout.strip().splitlines()[-1])


def test_hot_paths_never_import_sqlmodel_sqlalchemy_or_psycopg(demo_db, tmp_path):
    bundle = tmp_path / "lf.hmip.json"
    run_hmip("bundle", "export", "--out", str(bundle), db=demo_db, check=True)
    ref = sqlite3.connect(demo_db).execute("SELECT ref FROM case_file ORDER BY ref LIMIT 1").fetchone()[0]
    commands = {
        "answer": ["answer", ref, "2.2.1", "yes", "--reason", "A second look."],
        "rate": ["rate", "--json"],
        "bundle import": ["bundle", "import", str(bundle)],
        "export workbook": ["export", "workbook", "--out", str(tmp_path / "w.xlsx")],
    }
    for name, args in commands.items():
        code = ("from click.testing import CliRunner\nfrom hmip_tui.cli import cli\n"
                f"r = CliRunner().invoke(cli, ['--db', {str(demo_db)!r}, '--as', 'LF'] + {args!r})\n"
                "assert r.exit_code == 0, r.output\n")
        assert _modules_after(code) == [], name
    first_paint = (
        "import asyncio\nfrom pathlib import Path\nfrom hmip_tui.services import open_database\n"
        "from hmip_tui.tui.app import HmipApp\n"
        f"path = Path({str(demo_db)!r})\n"
        "async def main():\n"
        "    app = HmipApp(open_database(path), path, 'LF')\n"
        "    async with app.run_test() as pilot:\n"
        "        await pilot.pause()\n"
        "asyncio.run(main())\n")
    assert _modules_after(first_paint) == [], "the app's first paint"


def test_sqlmodel_and_psycopg_are_runtime_dependencies():
    import importlib.metadata
    import re

    plain = [r for r in importlib.metadata.requires("hmip-tui") if "extra ==" not in r]
    names = {re.split(r"[\[<>=;! ]", r, maxsplit=1)[0].lower() for r in plain}
    assert {"sqlmodel", "psycopg"} <= names
