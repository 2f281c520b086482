"""Architecture rules that a refactoring must not break."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from nb2prod.engine import lint_file


def test_core_imports_no_server_or_widget_code() -> None:
    code = (
        "import sys\n"
        "import nb2prod.engine, nb2prod.cli, nb2prod.formats, nb2prod.walk\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'jupyter_server', 'tornado', 'ipywidgets'})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_linting_never_executes_notebook_code(tmp_path: Path, write_nb) -> None:
    marker = tmp_path / "executed.txt"
    path = write_nb(
        f"open({str(marker)!r}, 'w').write('ran')",
        f"import os\nos.system('touch {marker}')",
        f"!touch {marker}",
        f"%%bash\ntouch {marker}",
        f"%run -i {marker}",
    )
    result = lint_file(path)
    assert result.error is None
    assert not marker.exists()
