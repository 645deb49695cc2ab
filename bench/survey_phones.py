"""Load generator for bench/surveys.py: simulated phones sending the public citizen survey. Not a test.

Runs in its own process (Locust's gevent monkey-patches the interpreter), started by bench/surveys.py
with one JSON job as its argument; prints one JSON result line on stdout. Every phone is a Locust
`FastHttpSession` with its own cookie jar (a new device): it GETs the form (session cookie, CSRF token,
signed start stamp), and after the server's minimum time it POSTs the answers. A POST counts as
accepted only when it answers 200 with the thank-you page.

Phases (each phone is used once, so the one-per-device-per-day cookie never refuses it):
1. prefetch: every phone opens its form (so that the POST phases measure sending, as a citizen
   presses "Gửi" after reading), then one sleep of `min_seconds` + margin;
2. goal (optional): open loop: phone i sends at t0 + i / rate, whether or not earlier phones have their
   answer yet, so a slow server shows as latency and a rate below the offered one, never hidden by
   a client that waits;
3. blast: `concurrency` senders, each sending its next phone as soon as its last one is answered
   (closed loop): the most the server accepts per second; stops after `seconds`.

Job keys: base, form_path and post_path (with {code}), codes, thanks, min_seconds, rate, seconds,
goal (bool), blast (phones), concurrency, prefetch_concurrency.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402

import gevent  # noqa: E402
from gevent.pool import Pool  # noqa: E402
from locust.contrib.fasthttp import FastHttpSession  # noqa: E402
from locust.env import Environment  # noqa: E402

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
STARTED = re.compile(r'name="started" type="hidden" value="([^"]+)"')
COMMENTS = ["Cán bộ nhiệt tình, hướng dẫn rõ ràng.", "Thủ tục còn rườm rà, phải đi lại hai lần.",
            "Phòng chờ chật, nên có thêm ghế.", "Giải quyết đúng hẹn, cảm ơn phường."]


class Phone:
    """One device: its own cookie jar (a FastHttpSession), the link it scanned and the form it was shown."""

    def __init__(self, env: Environment, job: dict, code: str, rng: random.Random):
        self.session = FastHttpSession(job["base"], env.events.request, None, concurrency=1, connection_timeout=30.0,
                                       network_timeout=30.0)
        self.code = code
        self.form_path = job["form_path"].format(code=code)
        self.post_path = job["post_path"].format(code=code)
        self.fields: dict[str, str] | None = None
        self.answers = {"q_Q5": str(rng.choice([2, 3, 4, 4, 5, 5]))}
        for name in ("q_Q1", "q_Q3", "q_Q4"):
            if rng.random() < 0.9:
                self.answers[name] = str(rng.randint(1, 5))
        if rng.random() < 0.9:
            self.answers["q_Q2"] = rng.choice(["yes", "yes", "no"])
        self.answers["q_C1"] = rng.choice(COMMENTS) if rng.random() < 0.2 else ""
        self.answers["website"] = ""  # the honeypot, left empty as a person leaves it

    def fetch(self) -> tuple[int, float]:
        """GET the form; returns (HTTP status, milliseconds). Keeps the CSRF token and start stamp."""
        start = time.perf_counter()
        response = self.session.get(self.form_path, name="form")
        elapsed = (time.perf_counter() - start) * 1000
        text = (response.text or "") if response.status_code == 200 else ""
        csrf, started = CSRF.search(text), STARTED.search(text)
        if response.status_code == 200 and csrf and started:
            self.fields = {"csrf_token": csrf.group(1), "started": started.group(1)}
        return response.status_code, elapsed

    def send(self, thanks: str) -> tuple[int, float, bool]:
        """POST the answers; returns (HTTP status, milliseconds, accepted = 200 with the thank-you page)."""
        start = time.perf_counter()
        response = self.session.post(self.post_path, data={**(self.fields or {}), **self.answers}, name="send")
        elapsed = (time.perf_counter() - start) * 1000
        accepted = response.status_code == 200 and thanks in (response.text or "")
        return response.status_code, elapsed, accepted


def summary(latencies: list[float], statuses: Counter, accepted: int, seconds: float) -> dict:
    """Counts, rate and latency percentiles (ms) of one phase."""
    cuts = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) >= 2 else (latencies or [0.0]) * 99
    return {"sent": len(latencies), "accepted": accepted, "seconds": seconds, "rate": accepted / seconds if seconds else 0.0,
            "p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "statuses": {str(k): v for k, v in sorted(statuses.items())}}


def run(job: dict) -> dict:
    """Run the phases of one job against one server; returns {phase: summary}."""
    env = Environment()
    rng = random.Random(job.get("seed", 14))  # noqa: S311 - answers of simulated phones, not secrets
    codes = job["codes"]
    n_goal = int(job["rate"] * job["seconds"]) if job["goal"] else 0
    phones = [Phone(env, job, codes[i % len(codes)], rng) for i in range(n_goal + job["blast"])]
    rng.shuffle(phones)  # the load is spread over every link, not one ward after another
    result: dict = {}

    # 1. every phone opens its form
    latencies: list[float] = []
    statuses: Counter = Counter()
    start = time.perf_counter()

    def fetch(phone: Phone) -> None:
        status, ms = phone.fetch()
        latencies.append(ms)
        statuses[status] += 1

    Pool(job["prefetch_concurrency"]).map(fetch, phones)
    seconds = time.perf_counter() - start
    result["prefetch"] = summary(latencies, statuses, sum(1 for p in phones if p.fields), seconds)
    ready = [p for p in phones if p.fields]
    gevent.sleep(job["min_seconds"] + 1.2)  # the stamp counts whole seconds; one sleep covers every phone
    goal_phones, blast_phones = ready[:n_goal], ready[n_goal:]

    # 2. goal: an open-loop arrival rate
    if goal_phones:
        latencies, statuses, accepted = [], Counter(), [0]

        def send_one(phone: Phone) -> None:
            status, ms, ok = phone.send(job["thanks"])
            latencies.append(ms)
            statuses[status] += 1
            accepted[0] += ok

        start = time.perf_counter()
        greenlets = [gevent.spawn_later(i / job["rate"], send_one, phone) for i, phone in enumerate(goal_phones)]
        gevent.joinall(greenlets)
        result["goal"] = summary(latencies, statuses, accepted[0], time.perf_counter() - start)
        result["goal"]["offered"] = job["rate"]

    # 3. blast: as fast as the server answers, `concurrency` at a time, for at most `seconds`
    if blast_phones:
        latencies, statuses, accepted = [], Counter(), [0]
        queue = iter(blast_phones)
        deadline = time.perf_counter() + job["seconds"]

        def sender() -> None:
            for phone in queue:
                if time.perf_counter() > deadline:
                    return
                status, ms, ok = phone.send(job["thanks"])
                latencies.append(ms)
                statuses[status] += 1
                accepted[0] += ok

        start = time.perf_counter()
        gevent.joinall([gevent.spawn(sender) for _ in range(job["concurrency"])])
        result["blast"] = summary(latencies, statuses, accepted[0], time.perf_counter() - start)
        result["blast"]["concurrency"] = job["concurrency"]
    return result


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.argv[1]))))
