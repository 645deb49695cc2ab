"""Local time for Hải Phòng: every deadline, "today" and date shown is in Asia/Ho_Chi_Minh.

Pure standard library (zoneinfo), so the pure core (app.assessment) may use it too. Tests freeze
the clock with time-machine; nothing here caches the time.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

#: The zone of every date the users see and every campaign window.
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def now_local() -> dt.datetime:
    """The current time as an aware datetime in Asia/Ho_Chi_Minh."""
    return dt.datetime.now(LOCAL_TZ)


def today_local() -> dt.date:
    """Today's date in Asia/Ho_Chi_Minh (a campaign closing on this date is still open until 23:59:59 local)."""
    return now_local().date()


def to_local(value: dt.datetime) -> dt.datetime:
    """An aware datetime converted to Asia/Ho_Chi_Minh; a naive one is taken as UTC (how the database returns it on SQLite)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(LOCAL_TZ)


def local_midnight_utc(day: dt.date) -> dt.datetime:
    """The instant (aware, UTC) at which `day` begins in Asia/Ho_Chi_Minh, e.g. 30/11 00:00 local = 29/11 17:00 UTC."""
    return dt.datetime.combine(day, dt.time(), LOCAL_TZ).astimezone(dt.UTC)
