def test_home_page_tells_a_candidate_what_certtrack_is(client):
    response = client.get("/")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>Your certifications, in one place</h1>" in page
    assert "Getting started" in page
    assert 'lang="en"' in page and 'href="#content"' in page


def test_navigation_lists_only_pages_that_exist(client, app):
    page = client.get("/").get_data(as_text=True)
    nav = page[page.index('<nav aria-label="Main"'):page.index("</nav>")]

    # Logged out: Home and the login page (the candidate's pages appear once logged in).
    assert nav.count("<li>") == 2
    assert '<a href="/" aria-current="page">Home</a>' in nav
    assert '<a href="/login">Log in</a>' in nav


def test_every_link_on_the_home_page_works(client):
    import re

    page = client.get("/").get_data(as_text=True)
    links = set(re.findall(r'(?:href|src)="(/[^"#]*)"', page))

    assert links
    for link in links:
        assert client.get(link).status_code == 200, link


def test_pages_are_served_with_defensive_headers(client):
    headers = client.get("/").headers

    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_api_answers_are_not_cached(client):
    assert client.get("/api/v1/openapi.json").headers["Cache-Control"] == "no-store"
