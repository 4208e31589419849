"""Hostile admin uploads (issue 12): broken or lying zips and deeply nested YAML are 4xx in Chinese, never 500s."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from rates.loader import BUNDLED
from service import create_app
from tests.admin_support import add_user, login

MEMBER = "360000/avg_wage.yaml"


@pytest.fixture
def admin(tmp_path: Path) -> FlaskClient:
    app: Flask = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'up.sqlite3'}"})
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a 500 shows as a 500, not as a test error
    add_user(app, "admin1")
    client = app.test_client()
    login(client, "admin1")
    return client


def upload(client: FlaskClient, data: bytes, name: str, **form: str) -> tuple[int, str]:
    response = client.post(
        "/admin/upload", data={"file": (io.BytesIO(data), name), **form}, content_type="multipart/form-data"
    )
    return response.status_code, response.get_data(as_text=True)


def one_member_zip(compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        archive.writestr(MEMBER, (BUNDLED / MEMBER).read_text(encoding="utf-8"))
    return buffer.getvalue()


def patch_headers(data: bytes, offset_in_header: int, fmt: str, value: int) -> bytes:
    """Set a field in both the local and the central header of the single member."""
    out = bytearray(data)
    local = out.find(b"PK\x03\x04")
    central = out.find(b"PK\x01\x02")
    # the same field sits 2 bytes further on in the central header (it has "version made by" first)
    struct.pack_into(fmt, out, local + offset_in_header, value)
    struct.pack_into(fmt, out, central + offset_in_header + 2, value)
    return bytes(out)


def bad_crc() -> bytes:
    data = bytearray(one_member_zip())
    start = data.find(b"values:")
    data[start] ^= 0x20  # one byte of the member changed: its CRC-32 no longer matches
    return bytes(data)


def lying_size() -> bytes:
    # the uncompressed size says 10 bytes; the deflated member holds far more
    return patch_headers(one_member_zip(zipfile.ZIP_DEFLATED), 22, "<I", 10)


def encrypted() -> bytes:
    return patch_headers(one_member_zip(), 6, "<H", 0x1)  # general-purpose flag bit 0: encrypted


def unknown_method() -> bytes:
    return patch_headers(one_member_zip(), 8, "<H", 99)  # compression method 99 (AES), not supported


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (bad_crc, "已损坏"),
        (lying_size, "已损坏"),
        (encrypted, "加密"),
        (unknown_method, "压缩方式"),
    ],
)
def test_a_broken_zip_is_refused_in_chinese(admin: FlaskClient, make: object, words: str) -> None:
    status, page = upload(admin, make(), "export.zip")  # type: ignore[operator]
    assert status == 422, page[:500]
    assert MEMBER in page and words in page


def test_yaml_nested_50000_deep_is_refused_in_chinese(admin: FlaskClient) -> None:
    data = ("values: " + "[" * 50_000 + "]" * 50_000 + "\n").encode()
    status, page = upload(admin, data, "avg_wage.yaml", region="360000", family="avg_wage")
    assert status == 422, page[:500]
    assert "嵌套层数过多" in page


def test_yaml_nested_50000_deep_in_a_zip_is_refused_in_chinese(admin: FlaskClient) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MEMBER, "values: " + "{a: " * 50_000 + "}" * 50_000 + "\n")
    status, page = upload(admin, buffer.getvalue(), "export.zip")
    assert status == 422 and "嵌套层数过多" in page and MEMBER in page


def alias_bomb() -> bytes:
    """About 580 bytes ("billion laughs"): nine levels of nine aliases each, 9**9 strings once walked."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        lines.append(f"a{level}: &a{level} [" + ",".join([f"*a{level - 1}"] * 9) + "]")
    lines.append("values: *a9")
    return ("\n".join(lines) + "\n").encode()


def test_a_yaml_alias_bomb_is_refused_in_chinese(admin: FlaskClient) -> None:
    data = alias_bomb()
    assert len(data) < 700
    status, page = upload(admin, data, "avg_wage.yaml", region="360000", family="avg_wage")
    assert status == 422, page[:500]
    assert "锚点或别名" in page and "第1行" in page


def test_a_yaml_alias_bomb_in_a_zip_is_refused_naming_the_member(admin: FlaskClient) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MEMBER, alias_bomb())
    status, page = upload(admin, buffer.getvalue(), "export.zip")
    assert status == 422, page[:500]
    assert "锚点或别名" in page and MEMBER in page


def test_a_single_alias_is_refused_too(admin: FlaskClient) -> None:
    """Even a harmless-looking alias: the format has no use for them, and a budget would be a guess."""
    text = (BUNDLED / MEMBER).read_text(encoding="utf-8").replace("values:", "x: &r 1\nvalues:", 1)
    status, page = upload(admin, text.encode(), "avg_wage.yaml", region="360000", family="avg_wage")
    assert status == 422 and "锚点或别名" in page


def test_the_loader_refuses_aliases_before_building_anything(tmp_path: Path) -> None:
    import yaml

    from rates.loader import AliasRefused, read_yaml

    path = tmp_path / "bomb.yaml"
    path.write_bytes(alias_bomb())
    with pytest.raises(AliasRefused):
        read_yaml(path)
    assert issubclass(AliasRefused, yaml.YAMLError)  # the loader's callers report it as a broken file
