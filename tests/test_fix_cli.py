"""`nb2prod lint --fix / --unsafe-fixes / --diff / --fix-only` and the file they write."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from fixcheck import make_notebook

from nb2prod.cli import main
from nb2prod.nbwrite import LayoutError, detect_layout, dumps

TITLE = "# md: # Title"
CELLS = [TITLE, "import numpy as np", "x = np.random.rand(3)"]
FIXED = "import numpy as np\nnp.random.seed(0)"


def _write(path, cells=CELLS, **dump):
    dump.setdefault("indent", 1)
    path.write_text(json.dumps(make_notebook(cells), **dump) + "\n", encoding="utf-8")
    return path


def _source(path, i):
    cell = json.loads(path.read_text(encoding="utf-8"))["cells"][i]
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def test_fix_applies_safe_fixes_reports_what_remains_and_exits_on_it(tmp_path, capsys):
    nb = _write(tmp_path / "nb.ipynb")
    code = main(["lint", "--fix", "--select", "NB102,NB702", str(nb)])
    out = capsys.readouterr().out
    assert _source(nb, 1) == FIXED
    assert "Found 1 finding (1 fixed, 0 remaining)" in out
    assert code == 0
    assert main(["lint", "--fix", "--select", "NB102", str(nb)]) == 0  # nothing left, nothing changed
    assert _source(nb, 1) == FIXED


def test_exit_code_follows_the_findings_that_remain(tmp_path, capsys):
    nb = _write(tmp_path / "nb.ipynb", [TITLE, "import numpy as np", "x = np.random.rand(3)", "y = undefined_name"])
    assert main(["lint", "--fix", "--select", "NB102,NB701", str(nb)]) == 1
    out = capsys.readouterr().out
    assert "NB701" in out and "(1 fixed, 1 remaining)" in out


def test_diff_prints_the_change_cell_by_cell_and_writes_nothing(tmp_path, capsys):
    nb = _write(tmp_path / "nb.ipynb")
    before = nb.read_bytes()
    assert main(["lint", "--diff", "--select", "NB102", str(nb)]) == 1
    captured = capsys.readouterr()
    assert f"--- {nb}:cell 2\n+++ {nb}:cell 2 (fixed)\n" in captured.out
    assert "\n+np.random.seed(0)\n" in captured.out
    assert "Would fix 1 finding." in captured.err
    assert nb.read_bytes() == before
    main(["lint", "--fix", "--select", "NB102", str(nb)])
    capsys.readouterr()
    assert main(["lint", "--diff", "--select", "NB102", str(nb)]) == 0


def test_fix_only_reports_only_the_fixes_and_exits_zero(tmp_path, capsys):
    nb = _write(tmp_path / "nb.ipynb", [TITLE, "import numpy as np", "x = np.random.rand(3)", "y = undefined_name"])
    assert main(["lint", "--fix-only", "--select", "NB102,NB701", str(nb)]) == 0
    out = capsys.readouterr().out
    assert out.strip() == "Fixed 1 finding (1 remaining)."
    assert _source(nb, 1) == FIXED


def test_unsafe_fixes_are_applied_only_when_asked(tmp_path, capsys):
    nb_data = make_notebook([TITLE, "x = 1", "y = x + 1"])
    nb_data["cells"][1]["execution_count"] = 2
    nb_data["cells"][2]["execution_count"] = 1
    nb = tmp_path / "nb.ipynb"
    nb.write_text(json.dumps(nb_data, indent=1) + "\n", encoding="utf-8")
    assert main(["lint", "--fix", "--select", "NB301", str(nb)]) == 0  # a warning: not failing
    out = capsys.readouterr().out
    assert "[*] 1 fixable with `--fix --unsafe-fixes`." in out
    assert json.loads(nb.read_text())["cells"][1]["execution_count"] == 2
    main(["lint", "--fix", "--unsafe-fixes", "--select", "NB301", str(nb)])
    assert json.loads(nb.read_text())["cells"][1]["execution_count"] is None


def test_json_report_after_fix_stays_parseable_and_the_summary_goes_to_stderr(tmp_path, capsys):
    nb = _write(tmp_path / "nb.ipynb")
    main(["lint", "--fix", "--format", "json", "--select", "NB102", str(nb)])
    captured = capsys.readouterr()
    json.loads(captured.out)
    assert "Fixed 1 finding (0 remaining)." in captured.err


def test_findings_in_json_carry_their_fix(tmp_path, capsys):
    nb = _write(tmp_path / "nb.ipynb")
    main(["lint", "--format", "json", "--select", "NB102", str(nb)])
    finding = json.loads(capsys.readouterr().out)["notebooks"][0]["findings"][0]
    assert finding["fix"]["applicability"] == "safe"
    assert finding["fix"]["edits"][0] == {"kind": "source", "cell": 2, "cell_id": "cell-1", "start": 18, "end": 18,
                                          "text": "\nnp.random.seed(0)"}


def test_fix_cannot_be_combined_with_execute(tmp_path, capsys):
    nb = _write(tmp_path / "nb.ipynb")
    assert main(["lint", "--fix", "--execute", str(nb)]) == 2
    assert "cannot be combined" in capsys.readouterr().err


# -- the file's bytes -----------------------------------------------------------------


@pytest.mark.parametrize(
    "dump",
    [
        pytest.param({"indent": 1}, id="jupyter"),
        pytest.param({"indent": 2, "ensure_ascii": False}, id="indent-2"),
        pytest.param({"indent": 4, "ensure_ascii": True}, id="ascii-escapes"),
        pytest.param({"indent": "\t"}, id="tabs"),
        pytest.param({"indent": None}, id="one-line"),
    ],
)
def test_the_layout_of_the_file_is_kept(tmp_path, dump):
    cells = [TITLE + " é ✓", "import numpy as np  # ünïcode", "x = np.random.rand(3)"]
    data = make_notebook(cells)
    data["metadata"]["zeta"] = {"b": 1, "a": [1.5, None, True]}  # not sorted: key order is the file's
    nb = tmp_path / "nb.ipynb"
    text = json.dumps(data, **dump) + "\n"
    nb.write_text(text, encoding="utf-8")
    main(["lint", "--fix", "--quiet", "--select", "NB102", str(nb)])
    data["cells"][1]["source"] = "import numpy as np  # ünïcode\nnp.random.seed(0)"
    assert nb.read_text(encoding="utf-8") == json.dumps(data, **dump) + "\n"


def test_crlf_bom_and_no_trailing_newline_are_kept(tmp_path):
    data = make_notebook(CELLS)
    nb = tmp_path / "nb.ipynb"
    nb.write_bytes(("\ufeff" + json.dumps(data, indent=1).replace("\n", "\r\n")).encode("utf-8"))
    main(["lint", "--fix", "--quiet", "--select", "NB102", str(nb)])
    data["cells"][1]["source"] = FIXED
    assert nb.read_bytes() == ("\ufeff" + json.dumps(data, indent=1).replace("\n", "\r\n")).encode("utf-8")


def test_list_sources_stay_lists(tmp_path):
    data = make_notebook(CELLS)
    for cell in data["cells"]:
        cell["source"] = cell["source"].splitlines(keepends=True)
    nb = tmp_path / "nb.ipynb"
    nb.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    main(["lint", "--fix", "--quiet", "--select", "NB102", str(nb)])
    assert json.loads(nb.read_text())["cells"][1]["source"] == ["import numpy as np\n", "np.random.seed(0)"]


def test_a_layout_that_cannot_be_reproduced_is_not_rewritten(tmp_path, capsys):
    nb = tmp_path / "nb.ipynb"
    text = json.dumps(make_notebook(CELLS), indent=1).replace('"nbformat": 4', '"nbformat":    4')
    nb.write_text(text, encoding="utf-8")
    with pytest.raises(LayoutError):
        detect_layout(text)
    main(["lint", "--fix", "--select", "NB102", str(nb)])
    assert nb.read_text(encoding="utf-8") == text
    assert "not fixed: its JSON layout" in capsys.readouterr().out


def test_an_nbformat_3_notebook_is_linted_but_not_fixed(tmp_path, capsys):
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": [
        {"cell_type": "code", "input": "import numpy as np\nx = np.random.rand(2)", "language": "python",
         "outputs": []}]}]}
    nb = tmp_path / "nb.ipynb"
    nb.write_text(json.dumps(v3), encoding="utf-8")
    before = nb.read_bytes()
    assert main(["lint", "--fix", "--select", "NB102", str(nb)]) == 1
    assert "not fixed: fixes edit nbformat 4 notebooks only" in capsys.readouterr().out
    assert nb.read_bytes() == before


def test_a_symlinked_notebook_is_fixed_through_the_link_and_the_link_stays(tmp_path):
    real = _write(tmp_path / "real.ipynb")
    link = tmp_path / "link.ipynb"
    link.symlink_to(real)
    main(["lint", "--fix", "--quiet", "--select", "NB102", str(link), str(real)])
    assert link.is_symlink() and _source(real, 1) == FIXED
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_permissions_are_kept(tmp_path):
    nb = _write(tmp_path / "nb.ipynb")
    os.chmod(nb, 0o640)
    main(["lint", "--fix", "--quiet", "--select", "NB102", str(nb)])
    assert _source(nb, 1) == FIXED and (nb.stat().st_mode & 0o777) == 0o640


def test_an_unreadable_file_is_one_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json", encoding="utf-8")
    assert main(["lint", "--fix", str(bad)]) == 2
    out = capsys.readouterr().out
    assert "bad.ipynb: error: invalid JSON" in out and "Traceback" not in out
    assert bad.read_text() == "{not json"


def test_dumps_of_a_detected_layout_round_trips():
    text = json.dumps({"b": [1, {"x": "é"}], "a": None}, indent=2, ensure_ascii=False)
    assert dumps(json.loads(text), detect_layout(text)) == text


def test_the_module_entry_point_fixes_too(tmp_path):
    nb = _write(tmp_path / "nb.ipynb")
    proc = subprocess.run([sys.executable, "-m", "nb2prod", "lint", "--fix", "--select", "NB102", str(nb)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert _source(nb, 1) == FIXED


def test_sarif_after_fix_points_at_lines_of_the_fixed_file(tmp_path, capsys):
    data = make_notebook([TITLE, "import numpy as np", "x = np.random.rand(3)", "z = 1\ny = undefined_name"])
    for cell in data["cells"]:
        cell["source"] = cell["source"].splitlines(keepends=True)  # one file line per source line
    nb = tmp_path / "nb.ipynb"
    nb.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    main(["lint", "--fix", "--format", "sarif", "--select", "NB102,NB701", str(nb)])
    (result,) = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    line = result["locations"][0]["physicalLocation"]["region"]["startLine"]
    assert "y = undefined_name" in nb.read_text(encoding="utf-8").splitlines()[line - 1]


def test_diff_says_what_happens_to_outputs(tmp_path, capsys):
    data = make_notebook([TITLE, "x = 1", "print(x)"])
    data["cells"][1]["execution_count"] = 2
    data["cells"][2].update(execution_count=1, outputs=[{"output_type": "stream", "name": "stdout", "text": "1\n"}])
    nb = tmp_path / "nb.ipynb"
    nb.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    assert main(["lint", "--diff", "--unsafe-fixes", "--select", "NB301", str(nb)]) == 1
    out = capsys.readouterr().out
    assert f"~~~ {nb}:cell 2: execution count cleared\n" in out
    assert f"~~~ {nb}:cell 3: 1 output removed and execution count cleared\n" in out


def test_the_text_report_marks_what_fix_repairs(tmp_path, capsys):
    data = make_notebook([TITLE, "import numpy as np", "x = np.random.rand(3)", "y = undefined_name"])
    data["cells"][2]["execution_count"], data["cells"][1]["execution_count"] = 1, 2  # NB301: an unsafe fix
    nb = tmp_path / "nb.ipynb"
    nb.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    main(["lint", "--no-source", "--select", "NB102,NB701,NB301", str(nb)])
    lines = {line.split(": ")[1].split(" ")[0]: line for line in capsys.readouterr().out.splitlines() if ": NB" in line}
    assert " NB102 [error] [*] " in lines["NB102"]
    assert "[*]" not in lines["NB701"] and "[*]" not in lines["NB301"]
    main(["lint", "--no-source", "--unsafe-fixes", "--select", "NB301", str(nb)])
    assert " NB301 [warning] [*] " in capsys.readouterr().out
