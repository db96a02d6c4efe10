"""The package's shape holds: layers (import-linter), no Streamlit in the library, every imported
package declared, and the package installs with its data."""
from __future__ import annotations

import ast
import re
import sys

from tests.harness import PROJECT_ROOT

# Import name -> distribution name where they differ.
DISTRIBUTIONS = {"PIL": "pillow", "exifread": "ExifRead", "pillow_heif": "pillow-heif", "sqlalchemy": "SQLAlchemy",
                 "yaml": "PyYAML", "stdnum": "python-stdnum", "sudachipy": "SudachiPy", "psycopg": "psycopg",
                 "streamlit_js_eval": "streamlit-js-eval", "tomli_w": "tomli_w", "charset_normalizer":
                 "charset-normalizer", "requests_cache": "requests-cache", "starlette": "starlette",
                 "uvicorn": "uvicorn", "geographiclib": "geographiclib"}


def test_import_linter_contracts_are_kept(capsys):
    from importlinter.cli import lint_imports

    sys.path.insert(0, str(PROJECT_ROOT))
    code = lint_imports(config_filename=str(PROJECT_ROOT / "pyproject.toml"), no_cache=True)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "BROKEN" not in out and out.count("KEPT") >= 2, out


def _imported_top_names() -> set[str]:
    names = set()
    for path in (PROJECT_ROOT / "wikitown").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"wikitown", "__future__"}


def test_every_imported_package_is_declared():
    declared = {re.split(r"[=<>\[ ]", line.strip())[0].lower().replace("_", "-")
                for line in (PROJECT_ROOT / "requirements.txt").read_text().splitlines()
                if line.strip() and not line.startswith("#")}
    missing = sorted(name for name in _imported_top_names()
                     if DISTRIBUTIONS.get(name, name).lower().replace("_", "-") not in declared)
    assert missing == [], f"imported by wikitown but not in requirements.txt: {missing}"


def test_installed_package_carries_its_data():
    """pip install . packs what the package reads at run time: message catalogues and checklists."""
    import tomllib

    data = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    package = PROJECT_ROOT / "wikitown"
    for pattern in data["wikitown"]:
        assert sorted(package.glob(pattern)), pattern
    from wikitown.walk.checklists import CHECKLIST_DIR
    assert CHECKLIST_DIR.resolve() == (PROJECT_ROOT / "checklists").resolve()
