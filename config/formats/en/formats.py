"""Dates and times for English (en, en-gb): ISO 8601 order, 24-hour clock, read the same way in every country.

"2026-12-01 10:15" cannot be taken for 12 January the way "01/12/2026" can, and sorts as it reads.
Output formats use Django's date-format letters; what is not set here comes from Django's en-gb
formats. Input: the ISO form first (the admin's calendar writes the first), then en-gb's day-first
forms. Times are shown in settings.TIME_ZONE, which the admin's header names.
"""

DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"]
