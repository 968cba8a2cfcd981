/* SPDX-License-Identifier: BSD-2-Clause */
/* check_pcapng.c - unit tests for mstackctl's pcapng writer (apps/mstackctl/pcapng.c), read back by libpcap. */
#include <check.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcapng.h"
#include "check_main.h"

static char path[64];
static uint8_t frame[300];

static void setup(void)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/check_pcapng.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)i;
}

static void teardown(void)
{
	unlink(path);
}

/* A section with interfaces "nic" and "app.3" and three packets: in, out, truncated. */
static void write_sample(void)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(pcapng_write_shb(f, "mstackctl"), 0);
	ck_assert_int_eq(pcapng_write_idb(f, PCAPNG_LINKTYPE_ETHERNET, 2048, "nic"), 0);
	ck_assert_int_eq(pcapng_write_idb(f, PCAPNG_LINKTYPE_ETHERNET, 2048, "app.3"), 0);
	ck_assert_int_eq(pcapng_write_epb(f, 0, 1700000000123456789ull, frame, 61, 61, PCAPNG_INBOUND), 0);
	ck_assert_int_eq(pcapng_write_epb(f, 1, 1700000001000000001ull, frame, 64, 64, PCAPNG_OUTBOUND), 0);
	ck_assert_int_eq(pcapng_write_epb(f, 1, 1700000002000000000ull, frame, 64, 300, PCAPNG_INBOUND), 0);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_libpcap_reads_every_packet_with_its_length_time_and_bytes)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p;

	write_sample();
	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
	ck_assert_msg(p != NULL, "libpcap: %s", err);
	ck_assert_int_eq(pcap_datalink(p), DLT_EN10MB);

	ck_assert_msg(pcap_next_ex(p, &h, &data) == 1, "libpcap: %s", pcap_geterr(p));
	ck_assert_uint_eq(h->caplen, 61);
	ck_assert_uint_eq(h->len, 61);
	ck_assert_int_eq(h->ts.tv_sec, 1700000000);
	ck_assert_int_eq(h->ts.tv_usec, 123456789); /* nanoseconds with PCAP_TSTAMP_PRECISION_NANO */
	ck_assert_mem_eq(data, frame, 61);

	ck_assert_msg(pcap_next_ex(p, &h, &data) == 1, "libpcap: %s", pcap_geterr(p));
	ck_assert_uint_eq(h->caplen, 64);
	ck_assert_int_eq(h->ts.tv_usec, 1);

	ck_assert_int_eq(pcap_next_ex(p, &h, &data), 1);
	ck_assert_uint_eq(h->caplen, 64);
	ck_assert_uint_eq(h->len, 300);
	ck_assert_mem_eq(data, frame, 64);

	ck_assert_int_eq(pcap_next_ex(p, &h, &data), PCAP_ERROR_BREAK);
	pcap_close(p);
}
END_TEST

/* Walk the blocks by hand: lengths agree at both ends, EPBs carry their interface and epb_flags. */
START_TEST(test_blocks_are_framed_and_epbs_carry_interface_and_direction)
{
	uint32_t want_if[3] = { 0, 1, 1 }, want_dir[3] = { 1, 2, 1 }, types[6];
	uint8_t buf[4096];
	size_t n, off = 0;
	int nblocks = 0, nepb = 0;
	FILE *f;

	write_sample();
	f = fopen(path, "rb");
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	while (off < n) {
		uint32_t type, len, tail;

		ck_assert_uint_ge(n - off, 12);
		memcpy(&type, buf + off, 4);
		memcpy(&len, buf + off + 4, 4);
		ck_assert_uint_eq(len % 4, 0);
		ck_assert_uint_le(len, n - off);
		memcpy(&tail, buf + off + len - 4, 4);
		ck_assert_uint_eq(tail, len);
		ck_assert_int_lt(nblocks, 6);
		types[nblocks++] = type;
		if (type == 6) {
			uint32_t if_id, caplen, opt, flags;

			memcpy(&if_id, buf + off + 8, 4);
			memcpy(&caplen, buf + off + 20, 4);
			memcpy(&opt, buf + off + 28 + ((caplen + 3) & ~3u), 4);
			memcpy(&flags, buf + off + 32 + ((caplen + 3) & ~3u), 4);
			ck_assert_uint_eq(if_id, want_if[nepb]);
			ck_assert_uint_eq(opt, 2u | 4u << 16); /* epb_flags, 4 bytes */
			ck_assert_uint_eq(flags & 3, want_dir[nepb]);
			nepb++;
		}
		off += len;
	}
	ck_assert_int_eq(nblocks, 6);
	ck_assert_uint_eq(types[0], 0x0a0d0d0a);
	ck_assert_uint_eq(types[1], 1);
	ck_assert_uint_eq(types[2], 1);
	ck_assert_int_eq(nepb, 3);
}
END_TEST

START_TEST(test_bad_arguments_and_failed_writes_are_errors)
{
	FILE *full = fopen("/dev/full", "wb");

	ck_assert_ptr_nonnull(full);
	setvbuf(full, NULL, _IONBF, 0);
	ck_assert_int_eq(pcapng_write_shb(full, "x"), -EIO);
	ck_assert_int_eq(pcapng_write_epb(full, 0, 0, frame, 65, 64, 0), -EINVAL); /* caplen > len */
	ck_assert_int_eq(pcapng_write_epb(full, 0, 0, NULL, 4, 4, 0), -EINVAL);
	ck_assert_int_eq(pcapng_write_idb(NULL, 1, 64, "nic"), -EINVAL);
	fclose(full);
}
END_TEST

static Suite *pcapng_suite(void)
{
	Suite *s = suite_create("pcapng");
	TCase *tc = tcase_create("pcapng");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_libpcap_reads_every_packet_with_its_length_time_and_bytes);
	tcase_add_test(tc, test_blocks_are_framed_and_epbs_carry_interface_and_direction);
	tcase_add_test(tc, test_bad_arguments_and_failed_writes_are_errors);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(pcapng_suite)
