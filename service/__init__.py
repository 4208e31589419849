"""The Flask service: an app factory and one blueprint per feature."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Flask

from service.core import codec, config

ROOT = Path(__file__).resolve().parent.parent


def feature_blueprints() -> list[Blueprint]:
    """The page and feature blueprints (the JSON API registers itself through flask-smorest)."""
    from service.admin import due, trust
    from service.admin import views as admin
    from service.core import display
    from service.counter import checks
    from service.counter import views as counter
    from service.outlets import views as outlets
    from service.pages import coverage, parameter_pages
    from service.pages import views as pages
    from service.pension import benefit_page

    return [
        pages.bp,
        counter.bp,
        checks.bp,
        parameter_pages.bp,
        outlets.bp,
        admin.bp,
        due.bp,
        trust.bp,
        coverage.bp,
        benefit_page.pages_bp,
        display.bp,
    ]


def api_blueprints() -> list[Blueprint]:
    """The JSON blueprints registered after the public API's own (flask-smorest documents them all)."""
    from service.admin import api as admin_api
    from service.pension import views as pension

    return [admin_api.blp, pension.blp]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(
        **config.from_environment(Path(app.instance_path)),
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
    )
    app.json = codec.Provider(app)  # one JSON encoder for the answers and jsonify alike
    app.jinja_environment = codec.Environment  # type: ignore[misc]  # templates read answers' keys directly
    if test_config is not None:
        app.config.from_mapping(test_config)
    config.finish(app)

    from service.api import views as api
    from service.core import auth, cli, db, errors, logs, security

    logs.install()

    db.init_app(app)
    from service.outlets import jobs

    jobs.init_app(app)
    rest = api.init_app(app)
    for blueprint in api_blueprints():
        rest.register_blueprint(blueprint)
    api.finish(app, rest)
    for blueprint in feature_blueprints():
        app.register_blueprint(blueprint)
    errors.init_app(app)  # after the API: flask-smorest registers error handlers of its own
    cli.init_app(app)
    auth.init_app(app)
    security.init_app(app)
    return app
