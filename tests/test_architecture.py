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
