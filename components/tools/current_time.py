from datetime import datetime, timedelta, timezone

# English names whatever the server's locale (strftime('%A') follows LC_TIME).
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def describe_time(moment: datetime) -> str:
    """``moment`` as ISO 8601 (seconds) followed by its English weekday in parentheses."""
    moment = moment.replace(microsecond=0)
    return f"{moment.isoformat()} ({WEEKDAYS[moment.weekday()]})"


def current_time(utc_offset_hours: float = 0.0) -> str:
    """Return the current date and time in ISO 8601 form, with its weekday.

    Args:
        utc_offset_hours: Hours east of UTC, e.g. 1 for Paris in winter, -5 for New York.
    """
    if not -14 <= utc_offset_hours <= 14:
        raise ValueError("utc_offset_hours must be between -14 and 14")
    zone = timezone(timedelta(hours=utc_offset_hours))
    return describe_time(datetime.now(zone))
