/* SPDX-License-Identifier: BSD-2-Clause */
/* http_date.c - HTTP-date (RFC 9110 5.6.7): IMF-fixdate out; IMF-fixdate, RFC 850 and asctime in. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "http_date.h"

static const char hd_days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const hd_days_long[7] = { "Sunday",   "Monday", "Tuesday", "Wednesday",
					     "Thursday", "Friday", "Saturday" };
static const char hd_months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* RFC 9110 5.6.7: the names are fixed English, whatever the locale. */
void http_date(time_t t, char out[HTTP_DATE_LEN])
{
	struct tm tm;
	char tmp[64];

	if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0) {
		t = 0;
		gmtime_r(&t, &tm);
	}
	snprintf(tmp, sizeof(tmp), "%s, %02d %s %04d %02d:%02d:%02d GMT", hd_days[tm.tm_wday], tm.tm_mday,
		 hd_months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	memcpy(out, tmp, HTTP_DATE_LEN - 1); /* 29 characters once the year has 4 digits, checked above */
	out[HTTP_DATE_LEN - 1] = '\0';
}

/* The broken-down date being parsed; month 0-11. */
struct hd_tm {
	int year, month, day, hour, min, sec;
};

/* n DIGITs, no sign, no space. @return the value; -1 if s does not start with n digits. */
static int hd_digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* RFC 9110 5.6.7: month and day names are case-sensitive. @return 0-11; -1. */
static int hd_month(const char *s)
{
	for (int m = 0; m < 12; m++)
		if (memcmp(s, hd_months[m], 3) == 0)
			return m;
	return -1;
}

static bool hd_day_name(const char *s, size_t len)
{
	for (int d = 0; d < 7; d++)
		if (len == 3 && memcmp(s, hd_days[d], 3) == 0)
			return true;
	return false;
}

static bool hd_day_name_long(const char *s, size_t len)
{
	for (int d = 0; d < 7; d++)
		if (len == strlen(hd_days_long[d]) && memcmp(s, hd_days_long[d], len) == 0)
			return true;
	return false;
}

/* time-of-day = hour ":" minute ":" second, 8 characters. */
static bool hd_time(const char *s, struct hd_tm *tm)
{
	if (s[2] != ':' || s[5] != ':')
		return false;
	tm->hour = hd_digits(s, 2);
	tm->min = hd_digits(s + 3, 2);
	tm->sec = hd_digits(s + 6, 2);
	return tm->hour >= 0 && tm->min >= 0 && tm->sec >= 0;
}

/* IMF-fixdate = day-name "," SP day SP month SP year SP time-of-day SP GMT (29 characters). */
static bool hd_imf_fixdate(const char *s, size_t len, struct hd_tm *tm)
{
	if (len != 29 || !hd_day_name(s, 3) || memcmp(s + 3, ", ", 2) != 0 || s[7] != ' ' || s[11] != ' ' ||
	    s[16] != ' ' || memcmp(s + 25, " GMT", 4) != 0)
		return false;
	tm->day = hd_digits(s + 5, 2);
	tm->month = hd_month(s + 8);
	tm->year = hd_digits(s + 12, 4);
	return tm->day >= 0 && tm->month >= 0 && tm->year >= 0 && hd_time(s + 17, tm);
}

/*
 * rfc850-date = day-name-l "," SP day "-" month "-" 2DIGIT SP time-of-day SP GMT.
 * RFC 9110 5.6.7: a two-digit year that appears to be more than 50 years in
 * the future is the most recent past year with the same last two digits.
 */
static bool hd_rfc850(const char *s, size_t len, int now_year, struct hd_tm *tm)
{
	const char *comma = memchr(s, ',', len);
	size_t name;
	int yy;

	if (!comma)
		return false;
	name = (size_t)(comma - s);
	if (!hd_day_name_long(s, name) || len - name != 24)
		return false;
	s = comma + 1; /* " 06-Nov-94 08:49:37 GMT" */
	if (s[0] != ' ' || s[3] != '-' || s[7] != '-' || s[10] != ' ' || memcmp(s + 19, " GMT", 4) != 0)
		return false;
	tm->day = hd_digits(s + 1, 2);
	tm->month = hd_month(s + 4);
	yy = hd_digits(s + 8, 2);
	if (tm->day < 0 || tm->month < 0 || yy < 0 || !hd_time(s + 11, tm))
		return false;
	tm->year = now_year - now_year % 100 + yy;
	if (tm->year > now_year + 50)
		tm->year -= 100;
	else if (tm->year + 100 <= now_year + 50)
		tm->year += 100;
	return true;
}

/* asctime-date = day-name SP month SP ( 2DIGIT / ( SP DIGIT ) ) SP time-of-day SP year (24 characters). */
static bool hd_asctime(const char *s, size_t len, struct hd_tm *tm)
{
	if (len != 24 || !hd_day_name(s, 3) || s[3] != ' ' || s[7] != ' ' || s[10] != ' ' || s[19] != ' ')
		return false;
	tm->month = hd_month(s + 4);
	tm->day = s[8] == ' ' ? hd_digits(s + 9, 1) : hd_digits(s + 8, 2);
	tm->year = hd_digits(s + 20, 4);
	return tm->day >= 0 && tm->month >= 0 && tm->year >= 0 && hd_time(s + 11, tm);
}

static bool hd_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (month 1-12). */
static int64_t hd_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * The format is told by the fourth character: "," IMF-fixdate, " " asctime,
 * a letter the longer day name of RFC 850. A date that does not exist (Feb 30,
 * 25:00) is not an HTTP-date; the day name is not checked against the date,
 * which the grammar does not ask for. Second 60 is a leap second.
 */
int http_date_parse(const char *s, size_t len, time_t now, time_t *out)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	struct hd_tm tm = { 0 };
	struct tm now_tm;
	bool ok;

	if (len < 4)
		return -EINVAL;
	if (s[3] == ',')
		ok = hd_imf_fixdate(s, len, &tm);
	else if (s[3] == ' ')
		ok = hd_asctime(s, len, &tm);
	else
		ok = gmtime_r(&now, &now_tm) && hd_rfc850(s, len, now_tm.tm_year + 1900, &tm);
	if (!ok || tm.hour > 23 || tm.min > 59 || tm.sec > 60 || tm.day < 1 ||
	    tm.day > mdays[tm.month] + (tm.month == 1 && hd_leap(tm.year)))
		return -EINVAL;
	*out =
	    (time_t)(hd_days_from_civil(tm.year, tm.month + 1, tm.day) * 86400 + tm.hour * 3600 + tm.min * 60 + tm.sec);
	return 0;
}
