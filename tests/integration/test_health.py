from fastapi.testclient import TestClient

from civicid.settings import Settings
from civicid.web.app import create_app


def test_health_and_typed_404(tmp_path):
    with TestClient(create_app(Settings(home=tmp_path))) as client:
        assert client.get("/api/v1/health").json()["status"] == "ok"
        assert "CivicID" in client.get("/").text
        missing = client.get("/api/v1/nothing-here")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "request.not_found"
