/* SPDX-License-Identifier: BSD-2-Clause */
/* check_main.h - what every check suite's main() does: run the suite, exit non-zero on any failure. */
#ifndef MSTACK_CHECK_MAIN_H
#define MSTACK_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

/* Run every test of sr (fork mode unless CK_FORK=no says otherwise), free it, return the exit status. */
static inline int check_run(SRunner *sr)
{
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* main() for a suite built by suite_fn(). */
#define CHECK_MAIN(suite_fn)                                  \
	int main(void)                                        \
	{                                                     \
		return check_run(srunner_create(suite_fn())); \
	}

#endif
