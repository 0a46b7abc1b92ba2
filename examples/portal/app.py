"""The partner portal: the sme_approaching_hei protocol in a browser, on the just_workflow engine.

The library does the plumbing: ``jw.views`` the JSON, ``jw.forms`` each
trigger's form and the reading of what it posts, ``jw.http_status`` the
answer to every refusal, ``engine.find``/``engine.inbox`` the list pages,
``jw.diagram`` the picture. What is left here is the portal's own: who the
user is (a demo login), its routes and its templates.

Settings (environment): JW_PORTAL_STORE, the store's URL or path (default: a
SQLite file in the system's temp folder; ``postgresql://...`` runs it on
PostgreSQL); JW_PORTAL_SECRET, the key that signs the session cookie.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from pathlib import Path

import flask

import just_workflow as jw

PROTOCOL = "sme_approaching_hei"
DEFINITIONS = Path(__file__).resolve().parents[2] / "definitions"
LANGUAGES = ("en", "sk", "es", "it", "sl")
# The portal's own words in its five languages; the protocol's come from its definition.
WORDS = json.loads((Path(__file__).parent / "words.json").read_text(encoding="utf-8"))
# The demo users: two SMEs, the career services office, a department.
USERS = {
    "anna@sme-a": ("Anna (SME A)", "sme"),
    "bruno@sme-b": ("Bruno (SME B)", "sme"),
    "carla@uni": ("Carla (career services)", "career_services"),
    "dario@uni": ("Dario (informatics department)", "department"),
}


def create_app(store_url: str | None = None) -> flask.Flask:
    """The portal's WSGI app on the store at ``store_url`` (default: JW_PORTAL_STORE, else a temp SQLite file)."""
    url = store_url or os.environ.get("JW_PORTAL_STORE") or str(Path(tempfile.gettempdir()) / "jw-portal.db")
    engine = jw.Engine(jw.load_definitions(DEFINITIONS), store=jw.open_store(url))
    definition = engine.definition(PROTOCOL)
    titled = {t.trigger for t in definition.transitions} | {"invite", "remove_party", "replace_party"}
    app = flask.Flask(__name__, root_path=str(Path(__file__).parent))
    app.secret_key = os.environ.get("JW_PORTAL_SECRET", "demo only: set JW_PORTAL_SECRET")

    def actor() -> jw.Actor:
        user = flask.session.get("user")
        if user not in USERS:
            flask.abort(flask.redirect(flask.url_for("login")))
        return jw.Actor(user, role=USERS[user][1])

    def lang() -> str:
        return str(flask.session.get("lang", "en"))

    def render(template: str, status: int = 200, **values: object) -> tuple[str, int]:
        return flask.render_template(
            template,
            users=USERS,
            lang=lang(),
            languages=LANGUAGES,
            words=WORDS[lang()],
            role_title=lambda role: definition.title_of("role", role, lang()),
            state_title=lambda name: definition.title_of(
                "state", name, lang()
            ),  # the name, if newer versions dropped it
            trigger_title=lambda trigger: (
                jw.forms.schema(definition, trigger, lang=lang())["title"] if trigger in titled else trigger
            ),
            form_key=uuid.uuid4().hex,
            **values,
        ), status

    def wants_json() -> bool:
        return flask.request.accept_mimetypes.best == "application/json"

    def instance_page(instance: jw.Instance, status: int = 200, **extra: object) -> tuple[object, int]:
        me = actor()
        if wants_json():
            return jw.views.instance(instance), status
        options = engine.options(instance.id, me, lang=lang())  # reasons in the user's language
        runs_on = engine.definition(instance.protocol, instance.version)
        forms = {
            o.trigger: jw.forms.schema(runs_on, o, context=instance.context, lang=lang()) for o in options
        }
        return render(
            "instance.html",
            status,
            instance=instance,
            options=options,
            forms=forms,
            history=[jw.views.event(e) for e in engine.history(instance.id)],
            **extra,
        )

    def visible(instance: jw.Instance, me: jw.Actor) -> bool:
        return (
            definition.role_map[me.role].open
            or me.id in instance.parties.get(me.role, ())
            or any(option.allowed for option in engine.options(instance.id, me))
        )

    @app.errorhandler(jw.WorkflowError)
    def refused(error: jw.WorkflowError) -> tuple[object, int]:
        # A stale page is a failed precondition: the seq it was drawn at travels with its form.
        status = 412 if isinstance(error, jw.ConcurrencyConflict) else jw.http_status(error)
        body = jw.error_body(error)
        if isinstance(error, jw.Refusal):
            body["message"] = error.message(lang())
        instance_id = flask.request.view_args.get("instance_id") if flask.request.view_args else None
        if wants_json() or not instance_id or status in (403, 404):
            return body, status
        changed = (
            [jw.views.event(e) for e in engine.history(instance_id)[error.expected :]]
            if isinstance(error, jw.ConcurrencyConflict)
            else []
        )
        return instance_page(engine.get(instance_id), status, error=body, changed=changed)

    @app.get("/")
    def login() -> tuple[str, int]:
        return render("login.html")

    @app.post("/")
    def log_in() -> flask.Response:
        flask.session["user"] = flask.request.form["user"]
        return flask.redirect(flask.url_for("inbox"))

    @app.post("/lang")
    def set_lang() -> flask.Response:
        flask.session["lang"] = (
            flask.request.form["lang"] if flask.request.form["lang"] in LANGUAGES else "en"
        )
        return flask.redirect(flask.request.referrer or flask.url_for("inbox"))

    @app.get("/inbox")
    def inbox() -> tuple[object, int]:
        page = engine.inbox(actor(), limit=20, after=flask.request.args.get("after"))
        return (
            render("list.html", page=page, heading="inbox")
            if not wants_json()
            else (jw.views.page(page), 200)
        )

    @app.get("/instances")
    def instances() -> tuple[object, int]:
        me, state = actor(), flask.request.args.get("state") or None
        party = None if definition.role_map[me.role].open else me.id
        page = engine.find(
            protocol=PROTOCOL,
            state=state,
            party=party,
            limit=20,
            after=flask.request.args.get("after"),
            newest_first=True,
        )
        if wants_json():
            return jw.views.page(page), 200
        return render("list.html", page=page, heading="instances", state=state, states=definition.states)

    @app.post("/instances")
    def start() -> flask.Response:
        me, key = actor(), flask.request.form["key"]
        try:  # The form's key names the instance, so that a retried start finds the first one.
            engine.start(PROTOCOL, actor=me, instance_id=key)
        except jw.InstanceExists:
            if me.id not in engine.get(key).parties.get(me.role, ()):
                raise
        return flask.redirect(flask.url_for("show", instance_id=key), 303)

    @app.get("/instances/<instance_id>")
    def show(instance_id: str) -> tuple[object, int]:
        instance = engine.get(instance_id)
        if not visible(instance, actor()):
            flask.abort(403)
        return instance_page(instance)

    @app.post("/instances/<instance_id>/<trigger>")
    def fire(instance_id: str, trigger: str) -> object:
        form, me = flask.request.form, actor()
        seq, key = form.get("expected_seq"), form.get("key")
        running = engine.get(instance_id)  # its forms are those of the version it runs under
        runs_on = engine.definition(running.protocol, running.version)
        payload = jw.forms.parse(runs_on, trigger, form)  # typed values, or every bad field named
        instance = engine.fire(
            instance_id, trigger, actor=me, payload=payload, expected_seq=seq, idempotency_key=key
        )
        if wants_json():
            return jw.views.instance(instance)
        return flask.redirect(flask.url_for("show", instance_id=instance_id), 303)

    @app.get("/instances/<instance_id>/diagram.svg")
    def diagram(instance_id: str) -> flask.Response:
        instance, history = engine.get(instance_id), engine.history(instance_id)
        runs_on = engine.definition(instance.protocol, instance.version)
        svg = jw.diagram(runs_on, instance, "svg", history=history, lang=lang())  # the path taken marked
        return flask.Response(svg, mimetype="image/svg+xml")

    return app
