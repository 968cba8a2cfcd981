/* SPDX-License-Identifier: BSD-2-Clause */
/* http_date.h - HTTP-date (RFC 9110 5.6.7): IMF-fixdate out; IMF-fixdate, RFC 850 and asctime in. */
#ifndef MSTACK_HTTP_DATE_H
#define MSTACK_HTTP_DATE_H

#include <stddef.h>
#include <time.h>

/* IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT": 29 characters and a NUL. */
#define HTTP_DATE_LEN 30

/* RFC 9110 5.6.7: t as an IMF-fixdate, into out[HTTP_DATE_LEN]. */
void http_date(time_t t, char out[HTTP_DATE_LEN]);

/**
 * Parse an HTTP-date of len bytes (no surrounding whitespace) in any of
 * the three formats a recipient must accept (RFC 9110 5.6.7): IMF-fixdate
 * "Sun, 06 Nov 1994 08:49:37 GMT", the obsolete RFC 850 form
 * "Sunday, 06-Nov-94 08:49:37 GMT" and asctime "Sun Nov  6 08:49:37 1994".
 * now settles the century of an RFC 850 two-digit year.
 * @return 0 and *out (seconds since the epoch, UTC); -EINVAL for anything else.
 */
int http_date_parse(const char *s, size_t len, time_t now, time_t *out);

#endif
