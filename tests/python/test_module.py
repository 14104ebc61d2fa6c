"""The package itself: stubs match the module, importing it loads no libtorch."""

import ast
import pathlib
import subprocess
import sys

import tatami
import tatami._tatami as ext


def stub_tree():
    return ast.parse((pathlib.Path(tatami.__file__).parent / "_tatami.pyi").read_text())


def test_every_public_name_and_member_has_a_stub():
    stubs = {n.name: n for n in stub_tree().body if isinstance(n, (ast.ClassDef, ast.FunctionDef))}
    public = {n for n in dir(ext) if not n.startswith("_")}
    assert sorted(public - set(stubs)) == []
    assert sorted(set(stubs) - public) == []
    for name, node in stubs.items():
        if not isinstance(node, ast.ClassDef) or issubclass(getattr(ext, name), BaseException):
            continue
        stubbed = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
        stubbed |= {n.target.id for n in node.body if isinstance(n, ast.AnnAssign)}
        members = {m for m in vars(getattr(ext, name)) if not m.startswith("_")}
        assert sorted(members - stubbed) == [], name


def test_public_api_has_docstrings():
    for name in ["Dojo", "WorkerPool", "TacticState", "prove", "check", "make_generator"]:
        assert getattr(ext, name).__doc__, name
    assert ext.Dojo.run_tac.__doc__ and "GIL" in ext.Dojo.__doc__


def test_import_loads_no_torch():
    code = "import sys, tatami; assert 'torch' not in sys.modules; print(tatami.__version__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == tatami.__version__
    maps = subprocess.run(
        [sys.executable, "-c", "import tatami; print(open('/proc/self/maps').read())"],
        capture_output=True, text=True, check=True).stdout
    assert "libtorch" not in maps and "_tatami" in maps
