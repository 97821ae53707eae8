"""The production install serves Japanese (issue 23, point 8).

The package is built from the files in git only (no compiled catalogue lying in the working tree),
offline, installed into a fresh virtual environment, and asked for a page there: the compiled .mo
catalogues must come from the build itself (setup.py's build hook).
"""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHECK_PAGE = """
import re, sys
import portal
assert sys.argv[1] in portal.__file__, portal.__file__  # the installed copy, not the source tree
from portal.app import create_app
app = create_app({"SECRET_KEY": "x", "PORTAL_ENV": "test", "TESTING": True,
                  "SQLALCHEMY_DATABASE_URI": "postgresql://nobody@127.0.0.1:9/none"})
page = app.test_client().get("/no-such-page")
html = page.get_data(as_text=True)
lang = re.search(r'<html lang="([a-z]+)"', html).group(1)
print(page.status_code, lang, re.search(r"<h1[^>]*>(.*?)</h1>", html).group(1))
"""


def test_built_package_carries_the_catalogues_and_serves_japanese(tmp_path: Path) -> None:
    source = tmp_path / "src"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    for name in tracked.decode().split("\0"):
        if name and (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            (source / name).write_bytes((ROOT / name).read_bytes())
    assert not list(source.glob("*/translations/*/LC_MESSAGES/*.mo"))  # nothing compiled beforehand
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
                    "-w", str(wheels), str(source)], check=True, capture_output=True, timeout=300)
    [wheel] = wheels.glob("yokoten-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in ("kernel", "portal", "tenants", "casebook", "procurement", "awards"):
        assert f"{package}/translations/ja/LC_MESSAGES/messages.mo" in names, package
    # The search's thesaurus files and the licence of the one derived from SudachiDict (Apache-2.0).
    for data in ("dx_vocabulary.tsv", "sudachi_synonyms.tsv", "LICENSE-2.0.txt"):
        assert f"casebook/data/{data}" in names, data

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                    "-q", str(wheel)], check=True, capture_output=True, timeout=300)
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # The dependencies (Flask, SQLAlchemy …) come from the test environment, appended after the fresh
    # environment's own site-packages (a plain path line: the editable install there is not loaded).
    dependencies = next(p for p in sys.path if p.endswith("site-packages"))
    (site / "zz_dependencies.pth").write_text(dependencies + "\n")
    result = subprocess.run([str(python), "-c", CHECK_PAGE, str(venv)], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "PORTAL_ENV": "test"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "404 ja ページが見つかりません"
