from tests.sso.conftest import OME, sso_login


def test_login(app, client, two_tenants):  # type: ignore[no-untyped-def]
    idp_a, _ = two_tenants
    idp_a.set_user("alice", email="alice@ome.example.jp", name="青梅 アリス", groups=["yokoten-admins"])
    response = sso_login(client, OME, "alice")
    print(response.status_code, response.headers.get("Location"), response.get_data(as_text=True)[:2000])
    assert response.status_code == 302
    page = client.get("/")
    assert "青梅 アリス" in page.get_data(as_text=True)
