/* SPDX-License-Identifier: BSD-2-Clause */
/* pcapng.c - a minimal pcapng writer: SHB, IDB (if_name, if_tsresol), EPB (epb_flags). */
#include "pcapng.h"

#include <errno.h>
#include <string.h>

#define PCAPNG_SHB 0x0a0d0d0au
#define PCAPNG_IDB 0x00000001u
#define PCAPNG_EPB 0x00000006u

#define PCAPNG_OPT_END       0
#define PCAPNG_SHB_USERAPPL  4
#define PCAPNG_IF_NAME       2
#define PCAPNG_IF_TSRESOL    9
#define PCAPNG_EPB_FLAGS     2
#define PCAPNG_FRAME_MAX     (1u << 18) /* more than any snaplen mstack allows */
#define PCAPNG_OPT_VALUE_MAX 256

static uint32_t pcapng_pad4(uint32_t n)
{
	return (n + 3) & ~3u;
}

static int pcapng_put(FILE *f, const void *p, size_t n)
{
	static const uint8_t zero[4];

	if (n && fwrite(p ? p : zero, 1, n, f) != n)
		return -EIO;
	return 0;
}

static int pcapng_u32(FILE *f, uint32_t v)
{
	return pcapng_put(f, &v, sizeof(v));
}

/* One option: code, length, value padded to 4 bytes. */
static int pcapng_opt(FILE *f, uint16_t code, const void *val, uint16_t len)
{
	uint16_t h[2] = { code, len };

	if (pcapng_put(f, h, sizeof(h)) < 0 || pcapng_put(f, val, len) < 0 ||
	    pcapng_put(f, NULL, pcapng_pad4(len) - len) < 0)
		return -EIO;
	return 0;
}

static uint32_t pcapng_opt_size(uint32_t len)
{
	return 4 + pcapng_pad4(len);
}

static uint16_t pcapng_strlen(const char *s)
{
	size_t n = s ? strnlen(s, PCAPNG_OPT_VALUE_MAX) : 0;

	return (uint16_t)n;
}

int pcapng_write_shb(FILE *f, const char *app)
{
	uint16_t alen = pcapng_strlen(app);
	uint32_t len = 28 + (alen ? pcapng_opt_size(alen) + 4 : 0);
	uint16_t version[2] = { 1, 0 };
	int64_t section_len = -1; /* not given */

	if (!f)
		return -EINVAL;
	if (pcapng_u32(f, PCAPNG_SHB) < 0 || pcapng_u32(f, len) < 0 || pcapng_u32(f, 0x1a2b3c4du) < 0 ||
	    pcapng_put(f, version, sizeof(version)) < 0 || pcapng_put(f, &section_len, sizeof(section_len)) < 0)
		return -EIO;
	if (alen && (pcapng_opt(f, PCAPNG_SHB_USERAPPL, app, alen) < 0 || pcapng_opt(f, PCAPNG_OPT_END, NULL, 0) < 0))
		return -EIO;
	return pcapng_u32(f, len);
}

int pcapng_write_idb(FILE *f, uint16_t linktype, uint32_t snaplen, const char *name)
{
	uint16_t nlen = pcapng_strlen(name);
	uint8_t tsresol = 9; /* 10^-9 s */
	uint32_t len = 20 + (nlen ? pcapng_opt_size(nlen) : 0) + pcapng_opt_size(1) + 4;
	uint16_t lt[2] = { linktype, 0 };

	if (!f)
		return -EINVAL;
	if (pcapng_u32(f, PCAPNG_IDB) < 0 || pcapng_u32(f, len) < 0 || pcapng_put(f, lt, sizeof(lt)) < 0 ||
	    pcapng_u32(f, snaplen) < 0)
		return -EIO;
	if ((nlen && pcapng_opt(f, PCAPNG_IF_NAME, name, nlen) < 0) ||
	    pcapng_opt(f, PCAPNG_IF_TSRESOL, &tsresol, 1) < 0 || pcapng_opt(f, PCAPNG_OPT_END, NULL, 0) < 0)
		return -EIO;
	return pcapng_u32(f, len);
}

int pcapng_write_epb(FILE *f, uint32_t if_id, uint64_t ts_ns, const void *data, uint32_t cap_len, uint32_t orig_len,
		     uint32_t flags)
{
	uint32_t len = 32 + pcapng_pad4(cap_len) + (flags ? pcapng_opt_size(4) + 4 : 0);

	if (!f || (cap_len && !data) || cap_len > orig_len || cap_len > PCAPNG_FRAME_MAX)
		return -EINVAL;
	if (pcapng_u32(f, PCAPNG_EPB) < 0 || pcapng_u32(f, len) < 0 || pcapng_u32(f, if_id) < 0 ||
	    pcapng_u32(f, (uint32_t)(ts_ns >> 32)) < 0 || pcapng_u32(f, (uint32_t)ts_ns) < 0 ||
	    pcapng_u32(f, cap_len) < 0 || pcapng_u32(f, orig_len) < 0 || pcapng_put(f, data, cap_len) < 0 ||
	    pcapng_put(f, NULL, pcapng_pad4(cap_len) - cap_len) < 0)
		return -EIO;
	if (flags && (pcapng_opt(f, PCAPNG_EPB_FLAGS, &flags, 4) < 0 || pcapng_opt(f, PCAPNG_OPT_END, NULL, 0) < 0))
		return -EIO;
	return pcapng_u32(f, len);
}
