"""Login CSRF and friends: a state-changing request from another site is refused before any
handler runs, on every route that can set or use the session cookie; clients without cookies
(partners, relying parties' back ends) send no Origin and keep working."""

from __future__ import annotations

from tests.integration.web.asgi import call, unsafe_routes
from tests.integration.web.conftest import PUBLIC_URL

# Cross-site by design, and none of them reads or sets the session cookie on a cross-site request
# (it is SameSite=Lax): OIDC Core §3.1.2.1 (authorization request by POST), RFC 6749 §3.2
# (token), OIDC Core §5.3 (userinfo), RP-Initiated Logout 1.0 §2 (logout by POST).
PROTOCOL_ENDPOINTS = {("POST", "/oauth2/authorize"), ("POST", "/oauth2/token"), ("POST", "/oauth2/userinfo"),
                      ("POST", "/oauth2/logout")}
CROSS_SITE = [
    {"origin": "https://evil.example", "sec-fetch-site": "cross-site"},
    {"origin": "https://evil.example"},  # a browser without Fetch Metadata
    {"sec-fetch-site": "cross-site"},
    {"origin": "null"},  # a sandboxed frame or a data: URL
    {"origin": "http://sub.localhost:8000", "sec-fetch-site": "same-site"},  # same site is not same origin
]
SAME_ORIGIN = [
    {"origin": PUBLIC_URL, "sec-fetch-site": "same-origin"},
    {"origin": PUBLIC_URL},
    {"sec-fetch-site": "same-origin"},
    {"origin": "http://localhost:8000", "sec-fetch-site": "none"},
    {},  # API clients: no Origin, no Fetch Metadata
]
MULTIPART = ("content-type", "multipart/form-data; boundary=frame")


def test_a_cross_site_frame_upload_is_refused_before_the_handler(client):
    """The review's case: a cross-site multipart POST of recovery (or enrolment) frames."""
    for path in ("/api/v1/recovery/x/frames", "/api/v1/enrolments/x/frames"):
        reply = call(client.app, "POST", path, headers=[("origin", "https://evil.example"),
                                                        ("sec-fetch-site", "cross-site"), MULTIPART],
                     chunks=[b"--frame--\r\n"])
        assert (reply.status, reply.code, reply.pulled) == (403, "request.cross_origin", 0), path
        assert "set-cookie" not in reply.headers


def test_every_state_changing_route_refuses_other_sites(client):
    routes = [route for route in unsafe_routes(client.app) if route not in PROTOCOL_ENDPOINTS]
    assert ("POST", "/api/v1/signout") in routes and ("DELETE", "/api/v1/me/consents/x") in routes
    for method, path in routes + [("POST", "/demo-rp/logout")]:
        for headers in CROSS_SITE:
            reply = call(client.app, method, path, headers=[*headers.items(), MULTIPART])
            assert (reply.status, reply.code) == (403, "request.cross_origin"), (method, path, headers)


def test_same_origin_requests_and_clients_without_cookies_pass(client):
    for method, path in unsafe_routes(client.app):
        for headers in SAME_ORIGIN:
            reply = call(client.app, method, path, headers=[*headers.items(), MULTIPART])
            assert reply.code != "request.cross_origin", (method, path, headers)


def test_protocol_endpoints_take_cross_site_posts(client):
    for method, path in PROTOCOL_ENDPOINTS:
        reply = call(client.app, method, path, headers=[("origin", "https://forum.example"),
                                                        ("sec-fetch-site", "cross-site"),
                                                        ("content-type", "application/x-www-form-urlencoded")])
        assert reply.code != "request.cross_origin", (method, path)


def test_safe_methods_are_not_checked(client):
    reply = client.get("/signin", headers={"origin": "https://evil.example", "sec-fetch-site": "cross-site"})
    assert reply.status_code == 200
