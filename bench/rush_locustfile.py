"""Locust users for the self-selection rush (run through bench/rush_run.py, which starts gunicorn).

* RushUser   — a teacher with an API token: POST /api/v1/delivery/offerings/<random>/take/ (a seat, or a place on
               the waitlist when full); then, with BENCH_CANCEL=1, gives it back (POST …/seats/<id>/cancel/), which
               promotes the first waitlisted teacher in the same transaction. Keeps the write path busy for a
               sustained measurement instead of letting everyone reach the cap after two requests.
* PingUser   — the same token against /bench/ping-api/ (authentication and role check, no work): the ceiling.
* PlainUser  — /bench/ping/, a plain Django view through the middleware stack.
* BurstUser, BurstPingUser, BurstPlainUser, BurstWriteUser — the rush's shape (every user makes two requests and
               is done) against the seat endpoint, the two trivial views and the durable-write floor.

BENCH_WAIT="a-b" sets each user's think time in seconds (default 0: every user sends its next request as soon as
the last one is answered, which measures the server's throughput).
"""

from __future__ import annotations

import json
import os
import random
from itertools import count
from pathlib import Path

from locust import FastHttpUser, between, constant, task
from locust.exception import StopUser

WORLD = json.loads((Path(__file__).resolve().parent / "out" / "rush_world.json").read_text())
_next = count()


def _wait():
    spec = os.environ.get("BENCH_WAIT", "0")
    if "-" in spec:
        low, high = (float(x) for x in spec.split("-"))
        return between(low, high)
    return constant(float(spec))


class _TokenUser(FastHttpUser):
    abstract = True
    wait_time = _wait()
    connection_timeout = 60.0
    network_timeout = 60.0

    once = False  # a user that makes its requests and is done: never reuse someone else's token

    def on_start(self) -> None:
        index = next(_next)
        if self.once and index >= len(WORLD["tokens"]):
            raise StopUser()  # locust replaces finished users while still spawning: there is nobody left
        token = WORLD["tokens"][index % len(WORLD["tokens"])]
        self.headers = {"Authorization": f"Token {token}", "Accept": "application/json"}


class RushUser(_TokenUser):
    @task
    def take(self) -> None:
        offering = random.choice(WORLD["offerings"])
        with self.client.post(f"/api/v1/delivery/offerings/{offering}/take/", headers=self.headers,
                              name="take", catch_response=True) as response:
            # 200: a seat or a waitlist place; 400: a refusal the teacher sees (cap reached). Both are answers.
            if response.status_code in (200, 400):
                response.success()
            else:
                response.failure(f"HTTP {response.status_code}")
                return
            seat = response.json() if response.status_code == 200 else None
        if seat and os.environ.get("BENCH_CANCEL") == "1":
            with self.client.post(f"/api/v1/delivery/seats/{seat['id']}/cancel/", headers=self.headers,
                                  name="cancel", catch_response=True) as response:
                if response.status_code in (200, 400):
                    response.success()
                else:
                    response.failure(f"HTTP {response.status_code}")


class BurstUser(_TokenUser):
    """The rush itself: a teacher chooses an offering, then a second one (the cap is two), then is done."""

    once = True
    done = 0

    @task
    def take(self) -> None:
        if self.done >= 2:
            raise StopUser()
        offering = random.choice(WORLD["offerings"])
        with self.client.post(f"/api/v1/delivery/offerings/{offering}/take/", headers=self.headers,
                              name="take", catch_response=True) as response:
            if response.status_code == 200:
                response.success()
                self.done += 1
            elif response.status_code == 400:
                response.success()  # a refusal the teacher reads (e.g. the cap): an answer, and they stop
                self.done = 2
            else:
                response.failure(f"HTTP {response.status_code}")
                raise StopUser()


class _BurstOfPings(_TokenUser):
    """The burst's shape against a trivial view: two requests per user, then done."""

    abstract = True
    once = True
    done = 0
    path = name = ""
    with_token = True

    @task
    def ping(self) -> None:
        if self.done >= 2:
            raise StopUser()
        self.client.get(self.path, headers=self.headers if self.with_token else None, name=self.name)
        self.done += 1


class BurstPingUser(_BurstOfPings):
    """Against the trivial API view (the token's authentication and role check)."""

    path, name = "/bench/ping-api/", "ping-api"


class BurstPlainUser(_BurstOfPings):
    """Against the plain Django view."""

    path, name, with_token = "/bench/ping/", "ping", False


class BurstWriteUser(_BurstOfPings):
    """Against the plain view plus one durable INSERT: the floor of any take that writes before it answers."""

    path, name, with_token = "/bench/ping-write/", "ping-write", False


class PingUser(_TokenUser):
    @task
    def ping(self) -> None:
        self.client.get("/bench/ping-api/", headers=self.headers, name="ping-api")


class PlainUser(_TokenUser):
    @task
    def ping(self) -> None:
        self.client.get("/bench/ping/", name="ping")
