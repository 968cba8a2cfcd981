/* SPDX-License-Identifier: BSD-2-Clause */
/* cc_cubic.h - RFC 9438's window function and its constants, shared by the CUBIC controller and its tests. */
#ifndef MSTACK_CC_CUBIC_H
#define MSTACK_CC_CUBIC_H

#define CC_CUBIC_C    0.4 /* RFC 9438 4.1: C, in segments per second cubed */
#define CC_CUBIC_BETA 0.7 /* RFC 9438 4.1: beta_cubic, the multiplicative decrease factor */

/* RFC 9438 4.2 Figure 2: K = cbrt((W_max - cwnd_epoch) / C), in seconds; windows in segments. */
double cc_cubic_k(double w_max, double cwnd_epoch);

/* RFC 9438 4.2 Figure 1: W_cubic(t) = C (t - K)^3 + W_max, in segments, t in seconds. */
double cc_cubic_window(double t, double k, double w_max);

#endif
