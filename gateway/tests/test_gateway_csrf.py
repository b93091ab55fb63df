"""Site forms need a CSRF token; the API (bearer tokens) does not."""
import re

import pytest
from flask import Blueprint, render_template_string, request
from flask_wtf.csrf import generate_csrf

FORM = '<form method="post"><input type="hidden" name="csrf_token" value="{{ token }}"><button>Send</button></form>'


@pytest.fixture
def client(app):
    site = Blueprint("csrf_probe_site", __name__)

    @site.route("/csrf-probe", methods=["GET", "POST"])
    def form():
        if request.method == "POST":
            return "sent"
        return render_template_string(FORM, token=generate_csrf())

    api = Blueprint("csrf_probe_api", __name__, url_prefix="/api/v1/csrf-probe")

    @api.post("/")
    def post():
        return {"accepted": True}, 202

    app.register_blueprint(site)
    app.register_blueprint(api)
    return app.test_client()


def test_site_form_posted_without_a_token_is_refused_with_a_page(client):
    response = client.post("/csrf-probe", data={"name": "x"})

    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "This form has expired" in response.get_data(as_text=True)


def test_site_form_posted_with_its_token_is_accepted(client):
    page = client.get("/csrf-probe").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    response = client.post("/csrf-probe", data={"csrf_token": token})

    assert response.status_code == 200
    assert response.get_data(as_text=True) == "sent"


def test_api_posts_need_no_csrf_token(client):
    response = client.post("/api/v1/csrf-probe/", json={})

    assert response.status_code == 202


def test_post_to_an_unknown_page_is_still_a_404(client):
    assert client.post("/no-such-form", data={}).status_code == 404
