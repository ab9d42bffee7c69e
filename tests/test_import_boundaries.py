"""The import rules of DESIGN.md: `decomposition` never imports `ida`; `ida` never imports streamlit or
`oversight_ui`; reports (`ida report`, the app's cycles page) never load the model stack."""

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(package: str) -> dict[str, set[str]]:
    """file -> the top-level names of every module it imports (at any depth of the file, lazy imports too)."""
    out = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        out[str(path.relative_to(ROOT))] = names
    return out


def test_decomposition_never_imports_ida():
    offenders = {f: n & {"ida", "oversight_ui"} for f, n in imported_modules("decomposition").items()}
    assert not {f: n for f, n in offenders.items() if n}


def test_ida_never_imports_streamlit_or_the_app():
    offenders = {f: n & {"streamlit", "oversight_ui"} for f, n in imported_modules("ida").items()}
    assert not {f: n for f, n in offenders.items() if n}


def test_reporting_modules_import_no_torch_at_all():
    offenders = {f: n & {"torch", "transformers", "safetensors", "peft", "accelerate"}
                 for f, n in imported_modules("ida/reporting").items()}
    assert not {f: n for f, n in offenders.items() if n}


BLOCK_MODEL_STACK = """
import sys

class Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "transformers", "safetensors", "peft", "accelerate"):
            raise ImportError(f"the model stack was imported: {name}")

sys.meta_path.insert(0, Blocked())
"""


def run_blocked(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    script = tmp_path / "blocked.py"
    script.write_text(BLOCK_MODEL_STACK + textwrap.dedent(code))
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env={"PYTHONPATH": f"{ROOT}:{ROOT / 'tests' / 'review'}", "PATH": "/usr/bin:/bin",
                               "HOME": str(tmp_path)})


@pytest.mark.slow
def test_ida_report_and_the_cycles_page_run_without_the_model_stack(tmp_path):
    """`ida report` and the admin's cycles page on a run, with torch & co. made unimportable."""
    done = run_blocked(f"""
        import os
        from pathlib import Path
        from review_world import PASSWORDS, make_review_run
        run_dir = make_review_run(Path({str(tmp_path)!r}))
        from typer.testing import CliRunner
        from ida.cli import app
        result = CliRunner().invoke(app, ["report", str(run_dir), "--json"])
        assert result.exit_code == 0, (result.output, result.exception)
        os.environ["IDA_RUN_DIR"], os.environ["IDA_USERS_DB"] = str(run_dir), str(run_dir.parent / "users.sqlite")
        from streamlit.testing.v1 import AppTest
        at = AppTest.from_file({str(ROOT / "oversight_ui" / "app.py")!r}, default_timeout=60).run()
        at.text_input(key="login_name").input("root")
        at.text_input(key="login_password").input(PASSWORDS["root"])
        at.button[0].click().run()
        at.switch_page("views/cycles.py").run()
        assert not at.exception, at.exception
        assert [t.value for t in at.title] == ["Capability per cycle"]
        print("OK", sorted(m for m in ("torch", "transformers") if m in sys.modules))
    """, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().endswith("OK []")
