"""Settings: production refuses to start without its settings; a desk installation needs none."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from service import create_app
from service.core.config import ConfigError, local_secret

GOOD_SECRET = "0123456789abcdef" * 4


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("SHEBAO_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    return monkeypatch


def test_production_refuses_to_start_without_a_secret_key(production: pytest.MonkeyPatch, tmp_path: Path) -> None:
    production.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite3'}")
    with pytest.raises(ConfigError, match="SECRET_KEY") as error:
        create_app()
    assert "DATABASE_URL" not in str(error.value)


def test_production_refuses_a_short_secret_key(production: pytest.MonkeyPatch, tmp_path: Path) -> None:
    production.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite3'}")
    production.setenv("SECRET_KEY", "dev")
    with pytest.raises(ConfigError, match="至少32个字符"):
        create_app()


def test_production_refuses_to_start_without_a_database_url(production: pytest.MonkeyPatch) -> None:
    production.setenv("SECRET_KEY", GOOD_SECRET)
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        create_app()


def test_production_refuses_debug(production: pytest.MonkeyPatch, tmp_path: Path) -> None:
    production.setenv("SECRET_KEY", GOOD_SECRET)
    production.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite3'}")
    with pytest.raises(ConfigError, match="调试"):
        create_app({"DEBUG": True})


def test_production_with_its_settings_starts_with_secure_cookies(
    production: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    production.setenv("SECRET_KEY", GOOD_SECRET)
    production.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite3'}")
    app = create_app()
    assert app.config["SECRET_KEY"] == GOOD_SECRET and app.config["PRODUCTION"]
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert not app.debug
    answer = app.test_client().get("/no-such-page")
    assert answer.status_code == 404 and "Traceback" not in answer.get_data(as_text=True)


def test_a_desk_installation_makes_its_secret_key_once(tmp_path: Path) -> None:
    first = local_secret(tmp_path)
    assert len(first) == 64 and local_secret(tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # readable by its owner only


def test_without_a_secret_key_the_app_uses_the_kept_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SHEBAO_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'd.sqlite3'}"})
    assert app.config["SECRET_KEY"] == local_secret(Path(app.instance_path)) != "dev"


def test_behind_a_trusted_proxy_the_client_address_is_the_forwarded_one(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "TRUSTED_PROXIES": 1})
    seen: list[str | None] = []

    @app.get("/_address")
    def address() -> str:
        from flask import request

        seen.append(request.remote_addr)
        return "ok"

    app.test_client().get("/_address", headers={"X-Forwarded-For": "203.0.113.7"})
    assert seen == ["203.0.113.7"]


def test_workers_starting_together_share_one_secret_key(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from service.core.config import local_secret; "
        "print(local_secret(Path(sys.argv[1])))"
    )
    root = Path(__file__).resolve().parent.parent
    workers = [
        subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], cwd=root, stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    keys = {worker.communicate(timeout=60)[0].strip() for worker in workers}
    assert keys == {local_secret(tmp_path)} and len(keys.pop()) == 64
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret_key"]  # no drafts left behind
