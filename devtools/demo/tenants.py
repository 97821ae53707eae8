"""Demo data of the tenant admin pages (issue 17.5): in 江東区, people invited by its administrator (one in
English), one whose roles changed and one who left (deactivated) — written through the services, so the
audit log of 江東区 reads as it would in use. Idempotent; runs as the owner; no mail (no SMTP in the demo
load — `make run` mails only what happens in the portal)."""
from __future__ import annotations

from sqlalchemy import select

KOTO = "131083"
ADMIN = "admin@koto.example.jp"
# (e-mail, name, roles, language of the mails)
INVITED = (
    ("fukagawa.yumi@koto.example.jp", "深川 由美", ("member",), "ja"),
    ("emily.clarke@koto.example.jp", "Emily Clarke", ("member",), "en"),
    ("toyosu.mari@koto.example.jp", "豊洲 真理", ("member",), "ja"),
)
LEAVER = ("kameido.ken@koto.example.jp", "亀戸 健")  # moved to another organisation: deactivated


def load_demo() -> str:
    """Invite, change roles and deactivate in 江東区, once."""
    from kernel.extensions import db
    from tenants.context import as_tenant
    from tenants.invitations import invite_user
    from tenants.models import User
    from tenants.services import NewUser, create_user, set_active, set_roles

    with as_tenant(KOTO):
        admin = db.session.scalar(select(User).where(User.tenant_id == KOTO, User.email == ADMIN))
        if admin is None:
            return "tenant admin demo: 江東区's administrator is missing (load the demo accounts first)"
        if db.session.scalar(select(User.id).where(User.tenant_id == KOTO, User.email == INVITED[0][0])):
            return "tenant admin demo: already loaded"
        with as_tenant(KOTO, admin.id):  # the administrator is the actor of every audit entry below
            leaver = create_user(NewUser(KOTO, LEAVER[0], LEAVER[1], ("member",)))
            invited = [invite_user(admin, email, name, set(roles), lang) for email, name, roles, lang in INVITED]
            set_roles(admin, invited[2], {"member", "judge"})  # 豊洲 真理 judges this year's DX award
            set_active(admin, leaver, False)
        db.session.flush()
    return f"tenant admin demo: {len(INVITED)} invited, 1 deactivated in 江東区"
