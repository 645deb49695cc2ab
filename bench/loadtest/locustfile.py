"""Simulated officials, reviewers and viewers for `make loadtest` (bench/loadtest/run.py). Not a test.

Every user is a browser: it opens /login, sends the form with its CSRF token, and from then on opens pages and
sends the forms those pages carry (the CSRF token and the questionnaire's `version` read from the page it just
opened, files as multipart/form-data, POST → 302 → GET as a browser follows a redirect).

- Official: logs in, opens the questionnaire and saves groups through the group page's form
  (`ind_<code>` values, `ind_<code>_explanation`, `ind_<code>_files`, `version`, `go`). Profile "rush": every group
  once, in order, each with its answers and one small PDF, then the confirmation page and "Gửi"; once, right after
  its first save, it sends group 1 again with the version the page had BEFORE that save: a deliberate stale save,
  which must answer 409 (its own row in the figures; any other answer is an error). Profile "mixed": opens the
  overview and a random group and saves it, over and over, until the run ends (a file with one save in four, a
  deliberate stale save with one in twenty); never submits.
- Reviewer (rush only): the queue filtered to "submitted", then one of its own submissions (id modulo the number of
  reviewers, so two reviewers never appraise the same one): the review page, "Đồng ý" on every indicator with
  "Duyệt", the confirmation page and its POST (or, when the page shows a score below the pass mark, which the app
  refuses to approve, "không chấp thuận" with a reason).
- Viewer: report pages (plan, funnel, ranking, weakest, heatmap, trend) of the campaign's set and year.

What every official's successful saves stored (value and explanation as typed, per indicator; the number of files)
is recorded here, per user, for the integrity check after the run (run.py compares it with the database). A save
that failed otherwise than with the expected answer marks its user "uncertain" (it may or may not have been stored);
a save still waiting for its answer when the run ended is kept as "in_flight" (either outcome is then correct).

The job (JSON, path in LOADTEST_JOB) comes from run.py: base, profile, year, campaign_id, set_code, groups
[{code, indicators: [{code, field, type, options}]}], officials [{username, unit_id}], reviewers, viewers
[usernames], password, wait [min, max] seconds, stale_every (mixed profile), results (path of the JSON written at
the end). Run by run.py as `python locustfile.py` (Locust's library API: one process, gevent); it also works with
`locust -f bench/loadtest/locustfile.py --headless ...` and LOADTEST_JOB set.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402
from itertools import count  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
from locust import FastHttpUser, between, events, task  # noqa: E402
from locust.exception import StopUser  # noqa: E402
from urllib3 import encode_multipart_formdata  # noqa: E402

JOB: dict = json.loads(Path(os.environ["LOADTEST_JOB"]).read_text(encoding="utf-8")) if os.environ.get("LOADTEST_JOB") else {}
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
VERSION = re.compile(r'name="version"[^>]*value="(-?\d*)"')
REVIEW_LINK = re.compile(r'href="/review/(\d+)"')
#: The approve confirmation page's score line when the appraised score is below the pass mark ("… · Chưa đạt").
SCORE_FAILED = re.compile(r'class="rv-confirm-score">[^<]*Chưa đạt')
REPORTS = ("plan", "funnel", "ranking", "weakest", "heatmap", "trend")
#: The request names of a deliberate stale save (its 409 is counted apart, never as an error).
STALE = "save group (stale version → 409, deliberate)"


def pdf_bytes(tag: str, size: int = 3 * 1024) -> bytes:
    """A small PDF (a few KB) the upload check accepts: a header, one object, a trailer, padded with a comment."""
    body = f"%PDF-1.4\n1 0 obj<< /Title ({tag}) >>endobj\ntrailer<< /Root 1 0 R >>\n".encode()
    return body + b"%" * max(0, size - len(body) - 6) + b"\n%%EOF"


#: Shared by every simulated user of this process (gevent: one thread, no locks needed).
STATE: dict = {
    # username → {"unit_id", "values": {indicator code: [raw, explanation]}, "files": n, "uncertain": [reasons],
    #             "in_flight": the save sent and not yet answered when the run ended ({"values", "file"}) or None}
    "sent": {},
    "officials_done": 0, "submitted": 0, "submit_failed": 0, "approved": 0, "review_failed": 0, "reviewed": set(),
    "conflicts_deliberate": 0,
}
_accounts = {"official": iter(JOB.get("officials", [])), "reviewer": iter(enumerate(JOB.get("reviewers", []))),
             "viewer": iter(JOB.get("viewers", []))}
_save_serial = count(1)


def _value(ind: dict, rng: random.Random) -> str:
    """What an official types for one indicator (Vietnamese number format: "87,5")."""
    kind = ind["type"]
    if kind == "boolean":
        return rng.choice(["yes", "yes", "yes", "no"])
    if kind == "percent":
        return f"{rng.randint(60, 99)},{rng.randint(1, 9)}" if rng.random() < 0.5 else str(rng.randint(60, 100))
    if kind in ("count", "number"):
        return str(rng.randint(0, 12))
    if kind == "choice":
        return str(rng.choice(ind["options"])["value"])
    return rng.choice(["Đã thực hiện đầy đủ, có biên bản kèm theo.", "Thực hiện một phần; đang hoàn thiện hồ sơ."])


class Browser(FastHttpUser):
    """A logged-in browser: page helpers shared by the three roles."""

    abstract = True
    host = JOB.get("base")
    wait_time = between(*JOB.get("wait", [1, 3]))
    connection_timeout = 60.0
    network_timeout = 120.0

    def login(self, username: str) -> bool:
        """Open /login and send the form; True when the app answered 302 (logged in)."""
        page = self.client.get("/login", name="login page")
        token = CSRF.search(page.text or "")
        with self.client.post("/login", data={"csrf_token": token.group(1) if token else "", "username": username,
                                              "password": JOB["password"]}, name="login", allow_redirects=False,
                              catch_response=True) as response:
            if response.status_code != 302:
                response.failure(f"login answered {response.status_code}")
                return False
        self.client.get("/", name="home after login")
        return True

    def page(self, path: str, name: str) -> tuple[str, str | None, str | None]:
        """GET a page; returns (html, csrf token, version) ("" and None when it did not answer 200)."""
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{name} answered {response.status_code}")
                return "", None, None
            text = response.text or ""
        token, version = CSRF.search(text), VERSION.search(text)
        return text, token.group(1) if token else None, version.group(1) if version else None


class Official(Browser):
    """One commune official (own unit): see the module docstring for the flows of the two profiles."""

    fixed_count = len(JOB.get("officials", []))

    def on_start(self) -> None:
        account = next(_accounts["official"], None)
        if account is None:
            raise StopUser()
        self.username, self.unit_id = account["username"], account["unit_id"]
        self.rng = random.Random(self.username)  # noqa: S311 - simulated answers, not secrets
        self.base = f"/assessments/{JOB['campaign_id']}/{self.unit_id}"
        self.record = STATE["sent"].setdefault(self.username, {"unit_id": self.unit_id, "values": {}, "files": 0, "uncertain": [],
                                                                   "in_flight": None})
        if not self.login(self.username):
            self.record["uncertain"].append("login failed")
            self._finish()

    def _finish(self) -> None:
        STATE["officials_done"] += 1
        raise StopUser()

    def _fields(self, group: dict, token: str, version: str, go: str, with_file: bool) -> tuple[list, dict]:
        """The group form as a browser sends it: (multipart fields, what was typed per indicator code)."""
        serial = next(_save_serial)
        fields: list = [("csrf_token", token), ("version", version), ("go", go)]
        typed: dict[str, list[str]] = {}
        for n, ind in enumerate(group["indicators"]):
            raw = _value(ind, self.rng)
            explanation = f"Giải trình của {self.username}, lần lưu {serial}: đã rà soát số liệu và biên bản."
            typed[ind["code"]] = [raw, explanation]
            fields += [(ind["field"], raw), (ind["field"] + "_explanation", explanation)]
            if with_file and n == 0:
                name = f"minh-chung-{self.username}-{serial}.pdf"
                fields.append((ind["field"] + "_files", (name, pdf_bytes(name), "application/pdf")))
            else:
                fields.append((ind["field"] + "_files", ("", b"", "application/octet-stream")))  # an empty file input
        return fields, typed

    def save(self, group: dict, token: str, version: str, go: str, with_file: bool, *, stale: bool = False) -> str | None:
        """POST the group form; returns the redirect's target on 302, else None. Records what a successful save stored."""
        fields, typed = self._fields(group, token, version, go, with_file)
        body, content_type = encode_multipart_formdata(fields)
        path = f"{self.base}/groups/{group['code']}"
        if not stale:  # until its answer arrives, this save may or may not be stored (the run may end meanwhile)
            self.record["in_flight"] = {"values": typed, "file": with_file}
        with self.client.post(path, data=body, headers={"Content-Type": content_type}, allow_redirects=False,
                              name=STALE if stale else "save group", catch_response=True) as response:
            status = response.status_code
            self.record["in_flight"] = None
            if stale:
                if status == 409:
                    STATE["conflicts_deliberate"] += 1
                    response.success()
                else:
                    response.failure(f"a stale save answered {status}, not 409")
                    if status == 302:
                        self.record["uncertain"].append(f"stale save of {group['code']} was accepted")
                return None
            if status != 302:
                response.failure(f"save answered {status}")
                self.record["uncertain"].append(f"save of {group['code']} answered {status}")
                return None
            location = response.headers.get("Location", "")
        self.record["values"].update(typed)
        self.record["files"] += 1 if with_file else 0
        return location

    @task
    def work(self) -> None:
        if JOB["profile"] == "rush":
            self.rush()
        else:
            self.mixed()

    def rush(self) -> None:
        """Every group once, in order, with a file; one deliberate stale save; then confirm and submit."""
        groups = JOB["groups"]
        self.page(f"{self.base}/", "questionnaire overview")
        path = f"{self.base}/groups/{groups[0]['code']}"
        _html, token, version = self.page(path, "group page")
        for i, group in enumerate(groups):
            if token is None or version is None:
                self.record["uncertain"].append(f"group page of {group['code']} did not open")
                self._finish()
            self.wait()
            last = i == len(groups) - 1
            location = self.save(group, token, version, "overview" if last else "next", True)
            if location is None:
                self._finish()
            if i == 0:  # the same group again from the page as it was before this save: must be refused
                self.save(group, token, version, "stay", False, stale=True)
            if not last:
                _html, token, version = self.page(f"{self.base}/groups/{groups[i + 1]['code']}", "group page")
        self.page(f"{self.base}/", "questionnaire overview")
        self.wait()
        _html, token, version = self.page(f"{self.base}/submit/confirm", "confirm page")
        self.wait()
        with self.client.post(f"{self.base}/submit", data={"csrf_token": token or "", "version": version or ""}, name="submit",
                              allow_redirects=False, catch_response=True) as response:
            if response.status_code == 302:
                STATE["submitted"] += 1
            else:
                response.failure(f"submit answered {response.status_code}")
                STATE["submit_failed"] += 1
        if response.status_code == 302:
            self.page(f"{self.base}/result", "result page")
        self._finish()

    def mixed(self) -> None:
        """The overview, a random group, a save (one in four with a file; now and then a deliberate stale save)."""
        self.page(f"{self.base}/", "questionnaire overview")
        self.wait()
        group = self.rng.choice(JOB["groups"])
        _html, token, version = self.page(f"{self.base}/groups/{group['code']}", "group page")
        if token is None or version is None:
            return
        self.wait()
        if self.save(group, token, version, "stay", self.rng.random() < 0.25) is None:
            return
        if self.rng.random() < JOB.get("stale_every", 0):
            self.save(group, token, version, "stay", False, stale=True)
        self.page(f"{self.base}/groups/{group['code']}", "group page")  # the redirect after the save


class Reviewer(Browser):
    """A city reviewer of the set: agrees with every indicator of its own share of the submitted questionnaires and approves."""

    fixed_count = len(JOB.get("reviewers", []))

    def on_start(self) -> None:
        account = next(_accounts["reviewer"], None)
        if account is None:
            raise StopUser()
        self.index, username = account
        self.share = len(JOB["reviewers"])
        if not self.login(username):
            raise StopUser()

    @task
    def appraise(self) -> None:
        html, _token, _version = self.page("/review/?status=submitted", "review queue")
        ids = [int(i) for i in REVIEW_LINK.findall(html)]
        mine = [i for i in ids if i % self.share == self.index and i not in STATE["reviewed"]]
        if not mine:
            return
        sid = mine[0]
        STATE["reviewed"].add(sid)
        self.wait()
        _html, token, version = self.page(f"/review/{sid}", "review page")
        if token is None:
            STATE["review_failed"] += 1
            return
        data = {"csrf_token": token, "version": version or "", "action": "approve"}
        for group in JOB["groups"]:
            for ind in group["indicators"]:
                data.update({ind["field"] + "_agree": "agree", ind["field"] + "_points": "", ind["field"] + "_comment": "",
                             ind["field"] + "_return": ""})
        self.wait()
        with self.client.post(f"/review/{sid}", data=data, name="appraise (agree all, Duyệt)", allow_redirects=False,
                              catch_response=True) as response:
            if response.status_code != 302 or not response.headers.get("Location", "").endswith(f"/review/{sid}/approve"):
                response.failure(f"appraise answered {response.status_code}")
                STATE["review_failed"] += 1
                return
        html, token, version = self.page(f"/review/{sid}/approve", "approve confirmation page")
        self.wait()
        # The app refuses to approve a score below the set's pass mark (409): the reviewer then records "không chấp thuận".
        failed = SCORE_FAILED.search(html) is not None
        path, name = (f"/review/{sid}/reject", "reject (score below the pass mark)") if failed else (f"/review/{sid}/approve", "approve")
        if failed or not version:  # the refusal page carries no decision form: take the version from the review page
            _html, token, version = self.page(f"/review/{sid}", "review page")
        data = {"csrf_token": token or "", "version": version or ""}
        data.update({"reason": "Điểm thẩm định chưa đạt yêu cầu của bộ tiêu chí."} if failed else {"note": ""})
        with self.client.post(path, data=data, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code == 302:
                STATE["approved"] += 1
            else:
                response.failure(f"{name} answered {response.status_code}")
                STATE["review_failed"] += 1
                return
        self.page(f"/review/{sid}", "review page")


class Viewer(Browser):
    """A city leader reading the report pages of the campaign's set and year."""

    fixed_count = len(JOB.get("viewers", []))

    def on_start(self) -> None:
        username = next(_accounts["viewer"], None)
        if username is None or not self.login(username):
            raise StopUser()
        self.rng = random.Random(username)  # noqa: S311

    @task
    def report(self) -> None:
        name = self.rng.choice(REPORTS)
        self.page(f"/reports/{name}?set_code={JOB['set_code']}&year={JOB['year']}", f"report: {name}")


def _entry(stats_entry, seconds: float) -> dict:
    """One row of Locust's statistics: counts, requests per second over the run, percentiles (ms)."""
    n = stats_entry.num_requests
    return {"name": stats_entry.name, "method": stats_entry.method or "", "requests": n, "failures": stats_entry.num_failures,
            "rps": n / seconds if seconds else 0.0, "p50": stats_entry.get_response_time_percentile(0.5) if n else 0,
            "p95": stats_entry.get_response_time_percentile(0.95) if n else 0,
            "p99": stats_entry.get_response_time_percentile(0.99) if n else 0,
            "avg": stats_entry.avg_response_time if n else 0, "max": stats_entry.max_response_time if n else 0}


def _all_done() -> bool:
    """Rush profile: every official has finished and every submitted questionnaire has been approved (or failed)."""
    officials = len(JOB["officials"])
    return STATE["officials_done"] >= officials and STATE["approved"] + STATE["review_failed"] >= STATE["submitted"]


def main() -> None:
    """Run the job's users with Locust's library API for at most JOB["run_time"] seconds; write JOB["results"]."""
    from locust.env import Environment

    # At the end users stop at their next wait (after the request in progress is answered), within stop_timeout.
    env = Environment(user_classes=[c for c in (Official, Reviewer, Viewer) if c.fixed_count], events=events, host=JOB["base"],
                      stop_timeout=JOB.get("stop_timeout", 30))
    runner = env.create_local_runner()
    total = len(JOB["officials"]) + len(JOB.get("reviewers", [])) + len(JOB.get("viewers", []))
    started = time.perf_counter()
    runner.start(total, spawn_rate=JOB["spawn_rate"])
    deadline = started + JOB["run_time"]
    ended_by = "run time"
    while time.perf_counter() < deadline:
        gevent.sleep(0.5)
        if JOB["profile"] == "rush" and _all_done():
            ended_by = "all work done"
            break
    runner.quit()
    seconds = time.perf_counter() - started
    stats = env.stats
    result = {
        "seconds": seconds, "ended_by": ended_by, "users": total,
        "endpoints": [_entry(e, seconds) for e in sorted(stats.entries.values(), key=lambda e: e.name)],
        "total": _entry(stats.total, seconds),
        "errors": [{"name": e.name, "error": str(e.error), "count": e.occurrences} for e in stats.errors.values()],
        "state": {k: (len(v) if isinstance(v, set) else v) for k, v in STATE.items() if k != "sent"},
        "sent": STATE["sent"],
    }
    Path(JOB["results"]).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
