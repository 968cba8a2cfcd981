/* SPDX-License-Identifier: BSD-2-Clause */
/* check_claims.c - the claims state file: round trip, malformed lines by number, its bound, live owners only. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "claims.h"
#include "check_main.h"

static struct claim claim_of(const char *proto, const char *addr_port, pid_t pid, uint64_t start)
{
	struct claim c = { .pid = pid, .start = start };

	ck_assert_int_eq(ms_tuple_parse(proto, addr_port, &c.tuple), 0);
	return c;
}

/* Parse text; the reports go to *errs_out (to free). */
static uint32_t parse_text(const char *text, struct claim *out, uint32_t max, char **errs_out)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	size_t len;
	FILE *errs = open_memstream(errs_out, &len);
	uint32_t n;

	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(errs);
	n = claims_parse(in, "claims", out, max, errs);
	fclose(in);
	fclose(errs);
	return n;
}

START_TEST(test_what_is_written_reads_back_the_same)
{
	char dir[] = "/tmp/check_claims.XXXXXX", sock[64], path[128], tmp[160];
	struct claim in[4], out[8];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/mstackd.sock", dir);
	ck_assert_int_eq(claims_path(sock, path, sizeof(path)), 0);
	ck_assert_str_eq(path + strlen(dir), "/mstackd.sock.claims");
	in[0] = claim_of("tcp", "10.0.0.1:7000", 1234, 987654321ULL);
	in[1] = claim_of("udp", "*:53", 1, 0);
	in[2] = claim_of("tcp", "[2001:db8::1]:80", 4194304, UINT64_MAX);
	in[3] = claim_of("udp", "[::]:5353", 77, 42);
	ck_assert_int_eq(claims_write(path, in, 4), 0);
	ck_assert_int_eq(claims_load(path, out, 8, NULL), 4);
	ck_assert_mem_eq(in, out, sizeof(in));
	/* Rewritten: the new content replaces the old whole, and no temporary file is left. */
	ck_assert_int_eq(claims_write(path, in + 1, 1), 0);
	ck_assert_int_eq(claims_load(path, out, 8, NULL), 1);
	ck_assert_mem_eq(&in[1], &out[0], sizeof(in[1]));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ck_assert_int_eq(access(tmp, F_OK), -1);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_a_file_others_may_write_is_not_believed)
{
	char path[] = "/tmp/check_claims.XXXXXX";
	struct claim in = claim_of("tcp", "10.0.0.1:22", getpid(), 1), out[1];
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(claims_write(path, &in, 1), 0);
	ck_assert_int_eq(claims_load(path, out, 1, NULL), 1);
	ck_assert_int_eq(chmod(path, 0622), 0);
	ck_assert_int_eq(claims_load(path, out, 1, NULL), -EPERM);
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(claims_load(path, out, 1, NULL), 1);
	unlink(path);
}
END_TEST

START_TEST(test_a_missing_file_is_no_claims)
{
	struct claim out[1];

	ck_assert_int_eq(claims_load("/nonexistent/mstackd.sock.claims", out, 1, NULL), 0);
}
END_TEST

START_TEST(test_malformed_lines_are_reported_with_their_number_and_skipped)
{
	const char *text = "# comment\n"
			   "tcp 10.0.0.1:7000 100 5\n"
			   "tcp 10.0.0.1 100 5\n"       /* line 3: no port */
			   "sctp 10.0.0.1:7000 100 5\n" /* line 4: not a protocol */
			   "tcp 10.0.0.1:7000 100\n"    /* line 5: no start time */
			   "tcp 10.0.0.1:7000 0 5\n"    /* line 6: pid 0 */
			   "tcp 10.0.0.1:7000 100 -5\n" /* line 7: a sign */
			   "\n"
			   "udp 10.0.0.1:7001 101 6 extra\n" /* line 9: trailing field */
			   "udp 10.0.0.2:0 101 6\n"          /* line 10: port 0 */
			   "udp [2001:db8::2]:9 102 7\n";
	struct claim out[16];
	char *errs = NULL;
	uint32_t n = parse_text(text, out, 16, &errs);

	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(out[0].pid, 100);
	ck_assert_int_eq(out[1].pid, 102);
	ck_assert_uint_eq(out[1].start, 7);
	ck_assert_ptr_nonnull(strstr(errs, "claims:3: "));
	ck_assert_ptr_nonnull(strstr(errs, "claims:4: "));
	ck_assert_ptr_nonnull(strstr(errs, "claims:5: "));
	ck_assert_ptr_nonnull(strstr(errs, "claims:6: "));
	ck_assert_ptr_nonnull(strstr(errs, "claims:7: "));
	ck_assert_ptr_nonnull(strstr(errs, "claims:9: "));
	ck_assert_ptr_nonnull(strstr(errs, "claims:10: "));
	ck_assert_ptr_null(strstr(errs, "claims:2: "));
	ck_assert_ptr_null(strstr(errs, "claims:11: "));
	free(errs);
}
END_TEST

START_TEST(test_an_overlong_line_is_one_error_and_the_next_line_counts)
{
	char text[1024];
	struct claim out[4];
	char *errs = NULL;
	uint32_t n;

	memset(text, 'x', 500);
	strcpy(text + 500, "\ntcp 10.0.0.1:7000 100 5\n");
	n = parse_text(text, out, 4, &errs);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_nonnull(strstr(errs, "claims:1: line too long"));
	ck_assert_ptr_null(strstr(errs, "claims:2:"));
	free(errs);
}
END_TEST

START_TEST(test_claims_past_the_bound_are_ignored_with_one_warning)
{
	const char *text = "tcp 10.0.0.1:1 1 1\ntcp 10.0.0.1:2 1 1\ntcp 10.0.0.1:3 1 1\ntcp 10.0.0.1:4 1 1\n";
	struct claim out[2];
	char *errs = NULL, *first;
	uint32_t n = parse_text(text, out, 2, &errs);

	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(out[1].tuple.port, 2);
	first = strstr(errs, "more claims than [limits] bindings");
	ck_assert_ptr_nonnull(first);
	ck_assert_ptr_nonnull(strstr(errs, "claims:3: "));
	ck_assert_ptr_null(strstr(first + 1, "more claims")); /* one warning, not one per line */
	free(errs);
}
END_TEST

START_TEST(test_a_live_owner_is_alive_and_a_reused_pid_is_not)
{
	struct claim c = claim_of("tcp", "10.0.0.1:7000", getpid(), 0);

	ck_assert_int_eq(claims_proc_start(getpid(), &c.start), 0);
	ck_assert(c.start > 0);
	ck_assert(claims_owner_alive(&c));
	/* The same pid with another start time: the kernel gave the pid to a later process. */
	c.start++;
	ck_assert(!claims_owner_alive(&c));
}
END_TEST

START_TEST(test_a_dead_owner_is_not_alive)
{
	struct claim c = claim_of("tcp", "10.0.0.1:7000", 0, 0);
	pid_t child = fork();

	ck_assert_int_ge(child, 0);
	if (child == 0)
		_exit(0);
	c.pid = child;
	ck_assert_int_eq(claims_proc_start(child, &c.start), 0); /* a zombie until reaped: still there */
	ck_assert(claims_owner_alive(&c));
	ck_assert_int_eq(waitpid(child, NULL, 0), child);
	ck_assert_int_eq(claims_proc_start(child, &c.start), -ENOENT);
	ck_assert(!claims_owner_alive(&c));
}
END_TEST

START_TEST(test_a_command_with_spaces_and_parentheses_does_not_shift_the_fields)
{
	uint64_t before, after;
	pid_t child;
	int fds[2];
	char c;

	ck_assert_int_eq(pipe(fds), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		FILE *f = fopen("/proc/self/comm", "w");

		if (f) {
			fputs(") 1 2 3 (x", f);
			fclose(f);
		}
		close(fds[0]);
		(void)!write(fds[1], "r", 1);
		pause();
		_exit(0);
	}
	ck_assert_int_eq(claims_proc_start(child, &before), 0);
	ck_assert_int_eq(read(fds[0], &c, 1), 1); /* the name is changed now */
	ck_assert_int_eq(claims_proc_start(child, &after), 0);
	ck_assert_uint_eq(before, after);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

static Suite *claims_suite(void)
{
	Suite *s = suite_create("claims");
	TCase *tc = tcase_create("claims");

	tcase_add_test(tc, test_what_is_written_reads_back_the_same);
	tcase_add_test(tc, test_a_missing_file_is_no_claims);
	tcase_add_test(tc, test_a_file_others_may_write_is_not_believed);
	tcase_add_test(tc, test_malformed_lines_are_reported_with_their_number_and_skipped);
	tcase_add_test(tc, test_an_overlong_line_is_one_error_and_the_next_line_counts);
	tcase_add_test(tc, test_claims_past_the_bound_are_ignored_with_one_warning);
	tcase_add_test(tc, test_a_live_owner_is_alive_and_a_reused_pid_is_not);
	tcase_add_test(tc, test_a_dead_owner_is_not_alive);
	tcase_add_test(tc, test_a_command_with_spaces_and_parentheses_does_not_shift_the_fields);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(claims_suite)
