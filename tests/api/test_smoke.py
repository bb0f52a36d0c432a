async def test_health_reports_every_component_ok(client):
    response = await client.get("/debug/health/")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "components": {"postgres": "ok", "redis": "ok", "broker": "ok"},
    }
