/* SPDX-License-Identifier: BSD-2-Clause */
/* numarg.h - strict decimal numbers from the command line, for mstack's tools. */
#ifndef MSTACK_NUMARG_H
#define MSTACK_NUMARG_H

#include <stdbool.h>

/*
 * Parse s as a decimal number in [min, max] (max at most LLONG_MAX): digits
 * only, no blank, sign or prefix, nothing after. Returns false otherwise.
 */
bool numarg_u64(const char *s, unsigned long long min, unsigned long long max, unsigned long long *out);

/* The same for an unsigned int. */
bool numarg_uint(const char *s, unsigned min, unsigned max, unsigned *out);

#endif
