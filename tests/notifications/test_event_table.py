"""Every notification the code sends is a row of the one event table and of docs/notifications.md.

The code is read, not run: every call of ``notify`` / ``kernel_notify`` in the runtime packages is found
with the AST and its event kind worked out (a literal, a literal chosen by a condition, a variable
assigned literals in the function, or a parameter of a helper whose callers pass literals). A workflow
step that starts telling someone with a new kind fails here until the kind is registered and documented.
"""
from __future__ import annotations

import ast
from pathlib import Path

from kernel.notifications import event_table

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ("kernel", "tenants", "portal", "casebook", "procurement", "awards", "support", "workload", "community")


def _literals(node: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def _is_notify(call: ast.Call) -> bool:
    func = call.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    return name in ("notify", "kernel_notify") and bool(call.args)


def _kinds_in(tree: ast.Module) -> tuple[set[str], list[str]]:
    """The kinds one module sends, and the calls whose kind could not be worked out."""
    kinds: set[str] = set()
    unresolved: list[str] = []
    functions = [f for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for function in functions:
        for call in ast.walk(function):
            if not (isinstance(call, ast.Call) and _is_notify(call)):
                continue
            first = call.args[0]
            found = _literals(first)
            if isinstance(first, ast.Name):
                # kind = "a" if … else "b" inside the function
                for assign in ast.walk(function):
                    if isinstance(assign, ast.Assign) and any(
                            isinstance(t, ast.Name) and t.id == first.id for t in assign.targets):
                        found |= _literals(assign.value)
                # def _tell_author(kind, …): notify(kind, …) — the callers in the module name the kinds
                if first.id in {a.arg for a in function.args.args}:
                    position = [a.arg for a in function.args.args].index(first.id)
                    for caller in ast.walk(tree):
                        if (isinstance(caller, ast.Call) and isinstance(caller.func, ast.Name)
                                and caller.func.id == function.name and len(caller.args) > position):
                            found |= _literals(caller.args[position])
            found = {k for k in found if "." in k and " " not in k}
            if found:
                kinds |= found
            else:
                unresolved.append(f"line {call.lineno}")
    return kinds, unresolved


def _sent_kinds() -> tuple[set[str], list[str]]:
    kinds: set[str] = set()
    unresolved: list[str] = []
    for package in RUNTIME:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.parent.name == "notifications" and path.parent.parent.name == "kernel":
                continue  # the machinery itself (its notify takes the kind from its caller)
            found, missing = _kinds_in(ast.parse(path.read_text(encoding="utf-8")))
            kinds |= found
            unresolved += [f"{path.relative_to(ROOT)} {where}" for where in missing]
    return kinds, unresolved


def test_every_kind_the_code_sends_is_registered_and_documented(app) -> None:  # type: ignore[no-untyped-def]
    sent, unresolved = _sent_kinds()
    assert not unresolved, f"notify calls whose event kind this test cannot read: {unresolved}"
    assert len(sent) > 30  # the scan found the workflow steps (it reads the real code)
    registered = {e.kind for e in event_table()}
    doc = (ROOT / "docs" / "notifications.md").read_text(encoding="utf-8")
    assert sorted(sent - registered) == [], "kinds sent but not registered (kernel/notifications/registry.py)"
    assert sorted(k for k in sent if f"`{k}`" not in doc) == [], "kinds sent but missing from docs/notifications.md"


def test_every_registered_kind_is_documented_and_sent(app) -> None:  # type: ignore[no-untyped-def]
    sent, _unresolved = _sent_kinds()
    doc = (ROOT / "docs" / "notifications.md").read_text(encoding="utf-8")
    registered = {e.kind for e in event_table() if not e.kind.startswith("test.")}
    assert sorted(k for k in registered if f"`{k}`" not in doc) == []
    assert sorted(registered - sent) == [], "registered kinds no step sends (a dead row of the table)"


def test_procurement_cancellation_is_a_row() -> None:
    # the step this test was written for: cancelling a project tells the municipalities that declared
    assert "procurement.cancelled" in _sent_kinds()[0]
