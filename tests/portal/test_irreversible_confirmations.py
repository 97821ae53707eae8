"""The irreversible steps that asked nothing (issue 17 point 6): revoking an API token, withdrawing an award
entry, deleting the candidate SSO provider and ending a DX promoter's term. Without ``confirm=yes`` each
POST changes nothing and answers with the kernel's confirmation page (a plain form: no script needed); the
page's own form does the step; a step that would be refused is refused at once, with nothing to confirm."""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from kernel.audit import AuditEntry
from kernel.extensions import db
from tenants.context import bind_tenant
from tests.conftest import OME, login


def _hidden(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))


def _asked(response, question: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="confirmation"' in page, page[:2000]
    assert question in page and 'data-testid="confirm-cancel"' in page
    hidden = _hidden(page)
    assert hidden["confirm"] == "yes"
    return hidden


def _audited(app, tenant: str, action: str) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        bind_tenant(tenant)
        count = len(db.session.scalars(select(AuditEntry.id).where(AuditEntry.action == action)).all())
        db.session.remove()
    return count


def test_revoking_a_token_asks_first(app, client) -> None:  # type: ignore[no-untyped-def]
    from tenants.tokens import ApiToken

    login(client, "member")
    created = client.post("/profile/tokens", data={"name": "集計スクリプト", "scopes": ["casebook:read"]})
    token = re.search(r'data-testid="new-token">([^<]+)<', created.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    page = client.get("/profile/").get_data(as_text=True)
    token_id = re.search(r"/profile/tokens/(\d+)/revoke", page).group(1)  # type: ignore[union-attr]
    api = app.test_client()

    hidden = _asked(client.post(f"/profile/tokens/{token_id}/revoke"), "トークン「集計スクリプト」を失効させますか？")
    asked = client.post(f"/profile/tokens/{token_id}/revoke").get_data(as_text=True)
    assert "このトークンを使うプログラムは、今後 API を利用できなくなります。" in asked
    assert 'href="/profile/#tokens-heading"' in asked and "トークンを失効させる" in asked
    # Nothing changed: the token still works and nothing was audited.
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert _audited(app, OME, "api_token.revoke") == 0

    done = client.post(f"/profile/tokens/{token_id}/revoke", data=hidden)
    assert done.status_code == 302 and done.headers["Location"].endswith("/profile/")
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert _audited(app, OME, "api_token.revoke") == 1
    # A revoked token: nothing left to ask, nothing written again.
    again = client.post(f"/profile/tokens/{token_id}/revoke")
    assert again.status_code == 302 and _audited(app, OME, "api_token.revoke") == 1
    with app.app_context():
        bind_tenant(OME)
        assert db.session.get(ApiToken, (OME, int(token_id))).revoked_at is not None  # type: ignore[union-attr]
        db.session.remove()
    # Another person's token is not theirs to be asked about: 404, as before.
    other = app.test_client()
    login(other, "tenant_admin")
    assert other.post(f"/profile/tokens/{token_id}/revoke").status_code == 404


def test_withdrawing_an_entry_asks_first_and_a_refusal_comes_first(app, client, in_app) -> None:  # type: ignore[no-untyped-def]
    from awards.models import Entry
    from tests.factories.awards import build

    scenario = in_app(build)
    path = f"/awards/entries/{scenario.entry_own}/withdraw"
    login(client, "member")
    hidden = _asked(client.post(path), "を取り下げますか？")

    def status() -> str:
        bind_tenant(OME)
        return db.session.get(Entry, (OME, scenario.entry_own)).status  # type: ignore[union-attr]

    assert in_app(status) == "draft"
    assert client.post(path, data=hidden).status_code == 302
    assert in_app(status) == "withdrawn"
    # Withdrawn already: the step is refused at once (no question about a step that cannot happen).
    refused = client.post(path, follow_redirects=True).get_data(as_text=True)
    assert 'data-testid="confirmation"' not in refused and "この応募は取り下げできません" in refused


def test_deleting_the_candidate_provider_asks_first(app, client, in_app) -> None:  # type: ignore[no-untyped-def]
    from tenants.sso.models import SsoStandbyProvider

    def candidate() -> None:
        bind_tenant(OME)
        db.session.add(SsoStandbyProvider(tenant_id=OME, slot="candidate",
                                          settings={"issuer": "https://idp-new.ome.example.jp"}))
        db.session.flush()

    def exists() -> bool:
        bind_tenant(OME)
        return db.session.get(SsoStandbyProvider, (OME, "candidate")) is not None

    in_app(candidate)
    login(client, "tenant_admin")
    response = client.post("/admin/sso/change/discard")
    hidden = _asked(response, "候補の IdP を削除しますか？")
    assert "https://idp-new.ome.example.jp" in response.get_data(as_text=True)
    assert in_app(exists)
    assert client.post("/admin/sso/change/discard", data=hidden).status_code == 302
    assert not in_app(exists) and _audited(app, OME, "sso.candidate_discarded") == 1


def test_ending_a_promoters_term_asks_first(app, client, in_app) -> None:  # type: ignore[no-untyped-def]
    from community.models import Promoter
    from tests.community.test_talent import _roster

    ids = _roster(in_app)
    login(client, "tenant_admin")
    path = f"/community/roster/promoters/{ids['promoter']}/end"
    # A refusal first: an end date before the term started is refused at once, with nothing to confirm.
    early = client.post(path, data={"end-ended_on": "2020-01-01"}, follow_redirects=True).get_data(as_text=True)
    assert 'data-testid="confirmation"' not in early and "終了日を入力してください（任期開始より前は不可）。" in early

    def ended() -> object:
        bind_tenant(OME)
        return db.session.get(Promoter, (OME, ids["promoter"])).ended_on  # type: ignore[union-attr]

    assert in_app(ended) is None
    hidden = _asked(client.post(path, data={"end-ended_on": "2026-03-31"}), "の任期を終了しますか？")
    assert hidden["end-ended_on"] == "2026-03-31"
    assert in_app(ended) is None
    assert client.post(path, data=hidden).status_code == 302
    assert in_app(ended) == date(2026, 3, 31)
