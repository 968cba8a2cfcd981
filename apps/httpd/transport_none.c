/* SPDX-License-Identifier: BSD-2-Clause */
/* transport_none.c - the mstack transport's place in a build without libmstack-tcp. */
#include <errno.h>
#include <stdio.h>

#include "httpd.h"

int httpd_run_mstack(const struct httpd_options *o, char *err, size_t errlen)
{
	(void)o;
	snprintf(err, errlen, "built without libmstack-tcp: only --kernel is available");
	return -ENOTSUP;
}
