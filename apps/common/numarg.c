/* SPDX-License-Identifier: BSD-2-Clause */
/* numarg.c - strict decimal numbers from the command line (libbsd's strtonum, digits only). */
#include "numarg.h"

#include <bsd/stdlib.h>
#include <ctype.h>
#include <limits.h>

bool numarg_u64(const char *s, unsigned long long min, unsigned long long max, unsigned long long *out)
{
	const char *err = NULL;
	long long v;

	/* strtonum alone would take leading blanks and a sign. */
	if (!isdigit((unsigned char)s[0]) || min > LLONG_MAX)
		return false;
	v = strtonum(s, (long long)min, max > LLONG_MAX ? LLONG_MAX : (long long)max, &err);
	if (err)
		return false;
	*out = (unsigned long long)v;
	return true;
}

bool numarg_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	unsigned long long v;

	if (!numarg_u64(s, min, max, &v))
		return false;
	*out = (unsigned)v;
	return true;
}
