/* SPDX-License-Identifier: BSD-2-Clause */
/* check_prom.c - unit tests for mstackctl's Prometheus output (apps/mstackctl/output_prom.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mstackctl.h"
#include "check_main.h"

/* What prom_write prints for the counters c[0..n), with st and apps; free() it. */
static char *render(const struct ms_counter *c, uint32_t n, const struct ms_status *st, const struct ms_app_info *a,
		    uint32_t napps)
{
	struct sample s = { .c = (struct ms_counter *)c, .n = n };
	struct prom_input in = { .s = &s, .st = st, .apps = a, .napps = napps };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(prom_write(f, &in), 0);
	fclose(f);
	return buf;
}

START_TEST(ports_share_a_family_with_help_and_type_once)
{
	static const struct ms_counter c[] = {
		{ "nic.rx_packets", 5 }, { "nic.hw_imissed", 1 },   { "tap.rx_packets", 7 },
		{ "tap.hw_imissed", 0 }, { "dp.busy_cycles", 900 },
	};
	char *out = render(c, 5, NULL, NULL, 0);

	ck_assert_str_eq(out, "# HELP mstack_port_rx_packets_total Frames received on the port.\n"
			      "# TYPE mstack_port_rx_packets_total counter\n"
			      "mstack_port_rx_packets_total{port=\"nic\"} 5\n"
			      "mstack_port_rx_packets_total{port=\"tap\"} 7\n"
			      "# HELP mstack_port_hw_imissed_total Frames the port's driver dropped because its "
			      "receive queue was full.\n"
			      "# TYPE mstack_port_hw_imissed_total counter\n"
			      "mstack_port_hw_imissed_total{port=\"nic\"} 1\n"
			      "mstack_port_hw_imissed_total{port=\"tap\"} 0\n"
			      "# HELP mstack_dp_busy_cycles_total TSC cycles spent in datapath loops that did work.\n"
			      "# TYPE mstack_dp_busy_cycles_total counter\n"
			      "mstack_dp_busy_cycles_total{worker=\"0\"} 900\n");
	free(out);
}
END_TEST

START_TEST(per_worker_counters_are_labelled_by_worker_and_their_sums_left_out)
{
	static const struct ms_counter c[] = {
		{ "dp.busy_cycles", 900 },
		{ "dp.0.busy_cycles", 400 },
		{ "dp.1.busy_cycles", 500 },
	};
	char *out = render(c, 3, NULL, NULL, 0);

	ck_assert_str_eq(out, "# HELP mstack_dp_busy_cycles_total TSC cycles spent in datapath loops that did work.\n"
			      "# TYPE mstack_dp_busy_cycles_total counter\n"
			      "mstack_dp_busy_cycles_total{worker=\"0\"} 400\n"
			      "mstack_dp_busy_cycles_total{worker=\"1\"} 500\n");
	free(out);
}
END_TEST

START_TEST(app_labels_carry_the_escaped_name)
{
	static const struct ms_counter c[] = {
		{ "app.3.tx_spoofed", 2 },
		{ "app.12.tx_spoofed", 4 },
		{ "app.40.tx_spoofed", 6 },
		{ "app.5.tx_spoofed", 1 },
	};
	struct ms_app_info a[3] = { { .app_id = 12 }, { .app_id = 3 }, { .app_id = 5 } };
	char *out;

	strcpy(a[0].name, "a\"b\\c\nd");
	strcpy(a[1].name, "echo");
	strcpy(a[2].name, "bad\xff");
	out = render(c, 4, NULL, a, 3);
	ck_assert_str_eq(out, "# HELP mstack_app_tx_spoofed_total Frames refused for a source address or port the "
			      "application does not hold.\n"
			      "# TYPE mstack_app_tx_spoofed_total counter\n"
			      "mstack_app_tx_spoofed_total{app=\"3\",name=\"echo\"} 2\n"
			      "mstack_app_tx_spoofed_total{app=\"12\",name=\"a\\\"b\\\\c\\nd\"} 4\n"
			      "mstack_app_tx_spoofed_total{app=\"40\",name=\"\"} 6\n"
			      "mstack_app_tx_spoofed_total{app=\"5\",name=\"bad\xef\xbf\xbd\"} 1\n");
	free(out);
}
END_TEST

START_TEST(gauges_have_no_total_and_unknown_names_still_print)
{
	static const struct ms_counter c[] = {
		{ "ctl.close_pending", 3 },
		{ "ctl.refused", 1 },
		{ "nic.rx_new-thing", 8 },
		{ "zz.odd name", 9 },
	};
	char *out = render(c, 4, NULL, NULL, 0);

	ck_assert_str_eq(out, "# HELP mstack_ctl_close_pending Descriptors queued or being closed by the close "
			      "helpers.\n"
			      "# TYPE mstack_ctl_close_pending gauge\n"
			      "mstack_ctl_close_pending 3\n"
			      "# HELP mstack_ctl_refused_total Control requests refused by the access policy.\n"
			      "# TYPE mstack_ctl_refused_total counter\n"
			      "mstack_ctl_refused_total 1\n"
			      "# HELP mstack_port_rx_new_thing_total mstackd counter port.rx_new_thing (this mstackctl "
			      "has no description of it).\n"
			      "# TYPE mstack_port_rx_new_thing_total counter\n"
			      "mstack_port_rx_new_thing_total{port=\"nic\"} 8\n"
			      "# HELP mstack_zz_odd_name mstackd counter zz.odd_name (this mstackctl has no "
			      "description of it).\n"
			      "# TYPE mstack_zz_odd_name untyped\n"
			      "mstack_zz_odd_name 9\n");
	free(out);
}
END_TEST

START_TEST(status_gives_gauges_first)
{
	struct ms_status st = { .uptime_ms = 61005, .napps = 2, .nbindings = 3, .nworkers = 1, .nports = 2 };
	static const struct ms_counter c[] = { { "nic.rx_packets", 1 } };
	char *out;

	strcpy(st.version, "0.1.0");
	strcpy(st.ports[0].name, "nic");
	strcpy(st.ports[1].name, "tap");
	st.ports[0].link_up = 1;
	out = render(c, 1, &st, NULL, 0);
	ck_assert_ptr_nonnull(strstr(out, "# TYPE mstack_up gauge\nmstack_up 1\n"));
	ck_assert_ptr_nonnull(strstr(out, "mstack_info{version=\"0.1.0\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nmstack_uptime_seconds 61.005\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nmstack_apps 2\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nmstack_bindings 3\n"));
	ck_assert_ptr_nonnull(strstr(out, "# TYPE mstack_port_link_up gauge\n"
					  "mstack_port_link_up{port=\"nic\"} 1\n"
					  "mstack_port_link_up{port=\"tap\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(out, "mstack_port_link_up{port=\"tap\"} 0\n# HELP mstack_port_rx_packets_total"));
	free(out);
}
END_TEST

START_TEST(names_fill_their_arrays_safely)
{
	struct ms_counter c[1];
	struct ms_app_info a = { .app_id = 7 };
	char *out;

	memset(c[0].name, 'x', sizeof(c[0].name)); /* no NUL: the daemon owes none */
	memcpy(c[0].name, "app.7.", 6);
	c[0].value = 1;
	memset(a.name, 'n', sizeof(a.name));
	out = render(c, 1, NULL, &a, 1);
	ck_assert_ptr_nonnull(strstr(out, "{app=\"7\",name=\"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\"} 1\n"));
	free(out);
	out = render(c, 0, NULL, NULL, 0);
	ck_assert_str_eq(out, "");
	free(out);
}
END_TEST

static Suite *prom_suite(void)
{
	Suite *s = suite_create("prom");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, ports_share_a_family_with_help_and_type_once);
	tcase_add_test(tc, app_labels_carry_the_escaped_name);
	tcase_add_test(tc, per_worker_counters_are_labelled_by_worker_and_their_sums_left_out);
	tcase_add_test(tc, gauges_have_no_total_and_unknown_names_still_print);
	tcase_add_test(tc, status_gives_gauges_first);
	tcase_add_test(tc, names_fill_their_arrays_safely);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(prom_suite)
