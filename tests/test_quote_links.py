"""A printed quote's link cannot be guessed: the printed serial is sequential, the link's key is random."""

from __future__ import annotations

import re

from alembic import command
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from service.core import migrate
from service.core.db import make_engine
from tests.admin_support import add_user, login

FORM = {"region": "360100", "scheme": "outlet_injury", "start": "2025-01", "end": "2025-03", "headcount": "2"}
KEY = re.compile(r"/window/quote/([A-Za-z0-9_-]{32})")


def issue(client: FlaskClient) -> tuple[str, str]:
    """The link's path and the printed serial of a new quote."""
    response = client.post("/window", data={**FORM, "clerk": "王五"})
    assert response.status_code == 303
    link = response.headers["Location"]
    assert KEY.fullmatch(link), link
    page = client.get(link).get_data(as_text=True)
    serial = re.search(r'data-testid="serial">([^<]+)<', page)
    assert serial is not None
    return link, serial.group(1)


def test_the_link_of_a_quote_is_random_and_not_its_serial(client: FlaskClient) -> None:
    (first_link, first), (second_link, second) = issue(client), issue(client)
    assert re.fullmatch(r"\d{8}-\d{6}", first) and int(second[-6:]) == int(first[-6:]) + 1  # printed: sequential
    assert first not in first_link and second not in second_link
    assert first_link != second_link
    assert client.get(first_link + ".xlsx").status_code == 200


def test_the_serial_alone_opens_nothing_for_the_public(client: FlaskClient) -> None:
    _, serial = issue(client)
    for path in (f"/window/quote/{serial}", f"/window/quote/{serial}.xlsx"):
        response = client.get(path)
        assert response.status_code == 404
        assert "王五" not in response.get_data(as_text=True)


def test_a_logged_in_clerk_finds_a_quote_by_its_serial(app: Flask, client: FlaskClient) -> None:
    _, serial = issue(client)
    add_user(app, "clerk1", "clerk")
    staff = app.test_client()
    login(staff, "clerk1")
    page = staff.get(f"/window/quote/{serial}")
    assert page.status_code == 200 and serial in page.get_data(as_text=True)
    assert staff.get(f"/window/quote/{serial}.xlsx").status_code == 200


def test_quotes_issued_before_the_upgrade_get_a_key_each(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.begin() as connection:
        command.upgrade(migrate.alembic_config(connection), "0003")
        for serial in ("20261101-000001", "20261101-000002"):
            connection.execute(
                text(
                    "INSERT INTO issued_quote (serial, issued_at, clerk, request, result)"
                    " VALUES (:serial, CURRENT_TIMESTAMP, NULL, '{}', '{}')"
                ),
                {"serial": serial},
            )
    migrate.upgrade(engine)
    with engine.connect() as connection:
        keys = connection.execute(text("SELECT access_key FROM issued_quote")).scalars().all()
    assert len(keys) == 2 and len(set(keys)) == 2 and all(KEY.fullmatch(f"/window/quote/{k}") for k in keys)
