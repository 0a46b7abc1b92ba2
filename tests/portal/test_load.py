"""A bounded load on the partner portal over two gunicorn workers: no 5xx, nothing lost, the chain verifies.

Eight clients, each a session of its own, read an instance, fire on it
with the seq they read and an idempotency key, and send the same fire
again as a retry would, on instances shared between them (so that stale
forms meet), with a work list read now and then. A fixed number of
requests: the test stops by itself. Every acknowledged fire must then be
in the history at the seq its answer gave, exactly once, and the store's
chains verify.
"""

from __future__ import annotations

import collections
import http.client
import json
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest

import just_workflow as jw

from .conftest import PORTAL

CLIENTS = 8
ROUNDS = 100  # each round: one read, one fire, its retry; a work list every fifth round
INSTANCES = 6


class Client:
    """One browser session of the portal's JSON answers: its own cookie, its own connection per request."""

    def __init__(self, url: str, user: str) -> None:
        self.host, self.port = urllib.parse.urlsplit(url).netloc.split(":")
        status, headers, _ = self.call("POST", "/", {"user": user})
        assert status == 302, status
        self.cookie = headers["Set-Cookie"].split(";")[0]

    def call(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(self.host, int(self.port), timeout=60)
        headers = {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"}
        if hasattr(self, "cookie"):
            headers["Cookie"] = self.cookie
        try:
            connection.request(method, path, urllib.parse.urlencode(form or {}), headers)
            answer = connection.getresponse()
            return answer.status, dict(answer.getheaders()), answer.read()
        finally:
            connection.close()

    def json(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, dict[str, object]]:
        status, _, body = self.call(method, path, form)
        return status, json.loads(body)


def test_a_few_thousand_requests_lose_nothing(
    portal: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    url, store = portal
    anna, carla = Client(url, "anna@sme-a"), Client(url, "carla@uni")
    ids = []
    for _ in range(INSTANCES):
        key = uuid.uuid4().hex
        assert anna.call("POST", "/instances", {"key": key})[0] == 303
        contact = {"expected_seq": "1", "purpose": "traineeships"}
        assert anna.json("POST", f"/instances/{key}/contact_career_services", contact)[0] == 200
        status, _ = carla.json(
            "POST", f"/instances/{key}/route_request", {"expected_seq": "2", "departments": "it"}
        )
        assert status == 200
        ids.append(key)

    statuses: collections.Counter[int] = collections.Counter()
    acknowledged: list[tuple[str, int, str]] = []  # (instance, seq of the event, the interest fired)
    lock = threading.Lock()

    def client(number: int) -> None:
        me = Client(url, "anna@sme-a")
        seen, acks = collections.Counter[int](), []
        for round_ in range(ROUNDS):
            instance = ids[(number + round_) % INSTANCES]
            status, view = me.json("GET", f"/instances/{instance}")
            seen[status] += 1
            interest = f"client {number} round {round_}"
            form = {
                "expected_seq": str(view["seq"]),
                "short_term_ambitions": interest,
                "medium_term_ambitions": "joint teaching",
                "forms": "traineeships",
                "key": uuid.uuid4().hex,
            }
            first = me.json("POST", f"/instances/{instance}/define_interest", form)
            retry = me.json("POST", f"/instances/{instance}/define_interest", form)
            seen[first[0]] += 1
            seen[retry[0]] += 1
            if first[0] == 200:
                assert retry == first  # the retry answers what the first did, and writes nothing
                acks.append((instance, int(str(first[1]["seq"])), interest))
            if round_ % 5 == 0:
                seen[me.call("GET", "/inbox")[0]] += 1
        with lock:
            statuses.update(seen)
            acknowledged.extend(acks)

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    requests = sum(statuses.values())
    with capsys.disabled():  # the figures show in every run's output, CI's included
        print(
            f"\nportal load: {requests} requests by {CLIENTS} clients over 2 workers in {seconds:.1f} s "
            f"({requests / seconds:.0f} requests/s); statuses {dict(sorted(statuses.items()))}; "
            f"{len(acknowledged)} fires acknowledged"
        )

    assert requests >= 2000
    assert set(statuses) <= {200, 412}, statuses  # no 5xx; a stale form is the only refusal
    assert acknowledged
    engine = jw.Engine(
        jw.load_definitions(PORTAL.parents[1] / "definitions"), store=jw.open_store(str(store))
    )
    fired = collections.Counter()
    for instance in ids:
        for event in engine.history(instance):
            if event.trigger == "define_interest":
                fired[(instance, event.seq, event.payload["short_term_ambitions"])] += 1
    assert fired == collections.Counter(acknowledged)  # every acknowledged fire stored, once; nothing else
    report = engine.verify()
    assert report.ok, report.problems
