"""The core never imports the UI, and scripted commands never pay for Textual."""

from __future__ import annotations

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
