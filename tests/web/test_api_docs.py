"""The API's documentation for people: every operation of the OpenAPI document, on a GOV.UK
page that keeps the page conventions and loads nothing from elsewhere."""

from __future__ import annotations

from mutuals.api.api import api

from .test_page_conventions import check_conventions


def test_the_docs_list_every_operation(client, world):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    page = response.content.decode()
    check_conventions(page)
    document = api.get_openapi_schema()
    for path in document["paths"]:
        assert f">{path}</code>" in page, path
    assert "Authorization: Bearer" in page and "/api/v1/openapi.json" in page
    assert "cdn" not in page.lower() and "<script" not in page.split("</main>")[0]


def test_the_account_page_links_the_docs(client, world):
    from .test_page_conventions import _sign_in_as

    _sign_in_as(client, world, "auditor")
    assert 'href="/api/v1/docs"' in client.get("/account/").content.decode()
