def test_health(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


def test_secretary_home_in_chinese(as_user):
    c = as_user("secretary")
    r = c.get("/")
    assert r.status_code == 200
    assert "振兴路社区红色议事驿站" in r.text
