"""Demo accounts of the development login and the run command's demo data."""
from __future__ import annotations

from tenants.models import TMG_CODE
from tenants.roles import Role
from tenants.services import NewUser

OME = "132055"  # 青梅市
KOTO = "131083"  # 江東区
CHIYODA = "131016"  # 千代田区

DEMO_USERS: tuple[NewUser, ...] = (
    NewUser(OME, "member@ome.example.jp", "青梅 花子", (Role.MEMBER,)),
    NewUser(OME, "admin@ome.example.jp", "青梅 太郎", (Role.MEMBER, Role.TENANT_ADMIN)),
    NewUser(KOTO, "member@koto.example.jp", "江東 一郎", (Role.MEMBER,)),
    NewUser(KOTO, "admin@koto.example.jp", "江東 二郎", (Role.MEMBER, Role.TENANT_ADMIN)),
    NewUser(CHIYODA, "member@chiyoda.example.jp", "千代田 三郎", (Role.MEMBER,)),
    NewUser(CHIYODA, "cio@chiyoda.example.jp", "千代田 CIO", (Role.MEMBER, Role.TENANT_ADMIN, Role.JUDGE)),
    NewUser(TMG_CODE, "curator@metro.tokyo.example.jp", "都庁 キュレーター", (Role.CURATOR,)),
    NewUser(TMG_CODE, "judge@metro.tokyo.example.jp", "都庁 審査員", (Role.JUDGE,)),
    NewUser(TMG_CODE, "operator@metro.tokyo.example.jp", "運用 担当", (Role.OPERATOR,)),
    NewUser(TMG_CODE, "supporter@metro.tokyo.example.jp", "都庁 伴走 支援", (Role.SUPPORTER,)),
    NewUser(TMG_CODE, "supporter2@metro.tokyo.example.jp", "GovTech 伴走 データ", (Role.SUPPORTER,)),
)


def load_demo_users() -> int:
    """Create the demo accounts idempotently; returns how many exist."""
    from tenants.context import as_tenant
    from tenants.services import ensure_user

    for user in DEMO_USERS:
        with as_tenant(user.tenant_code):
            ensure_user(user)
    return len(DEMO_USERS)
