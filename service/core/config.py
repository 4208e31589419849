"""Settings from the environment. In production the app refuses to start without the ones that must be set.

Production is ``SHEBAO_ENV=production``: then ``SECRET_KEY`` (at least 32 characters, signs the
session cookies) and ``DATABASE_URL`` (the shared database, PostgreSQL) must be given, and debug
must be off. Elsewhere (a desk, a laptop, the tests) the embedded SQLite database under instance/ is
the default and a random secret key is made once and kept in ``instance/secret_key``, so that
logins survive a restart without anyone having to invent a key.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

PRODUCTION = "production"
MIN_SECRET = 32


class ConfigError(RuntimeError):
    """The app cannot start with these settings; the message says what to set."""


def is_production() -> bool:
    return os.environ.get("SHEBAO_ENV", "").strip().lower() == PRODUCTION


def from_environment(instance: Path) -> dict[str, Any]:
    secret = os.environ.get("SECRET_KEY")
    url = os.environ.get("DATABASE_URL")
    production = is_production()
    if production:
        problems = []
        if not secret or len(secret) < MIN_SECRET:
            problems.append(
                f"SECRET_KEY 须设置为至少{MIN_SECRET}个字符的随机串"
                '（例如 python3 -c "import secrets; print(secrets.token_hex(32))" 的输出）'
            )
        if not url:
            problems.append("DATABASE_URL 须设置为共享数据库的地址（例如 postgresql+psycopg://用户:密码@主机/shebao）")
        if problems:
            raise ConfigError("生产模式（SHEBAO_ENV=production）无法启动：" + "；".join(problems) + "。")
    return {
        "PRODUCTION": production,
        "SECRET_KEY": secret,  # None: a local key is made once the instance folder is known
        "DATABASE_URL": url or f"sqlite:///{instance / 'shebao.sqlite3'}",
        # How many reverse proxies stand in front of the app: their X-Forwarded-* headers are then
        # trusted, so that the audit log records the client's address rather than the proxy's.
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0") or 0),
        # the tree a new, empty database is seeded from (an export, say); unset: the bundled rates/params
        "RATES_DIR": os.environ.get("RATES_DIR") or None,
        # the issuing office printed on every counter quote (出具单位), and the public address its QR
        # code leads to when the app is reached under another name than the one the clerk's browser uses
        "QUOTE_OFFICE": os.environ.get("QUOTE_OFFICE", "").strip(),
        "QUOTE_BASE_URL": os.environ.get("QUOTE_BASE_URL", "").strip(),
        # the two caches of ``service.answer.answers`` (per parameter snapshot): answers, by number; the tier map
        # (tier tables, their years' prices and the pages' parts drawn once), by weight in KiB; 0: off
        "CALC_CACHE_SIZE": int(os.environ.get("CALC_CACHE_SIZE", "256") or 0),
        "TIERS_CACHE_SIZE": int(os.environ.get("TIERS_CACHE_SIZE", "40960") or 0),
    }


def local_secret(instance: Path) -> str:
    """The secret key of a non-production installation, made on first use and kept private."""
    path = instance / "secret_key"
    if not path.exists():
        # Workers starting together must all end up with the same key: each writes a complete file
        # of its own, and only the first to link it under the final name wins.
        draft = instance / f".secret_key.{os.getpid()}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text(encoding="ascii").strip()


def finish(app: Flask) -> None:
    """Checks and adjustments once the configuration (environment, then test_config) is complete."""
    if app.config["PRODUCTION"] and (app.debug or app.testing):
        raise ConfigError("生产模式（SHEBAO_ENV=production）不能开启调试或测试模式：请去掉 FLASK_DEBUG。")
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = local_secret(Path(app.instance_path))
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_prefix=proxies
        )
