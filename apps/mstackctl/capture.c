/* SPDX-License-Identifier: BSD-2-Clause */
/* capture.c - mstackctl capture: read mstackd's capture rings in timestamp order, filter with libpcap, write pcapng. */
#include "capread.h"
#include "mstackctl.h"
#include "parser.h"
#include "pcapng.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CAP_REGION_TARGET (16u << 20) /* bytes of each ring to ask for */
#define CAP_POLL_MS       1000

/*
 * The merge's hold: a record is written once a record CAP_HOLD_MS younger
 * has been seen in any ring, or the rings stood still that long. A worker
 * publishes within one loop of stamping (microseconds), so a record older
 * than the hold cannot still be on its way from another ring, unless that
 * worker was kept off its CPU for longer than the hold. Both are in the
 * daemon's one clock (ms_cap_rec.ts_ns), never compared with ours.
 */
#define CAP_HOLD_MS 20

static volatile sig_atomic_t cap_stop;

static void cap_on_signal(int sig)
{
	(void)sig;
	cap_stop = 1;
}

/* The reader's view of the region and the pcapng interface of each point. */
struct cap_reader {
	struct capread cr;
	int if_id[8]; /* indexed by MS_CAP_* value */
};

static uint32_t cap_slots_for(uint32_t snaplen)
{
	uint32_t n = 64;

	while (n < MS_CAP_SLOTS_MAX && (uint64_t)n * 2 * ms_cap_slot_size(snaplen) <= CAP_REGION_TARGET)
		n *= 2;
	return n;
}

/* Map the region and check it against the reply. 0, or -1 after saying why. */
static int cap_map(struct cap_reader *r, int memfd, const struct ms_capture_reply *rep)
{
	void *base = mmap(NULL, rep->region_size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	int rc;

	if (base == MAP_FAILED) {
		fprintf(stderr, "mstackctl: capture: cannot map the capture region: %s\n", strerror(errno));
		return -1;
	}
	rc = capread_open(&r->cr, base, rep->region_size);
	if (rc == -EPROTONOSUPPORT) {
		fprintf(stderr,
			"mstackctl: capture: mstackd's capture region has ABI %u.%u, this mstackctl reads %u.x: "
			"use the mstackctl of the same mstack version\n",
			r->cr.h.abi_major, r->cr.h.abi_minor, MS_CAP_ABI_MAJOR);
	} else if (rc == 0 && (r->cr.h.nslots != rep->nslots || r->cr.h.snaplen != rep->snaplen)) {
		rc = -EPROTO;
	}
	if (rc == -EPROTO)
		fprintf(stderr, "mstackctl: capture: the capture region's header is not valid\n");
	if (rc < 0) {
		munmap(base, rep->region_size);
		r->cr.base = NULL;
		return -1;
	}
	return 0;
}

/* One IDB per selected point, in a fixed order: nic, tap, app.N. */
static int cap_write_idbs(FILE *f, struct cap_reader *r, const struct parse_result *res)
{
	static const struct {
		unsigned point;
		const char *name;
	} pts[] = { { MS_CAP_NIC, "nic" }, { MS_CAP_TAP, "tap" }, { MS_CAP_APP, "app" } };
	char name[32];
	int id = 0;
	size_t i;

	for (i = 0; i < sizeof(pts) / sizeof(pts[0]); i++) {
		if (!(res->cap_points & pts[i].point))
			continue;
		if (pts[i].point == MS_CAP_APP)
			snprintf(name, sizeof(name), "app.%u", res->cap_app);
		else
			snprintf(name, sizeof(name), "%s", pts[i].name);
		if (pcapng_write_idb(f, PCAPNG_LINKTYPE_ETHERNET, r->cr.h.snaplen, name) < 0)
			return -EIO;
		r->if_id[pts[i].point] = id++;
	}
	return 0;
}

enum cap_wait_result {
	CAP_WAIT_MORE,  /* records arrived (or may have) */
	CAP_WAIT_QUIET, /* the timeout passed and no ring moved */
	CAP_WAIT_ENDED, /* the session ended */
};

/* Wait for records: NEED_WAKEUP on every ring, re-check, poll the eventfd and the session. */
static enum cap_wait_result cap_wait(struct cap_reader *r, int efd, int ctl, int timeout_ms)
{
	struct pollfd p[2] = { { .fd = efd, .events = POLLIN }, { .fd = ctl, .events = POLLIN } };
	enum cap_wait_result rc = CAP_WAIT_MORE;
	uint64_t v;
	int n;

	if (!capread_want_wakeup(&r->cr, true)) {
		n = poll(p, 2, timeout_ms);
		if (n == 0)
			rc = CAP_WAIT_QUIET;
		if (n > 0 && (p[0].revents & POLLIN))
			(void)!read(efd, &v, sizeof(v));
		/* mstackd sends nothing unasked on this session: any event is its end. */
		if (n > 0 && p[1].revents)
			rc = CAP_WAIT_ENDED;
	}
	capread_want_wakeup(&r->cr, false);
	return rc;
}

struct cap_result {
	uint64_t written;
	uint64_t filtered; /* read, not matching the filter */
	int err;           /* -errno: writing failed, or mstackd broke the ring's rules */
};

static bool cap_count_reached(const struct parse_result *res, const struct cap_result *out)
{
	return res->cap_count && out->written >= res->cap_count;
}

/* Write the waiting records up to cutoff_ns, oldest first over all rings. Returns how many were taken. */
static uint64_t cap_drain(struct cap_reader *r, FILE *f, struct bpf_program *prog, const struct parse_result *res,
			  uint64_t cutoff_ns, struct cap_result *out)
{
	const struct ms_cap_rec *rec;
	uint64_t taken = 0;
	uint32_t ring;

	while (!cap_count_reached(res, out) && (rec = capread_next(&r->cr, cutoff_ns, &ring))) {
		const uint8_t *data = (const uint8_t *)(rec + 1);
		struct pcap_pkthdr ph;
		struct ms_cap_rec m;

		memcpy(&m, rec, sizeof(m));
		if (m.cap_len > r->cr.h.snaplen || m.cap_len > m.orig_len || m.point >= 8 ||
		    !(res->cap_points & m.point)) {
			out->err = -EPROTO;
			break;
		}
		capread_consume(&r->cr, ring);
		taken++;
		ph.caplen = m.cap_len;
		ph.len = m.orig_len;
		ph.ts.tv_sec = (time_t)(m.ts_ns / 1000000000u);
		ph.ts.tv_usec = (suseconds_t)(m.ts_ns % 1000000000u / 1000);
		if (prog && !pcap_offline_filter(prog, &ph, data)) {
			out->filtered++;
			continue;
		}
		if (pcapng_write_epb(f, (uint32_t)r->if_id[m.point], m.ts_ns, data, m.cap_len, m.orig_len,
				     m.dir == MS_CAP_RX ? PCAPNG_INBOUND : PCAPNG_OUTBOUND) < 0) {
			out->err = -EIO;
			break;
		}
		out->written++;
	}
	return taken;
}

/*
 * Until -c, a signal or the session's end: drain the rings, merged by
 * timestamp under the hold (CAP_HOLD_MS), and wait when nothing can be
 * written. A quiet wait, a signal and the end flush what is held.
 */
static void cap_loop(struct cap_reader *r, FILE *f, struct bpf_program *prog, const struct parse_result *res, int efd,
		     int ctl, struct cap_result *out)
{
	const uint64_t hold_ns = CAP_HOLD_MS * 1000000ull;
	bool flush = false, ended = false;

	for (;;) {
		long waiting = capread_refresh(&r->cr);
		uint64_t cutoff, taken;
		bool last;

		if (waiting < 0) {
			out->err = -EPROTO;
			break;
		}
		last = cap_stop || ended;
		if (flush || last)
			cutoff = UINT64_MAX;
		else
			cutoff = r->cr.newest_ts > hold_ns ? r->cr.newest_ts - hold_ns : 0;
		taken = cap_drain(r, f, prog, res, cutoff, out);
		capread_release(&r->cr);
		if (out->err || last || cap_count_reached(res, out))
			break;
		flush = false;
		if (taken)
			continue;
		fflush(f);
		switch (cap_wait(r, efd, ctl, waiting ? CAP_HOLD_MS : CAP_POLL_MS)) {
		case CAP_WAIT_ENDED: ended = true; break;
		case CAP_WAIT_QUIET: flush = waiting > 0; break;
		case CAP_WAIT_MORE: break;
		}
	}
}

/* Compile the filter for Ethernet frames of snaplen bytes. 0, or -1 after saying why. */
static int cap_compile(const char *expr, unsigned snaplen, struct bpf_program *prog)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, (int)snaplen);
	int rc = 0;

	if (!p) {
		fprintf(stderr, "mstackctl: capture: libpcap: out of memory\n");
		return -1;
	}
	if (pcap_compile(p, prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		fprintf(stderr, "mstackctl: capture: bad filter '%s': %s\n", expr, pcap_geterr(p));
		rc = -1;
	}
	pcap_close(p);
	return rc;
}

static int cap_fail(int rc)
{
	switch (-rc) {
	case EPERM: fprintf(stderr, "mstackctl: capture: permission denied (administrator only)\n"); break;
	case EBUSY: fprintf(stderr, "mstackctl: capture: another capture is running (one at a time)\n"); break;
	case EINVAL: fprintf(stderr, "mstackctl: capture: refused by mstackd as invalid\n"); break;
	default: fprintf(stderr, "mstackctl: capture: %s\n", ms_strerror(rc)); break;
	}
	return 1;
}

int cmd_capture(int fd, const struct parse_result *res)
{
	struct sigaction sa = { .sa_handler = cap_on_signal }; /* no SA_RESTART: a signal cuts the poll */
	struct ms_capture_req req = { 0 };
	struct ms_capture_reply rep;
	struct cap_reader r = { 0 };
	struct cap_result out = { 0 };
	struct bpf_program prog, *progp = NULL;
	uint64_t dropped0 = 0, dropped1 = 0;
	int fds[2] = { -1, -1 }, rc, status = 1;
	int to_stdout = !strcmp(res->cap_file, "-");
	FILE *f = NULL;

	if (to_stdout && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "mstackctl: capture: will not write pcapng to a terminal; use -w FILE or a pipe\n");
		return 1;
	}
	if (res->cap_filter[0]) {
		if (cap_compile(res->cap_filter, res->cap_snaplen, &prog) < 0)
			return 1;
		progp = &prog;
	}
	req.points = (uint8_t)res->cap_points;
	req.dirs = (uint8_t)res->cap_dirs;
	req.app_id = res->cap_app;
	req.snaplen = res->cap_snaplen;
	req.nslots = cap_slots_for(res->cap_snaplen);
	(void)fetch_counter(fd, "capture.dropped", &dropped0);
	rc = fetch_capture(fd, &req, &rep, fds);
	if (rc < 0) {
		status = cap_fail(rc);
		goto out;
	}
	if (cap_map(&r, fds[0], &rep) < 0)
		goto out;
	f = to_stdout ? stdout : fopen(res->cap_file, "wb");
	if (!f) {
		fprintf(stderr, "mstackctl: capture: %s: %s\n", res->cap_file, strerror(errno));
		goto out;
	}
	if (pcapng_write_shb(f, "mstackctl") < 0 || cap_write_idbs(f, &r, res) < 0) {
		out.err = -EIO;
	} else {
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGPIPE, &sa, NULL);
		fprintf(stderr, "mstackctl: capturing to %s (snaplen %u)%s%s\n",
			to_stdout ? "standard output" : res->cap_file, rep.snaplen, progp ? ", filter: " : "",
			progp ? res->cap_filter : "");
		cap_loop(&r, f, progp, res, fds[1], fd, &out);
	}
	if (fflush(f) == EOF || ferror(f))
		out.err = -EIO;
	(void)fetch_counter(fd, "capture.dropped", &dropped1);
	fprintf(stderr, "mstackctl: %llu frames written, %llu filtered out, %llu dropped by mstackd (ring full)\n",
		(unsigned long long)out.written, (unsigned long long)out.filtered,
		(unsigned long long)(dropped1 >= dropped0 ? dropped1 - dropped0 : 0));
	if (out.err == -EIO)
		fprintf(stderr, "mstackctl: capture: writing %s failed\n", res->cap_file);
	else if (out.err)
		fprintf(stderr, "mstackctl: capture: mstackd broke the capture ring's rules: %s\n", strerror(-out.err));
	status = out.err ? 1 : 0;
out:
	if (f && f != stdout)
		fclose(f);
	if (r.cr.base)
		munmap(r.cr.base, r.cr.size);
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	if (progp)
		pcap_freecode(progp);
	return status;
}
