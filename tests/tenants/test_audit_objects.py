"""The audit log names every object (issue 17 point 5): every object type any record call writes has a resolver
in the package that owns it — the list is read from the code, not written here — and no resolver ever names
another municipality's private object."""
from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Optional

import pytest
from sqlalchemy import String, func, select

from kernel.audit import AuditEntry, resolvable_object_types, resolve_objects
from kernel.extensions import db
from tenants.context import bind_tenant
from tests.conftest import CHIYODA, KOTO, OME, ROLE_ACCOUNTS, login
from tests.factories.tenants import user

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ("kernel", "tenants", "portal", "casebook", "procurement", "awards", "workload", "community", "support")
TMG = "130001"


def _is_audit_call(func: ast.expr) -> bool:
    return isinstance(func, ast.Attribute) and func.attr in ("record", "record_always") \
        and isinstance(func.value, ast.Name) and func.value.id == "audit"


def _argument(call: ast.Call, index: int, name: str) -> Optional[ast.expr]:
    if len(call.args) > index and not any(isinstance(a, ast.Starred) for a in call.args[:index + 1]):
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == name), None)


def _constants(node: Optional[ast.expr]) -> Optional[set[Optional[str]]]:
    """The object types an argument can be (None: no object), or None when it is not a constant."""
    if node is None or (isinstance(node, ast.Constant) and node.value is None):
        return {None}
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        body, orelse = _constants(node.body), _constants(node.orelse)
        return None if body is None or orelse is None else body | orelse
    return None


def written_object_types() -> tuple[set[str], list[str]]:
    """Every object type the runtime writes — the second argument (``object_type``) of audit.record and
    record_always, also when imported by name, and of every helper that passes one of its parameters on as
    the object type (``not_found_or_denied(object_type, …)``, ``denied(kind, …)``, to any depth), resolved per
    module (a helper is one defined in the module or imported from the module that defines it) — and the calls
    whose object type is neither a constant nor such a parameter (they could write a type nobody names)."""
    modules = {}
    for pkg in RUNTIME:
        for path in (ROOT / pkg).rglob("*.py"):
            dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            modules[dotted.removesuffix(".__init__")] = (path, ast.parse(path.read_text(encoding="utf-8")))
    helpers: dict[tuple[str, str], tuple[int, str]] = {}  # (module, function) → (position, parameter)

    def targets(module: str, tree: ast.Module) -> dict[str, tuple[int, str]]:
        """The callable names of this module that write an object type, and where the type goes."""
        found = {name: (1, "object_type") for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                 and n.module == "kernel.audit" for a in n.names if a.name in ("record", "record_always")
                 for name in [a.asname or a.name]}
        for n in ast.walk(tree):
            if isinstance(n, ast.ImportFrom) and n.module:
                for a in n.names:
                    if (n.module, a.name) in helpers:
                        found[a.asname or a.name] = helpers[(n.module, a.name)]
        for (owner, name), where in helpers.items():
            if owner == module:
                found[name] = where
        return found

    def writes(call: ast.Call, names: dict[str, tuple[int, str]]) -> Optional[tuple[int, str]]:
        if _is_audit_call(call.func):
            return (1, "object_type")
        return names.get(call.func.id) if isinstance(call.func, ast.Name) else None

    grew = True
    while grew:
        grew = False
        for module, (_path, tree) in modules.items():
            names = targets(module, tree)
            for fn in ast.walk(tree):
                if not isinstance(fn, ast.FunctionDef) or (module, fn.name) in helpers:
                    continue
                params = [a.arg for a in fn.args.args]
                for call in ast.walk(fn):
                    where = writes(call, names) if isinstance(call, ast.Call) else None
                    value = _argument(call, *where) if where else None  # type: ignore[arg-type]
                    if isinstance(value, ast.Name) and value.id in params:
                        helpers[(module, fn.name)] = (params.index(value.id), value.id)
                        grew = True
                        break
    types: set[str] = set()
    unknown: list[str] = []
    for module, (path, tree) in modules.items():
        names = targets(module, tree)
        passed_on = set()  # the calls of a helper that pass its own parameter on as the object type
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef) and (module, fn.name) in helpers:
                parameter = helpers[(module, fn.name)][1]
                passed_on |= {id(c) for c in ast.walk(fn) if isinstance(c, ast.Call) and writes(c, names)
                              and isinstance(v := _argument(c, *writes(c, names)), ast.Name)  # type: ignore[misc]
                              and v.id == parameter}
        for call in ast.walk(tree):
            where = writes(call, names) if isinstance(call, ast.Call) else None
            if not where:
                continue
            possible = _constants(_argument(call, *where))  # type: ignore[arg-type]
            if possible is not None:
                types |= {t for t in possible if t is not None}
            elif id(call) not in passed_on:
                unknown.append(f"{path.relative_to(ROOT)}:{call.lineno}")  # type: ignore[attr-defined]
    return types, sorted(set(unknown))


def test_every_object_type_written_has_a_resolver(app) -> None:  # type: ignore[no-untyped-def]
    types, unknown = written_object_types()
    # The scan finds what it must (the helpers included): a scan that found nothing could not fail.
    assert len(types) > 40 and {"award_entry", "synonym", "api_token", "print_settings", "sso_signing_key",
                                "award_entry_file", "case_attachment", "award_results"} <= types
    assert not unknown, f"an object type that is not a constant cannot be checked for a resolver: {unknown}"
    missing = sorted(types - resolvable_object_types())
    assert not missing, ("register a resolver (kernel.audit.register_object_resolver) in the package that owns "
                         f"these object types: {missing}")


def test_every_permission_has_a_label() -> None:
    from tenants.audit_objects import PERMISSION_LABELS
    from tenants.roles import Permission

    assert set(PERMISSION_LABELS) == set(Permission)


# Object types that belong to one municipality: never named to a viewer of another, whatever their roles.
PRIVATE = ("case", "case_attachment", "award_entry", "award_entry_file", "casebook_adoption",
           "community_department", "community_promoter", "community_training_plan", "community_training_course",
           "procurement_declaration", "workload_round", "workload_department", "workload_own_task", "api_token",
           "sso_provider", "print_settings", "user", "support_supporter")
# … and these, except to the people whose work spans municipalities (curators, organisers, the support desk).
SHARED_WITH_TMG_STAFF = ("submission", "award_submission", "support_engagement")
VIEWERS = ("member", "tenant_admin", "other_admin", "chiyoda_cio", "curator", "operator", "supporter", "judge")


def _logged_objects(app) -> dict[str, set[tuple[str, str]]]:  # type: ignore[no-untyped-def]
    """Each tenant's logged (object type, object id) pairs, read as that tenant."""
    found = {}
    with app.app_context():
        for code in (OME, KOTO, CHIYODA, TMG):
            bind_tenant(code)
            found[code] = {(t, i) for t, i in db.session.execute(
                select(AuditEntry.object_type, AuditEntry.object_id).where(AuditEntry.object_id.is_not(None))) if t}
            db.session.remove()
        bind_tenant(None)
    return found


def _with_probes(logged: dict[str, set[tuple[str, str]]]) -> None:
    """Objects of every private kind in each municipality: the demo's, and a few ids written the other ways."""
    for code, pairs in logged.items():
        pairs |= {("sso_provider", code), ("sso_provider", f"{code}:candidate"), ("print_settings", code),
                  ("support_engagement", f"{code}:1")}


@pytest.mark.parametrize("who", VIEWERS)
def test_no_resolver_names_another_municipalitys_object(app, who: str) -> None:  # type: ignore[no-untyped-def]
    logged = _logged_objects(app)
    _with_probes(logged)
    own_tenant = ROLE_ACCOUNTS[who][0]
    with app.test_request_context("/admin/audit"):
        viewer = user(who)
        staff = viewer.tenant_id == TMG
        private = set(PRIVATE) | (set() if staff else set(SHARED_WITH_TMG_STAFF))
        foreign = sorted({pair for code, pairs in logged.items() if code != own_tenant for pair in pairs
                          if pair[0] in private})
        own = sorted(pair for pair in logged[own_tenant] if pair[0] in PRIVATE)
        assert foreign, "no other municipality's objects to try"
        named = resolve_objects(viewer, foreign)
        leaked = {pair: title for pair, (title, _url) in named.items()
                  if not (pair[0] == "user" and pair[1] == str(viewer.id))}
        assert not leaked, f"{who} of {own_tenant} sees another municipality's objects named: {leaked}"
        # The same resolvers do name the viewer's own municipality's objects (the check above can fail).
        if own:
            assert resolve_objects(viewer, own), f"{who} sees none of their own municipality's objects named"
        db.session.remove()


def test_the_owners_see_their_objects_named_and_linked(app) -> None:  # type: ignore[no-untyped-def]
    logged = _logged_objects(app)
    with app.test_request_context("/admin/audit"):
        admin = user("tenant_admin")
        named = resolve_objects(admin, sorted(logged[OME]))
        kinds = {pair[0] for pair in named}
        assert {"case", "award_entry", "community_promoter", "workload_round", "workload_department",
                "procurement_declaration", "casebook_entry", "user"} <= kinds, kinds
        assert all(title for title, _url in named.values())
        round_title = next(title for (kind, _i), (title, _u) in named.items() if kind == "workload_round")
        assert round_title.startswith("業務量調査")  # a label, in the viewer's language
        db.session.remove()
        curator = user("curator")
        named = resolve_objects(curator, sorted(logged[TMG]))
        assert {"award_programme", "award_category", "award_criterion", "award_judge", "award_score_sheet",
                "community_body", "community_meeting", "procurement_project"} <= {pair[0] for pair in named}
        sheet = next(v for (kind, _i), v in named.items() if kind == "award_score_sheet")
        assert re.match(r"E-\d{3} ", sheet[0]) and sheet[1] and sheet[1].startswith("/awards/judges/")
        db.session.remove()


def test_a_refused_probe_of_another_municipality_stays_unnamed_on_the_page(app) -> None:  # type: ignore[no-untyped-def]
    """江東区's member opens 青梅市's case by its address: the 404 is logged in 江東区, without the case's title."""
    from casebook.models import Case

    with app.app_context():
        bind_tenant(OME)
        case_id, title, action = db.session.execute(
            select(Case.id, Case.title, AuditEntry.action).join(AuditEntry, AuditEntry.object_id == func.cast(
                Case.id, String)).where(AuditEntry.object_type == "case").limit(1)).one()
        db.session.remove()
    prober = login(app.test_client(), "other_member")
    assert prober.get(f"/cases/{case_id}").status_code == 404
    page = login(app.test_client(), "other_admin").get("/admin/audit?action=access.not_found")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "<tbody>" in text
    assert title not in text and f'href="/cases/{case_id}"' not in text
    # 青梅市's own admin, by contrast, sees the case named and linked (the same resolver, the same case).
    own = login(app.test_client(), "tenant_admin").get(f"/admin/audit?action={action}").get_data(as_text=True)
    assert title in own and f'href="/cases/{case_id}"' in own
