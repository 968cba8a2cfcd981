/* SPDX-License-Identifier: BSD-2-Clause */
/* http_conn.c - the HTTP server over a transport: per-connection state machines, timeouts, limits. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_conn.h"
#include "http_parse.h"
#include "http_path.h"
#include "http_resp.h"

/*
 * A connection reads a request head into an input buffer of HTTP_HEAD_MAX
 * bytes, answers it, and goes back
 * for the next one, which may already be in the buffer (pipelining: one
 * answer at a time, in order, RFC 9112 9.3.2). While an answer waits for
 * the client to read it, nothing more is read from that client: what it
 * sends meanwhile stays in the transport's receive window, not in our
 * memory. So a connection holds at most its struct, one input buffer and a
 * reference to a shared file, whatever the client does.
 *
 * The input buffer is the server's scratch buffer, lent for the turn: a
 * request that arrives whole in one read (the common case) is answered
 * from there, and the connection only gets a buffer of its own when bytes
 * are left at the end of its turn (a partial or pipelined request).
 *
 *   READ --head--> [BODY: drop Content-Length bytes] --> WRITE --done--> READ (keep-alive)
 *                                                               \------> LINGER (close) --> closed
 */
enum hc_state {
	HC_READ,
	HC_BODY,
	HC_WRITE,
	HC_LINGER,
};

struct http_conn {
	struct http_server *srv;
	int h;
	enum hc_state state;
	bool rd_ready, wr_ready, close_after, runnable;
	enum http_timer timer;
	uint64_t deadline;
	struct http_conn *tprev, *tnext; /* in srv->timers[timer] */
	struct http_conn *rprev, *rnext; /* in srv->runnable */
	char *in;
	uint32_t in_len;
	struct http_parser parser;
	uint64_t body_left;
	struct http_file *file;
	uint64_t body_off, body_end;
	uint16_t out_len, out_off;
	char out[HTTP_RESP_HEAD_MAX];
};

static const uint32_t hc_default_timeout_ms[HTTP_T_KINDS] = { 10000, 15000, 30000, 2000 };

size_t http_conn_mem_max(void)
{
	return sizeof(struct http_conn) + HTTP_HEAD_MAX;
}

/* Timer lists: append at the tail (the latest deadline of its kind), unlink from anywhere. */
static void hc_timer_clear(struct http_conn *c)
{
	struct http_conn_list *l;

	if (c->timer == HTTP_T_NONE)
		return;
	l = &c->srv->timers[c->timer];
	if (c->tprev)
		c->tprev->tnext = c->tnext;
	else
		l->head = c->tnext;
	if (c->tnext)
		c->tnext->tprev = c->tprev;
	else
		l->tail = c->tprev;
	c->tprev = c->tnext = NULL;
	c->timer = HTTP_T_NONE;
}

static void hc_timer_set(struct http_conn *c, enum http_timer t, uint64_t now)
{
	struct http_conn_list *l = &c->srv->timers[t];

	hc_timer_clear(c);
	c->timer = t;
	c->deadline = now + c->srv->cfg.timeout_ms[t];
	c->tprev = l->tail;
	if (l->tail)
		l->tail->tnext = c;
	else
		l->head = c;
	l->tail = c;
}

static void hc_runnable_clear(struct http_conn *c)
{
	struct http_conn_list *l = &c->srv->runnable;

	if (!c->runnable)
		return;
	if (c->rprev)
		c->rprev->rnext = c->rnext;
	else
		l->head = c->rnext;
	if (c->rnext)
		c->rnext->rprev = c->rprev;
	else
		l->tail = c->rprev;
	c->rprev = c->rnext = NULL;
	c->runnable = false;
}

static void hc_runnable_add(struct http_conn *c)
{
	struct http_conn_list *l = &c->srv->runnable;

	if (c->runnable)
		return;
	c->runnable = true;
	c->rprev = l->tail;
	if (l->tail)
		l->tail->rnext = c;
	else
		l->head = c;
	l->tail = c;
}

static void hc_in_free(struct http_conn *c)
{
	if (c->in != c->srv->scratch)
		free(c->in);
	c->in = NULL;
}

/*
 * End of a turn: give the scratch buffer back, keeping what is left of the
 * input in a buffer of the connection's own. @return false when out of memory.
 */
static bool hc_in_return(struct http_conn *c)
{
	char *own;

	if (c->in != c->srv->scratch)
		return true;
	if (c->in_len == 0) {
		c->in = NULL;
		return true;
	}
	own = malloc(HTTP_HEAD_MAX);
	if (!own)
		return false;
	memcpy(own, c->in, c->in_len);
	c->in = own;
	return true;
}

static void hc_close(struct http_conn *c, bool reset)
{
	struct http_server *s = c->srv;

	hc_timer_clear(c);
	hc_runnable_clear(c);
	http_file_put(s->cache, c->file);
	hc_in_free(c);
	s->tr->ops->close(s->tr, c->h, reset);
	s->nconns--;
	s->stats.closed++;
	if (reset)
		s->stats.resets++;
	free(c);
}

int http_server_init(struct http_server *s, struct http_transport *tr, const struct http_server_config *cfg)
{
	int rc;

	memset(s, 0, sizeof(*s));
	s->tr = tr;
	s->cfg = *cfg;
	if (!s->cfg.max_conns)
		s->cfg.max_conns = 10240;
	if (!s->cfg.max_pipeline)
		s->cfg.max_pipeline = 16;
	for (int t = 0; t < HTTP_T_KINDS; t++)
		if (!s->cfg.timeout_ms[t])
			s->cfg.timeout_ms[t] = hc_default_timeout_ms[t];
	rc = http_cache_new(cfg->root_fd, &cfg->cache, &s->cache);
	return rc;
}

void http_server_fini(struct http_server *s)
{
	for (int t = 0; t < HTTP_T_KINDS; t++)
		while (s->timers[t].head)
			hc_close(s->timers[t].head, true);
	while (s->runnable.head)
		hc_close(s->runnable.head, true);
	http_cache_free(s->cache);
	s->cache = NULL;
}

bool http_server_full(const struct http_server *s)
{
	return s->nconns >= s->cfg.max_conns;
}

struct http_conn *http_conn_open(struct http_server *s, int h, uint64_t now_ms)
{
	struct http_conn *c;

	if (http_server_full(s) || !(c = calloc(1, sizeof(*c)))) {
		s->stats.refused++;
		return NULL;
	}
	c->srv = s;
	c->h = h;
	c->state = HC_READ;
	c->wr_ready = true;
	c->timer = HTTP_T_NONE;
	/* The first request gets the header deadline from the accept: a connection that sends nothing is slowloris too.
	 */
	hc_timer_set(c, HTTP_T_HEADER, now_ms);
	s->nconns++;
	s->stats.accepted++;
	return c;
}

static void hc_date(struct http_server *s)
{
	time_t now = time(NULL);

	if (now != s->date_sec) {
		s->date_sec = now;
		http_date(now, s->date);
	}
}

static int hc_status_of_path_error(int err)
{
	switch (err) {
	case -EINVAL: return 400;
	case -ENAMETOOLONG: return 414;
	case -EPERM:
	case -EXDEV:
	case -EACCES: return 403;
	case -ENOENT:
	case -ENOTDIR:
	case -ELOOP: return 404;
	}
	return 500;
}

/*
 * RFC 9110 13.2.2 step 3, 13.1.2: If-None-Match is false (the answer to a
 * GET or HEAD is 304) when "*" is sent, which any existing file matches, or
 * when a listed tag matches the file's by the weak comparison (8.8.3.2).
 * The lines are one list (5.3): "*" beside anything else, or a malformed
 * line, makes the whole field malformed. 13.1.2 has no rule for a
 * malformed value (13.1.3 has one for If-Modified-Since: ignore it), so we
 * decide: it matches nothing (the full response, which is always a right
 * answer), and it still counts as present, so If-Modified-Since stays
 * ignored: a client that conditioned on entity tags did not mean its dates
 * to decide. So do more lines than the parser kept. Each line is scanned
 * once: a list of thousands of tags costs a scan of the field.
 */
static bool hc_etag_matches(const struct http_request *req, const struct http_file *f)
{
	size_t etag_len = strlen(f->etag);
	bool match = false;

	if (req->if_none_match_lines > HTTP_INM_LINES_MAX)
		return false;
	for (uint32_t i = 0; i < req->if_none_match_lines; i++) {
		const char *v = req->if_none_match[i].s;
		size_t len = req->if_none_match[i].len;
		int rc;

		if (req->if_none_match_lines > 1 && len == 1 && v[0] == '*')
			return false;
		rc = http_etag_list_match(v, len, f->etag, etag_len);
		if (rc < 0)
			return false;
		match |= rc == 1;
	}
	return match;
}

/*
 * RFC 9110 13.2.2 steps 3 and 4, for a GET or HEAD of a file that exists
 * (13.2.1: preconditions only matter to what would be a 2xx). With
 * If-None-Match present, it alone decides (hc_etag_matches) and
 * If-Modified-Since is ignored (13.1.3). Without it, the answer is 304 when
 * If-Modified-Since holds a valid HTTP-date (one value) no earlier than the
 * file's Last-Modified, at the second that field carries; an invalid date
 * leaves the full response.
 */
static bool hc_not_modified(const struct http_request *req, const struct http_file *f, time_t now)
{
	time_t since;

	if (req->if_none_match_lines)
		return hc_etag_matches(req, f);
	if (!req->if_modified_since)
		return false;
	if (http_date_parse(req->if_modified_since, req->if_modified_since_len, now, &since) < 0)
		return false;
	return f->last_modified_sec <= since;
}

/* Answer a parsed request (rc > 0) or a refused one (rc < 0, the status): fill out, pick the file. */
static void hc_request(struct http_conn *c, const struct http_request *req, int rc, uint64_t now)
{
	struct http_server *s = c->srv;
	struct http_resp r = { 0 };
	char path[HTTP_PATH_MAX];
	int n;

	hc_date(s);
	s->stats.requests++;
	r.date = s->date;
	if (rc < 0) {
		r.status = -rc;
		c->in_len = 0; /* out of sync with the client: nothing after this is read as a request */
	} else {
		r.keep_alive = req->keep_alive;
		r.keep_alive_explicit = req->keep_alive && req->version_minor == 0;
		r.head_only = req->method == HTTP_HEAD;
		if (req->method == HTTP_OTHER) {
			r.status = 405;
		} else if ((n = http_path_decode(req->target, req->target_len, path, sizeof(path))) < 0) {
			r.status = hc_status_of_path_error(n);
		} else if ((n = http_cache_get(s->cache, path, now, &c->file)) < 0) {
			r.status = hc_status_of_path_error(n);
		} else {
			r.status = hc_not_modified(req, c->file, s->date_sec) ? 304 : 200;
			r.content_length = c->file->len;
			r.content_type = c->file->content_type;
			r.last_modified = c->file->last_modified;
			r.etag = c->file->etag;
		}
		/* The head is answered: the next request (pipelined) starts right after it. */
		c->in_len -= (uint32_t)req->head_len;
		memmove(c->in, c->in + req->head_len, c->in_len);
		c->body_left = req->content_length;
	}
	http_parser_reset(&c->parser);
	if (r.status >= 500)
		r.keep_alive = false;
	n = http_resp_head(c->out, sizeof(c->out), &r);
	c->out_len = (uint16_t)(n > 0 ? n : 0);
	c->out_off = 0;
	c->body_off = 0;
	c->body_end = c->file && r.status == 200 && !r.head_only ? c->file->len : 0;
	c->close_after = !r.keep_alive;
	if (r.status < 300)
		s->stats.responses_2xx++;
	else if (r.status < 400)
		s->stats.responses_3xx++;
	else if (r.status < 500)
		s->stats.responses_4xx++;
	else
		s->stats.responses_5xx++;
	c->state = c->body_left ? HC_BODY : HC_WRITE;
	hc_timer_set(c, c->state == HC_BODY ? HTTP_T_HEADER : HTTP_T_SEND, now);
}

/*
 * Read what the transport has into the input buffer.
 * @return bytes read; 0 at end of stream; -EAGAIN (nothing now, or no room); another -errno.
 */
static ssize_t hc_fill(struct http_conn *c, uint64_t now)
{
	struct http_transport *t = c->srv->tr;
	ssize_t n;

	if (!c->rd_ready || c->in_len >= HTTP_HEAD_MAX)
		return -EAGAIN;
	if (!c->in)
		c->in = c->srv->scratch; /* lent until the end of the turn */
	n = t->ops->recv(t, c->h, c->in + c->in_len, HTTP_HEAD_MAX - c->in_len);
	if (n == -EAGAIN)
		c->rd_ready = false;
	if (n > 0) {
		/* The first byte of a request starts its header deadline (it is not renewed by later bytes). */
		if (c->in_len == 0 && c->state == HC_READ && c->timer == HTTP_T_IDLE)
			hc_timer_set(c, HTTP_T_HEADER, now);
		c->in_len += (uint32_t)n;
	}
	return n;
}

/*
 * Hand the transport what it takes of the head and the file, from where
 * they are (a small file's cached copy: no copy of our own), or, for a
 * large file, the head and then the file by its fd, which the transport
 * reads as it sends. A large file that ends before the length the head
 * announced (truncated meanwhile) ends the connection: the client sees a
 * short body, not a wrong one.
 * @return 1 all sent; 0 the transport is full; -errno the connection is dead.
 */
static int hc_flush(struct http_conn *c, uint64_t now)
{
	struct http_transport *t = c->srv->tr;

	while (c->out_off < c->out_len || c->body_off < c->body_end) {
		bool by_fd = c->file && c->file->fd >= 0;
		struct iovec iov[2];
		int k = 0;
		ssize_t n;

		if (!c->wr_ready)
			return 0;
		if (c->out_off < c->out_len)
			iov[k++] = (struct iovec){ c->out + c->out_off, (size_t)(c->out_len - c->out_off) };
		if (c->body_off < c->body_end && !by_fd)
			iov[k++] = (struct iovec){ (void *)(c->file->data + c->body_off), c->body_end - c->body_off };
		if (k > 0)
			n = t->ops->sendv(t, c->h, iov, k);
		else if ((n = t->ops->sendfile(t, c->h, c->file->fd, (off_t)c->body_off, c->body_end - c->body_off)) ==
			 0)
			return -EIO; /* the file shrank under us */
		if (n == -EAGAIN) {
			c->wr_ready = false;
			return 0;
		}
		if (n < 0)
			return (int)n;
		/* Progress renews the send deadline: it limits a stall, not the length of a download. */
		hc_timer_set(c, HTTP_T_SEND, now);
		if (c->out_off < c->out_len) {
			size_t h = (size_t)(c->out_len - c->out_off) < (size_t)n ? (size_t)(c->out_len - c->out_off)
										 : (size_t)n;

			c->out_off += (uint16_t)h;
			n -= (ssize_t)h;
		}
		c->body_off += (uint64_t)n;
	}
	return 1;
}

/*
 * Whether the client has sent nothing we have not read: closing now would
 * send FIN, not RST. One read tells, and what it reads (after an answer with
 * "close") is dropped anyway.
 */
static bool hc_input_drained(struct http_conn *c)
{
	struct http_transport *t = c->srv->tr;
	char probe[512];
	ssize_t n;

	if (!c->rd_ready)
		return true;
	n = t->ops->recv(t, c->h, probe, sizeof(probe));
	if (n == -EAGAIN)
		c->rd_ready = false;
	return n <= 0;
}

/* The answer is out: close (after draining), or wait for the next request. @return false: closed. */
static bool hc_response_done(struct http_conn *c, uint64_t now)
{
	struct http_transport *t = c->srv->tr;

	http_file_put(c->srv->cache, c->file);
	c->file = NULL;
	if (c->close_after) {
		/* Nothing unread (the usual request per connection): a plain close sends FIN after the answer. */
		if (c->in_len == 0 && hc_input_drained(c)) {
			hc_close(c, false);
			return false;
		}
		/* RFC 9112 9.6: otherwise half-close first, then read until the client closes, so that
		 * its unread requests do not turn our close into a reset that loses the answer. */
		c->in_len = 0;
		hc_in_free(c);
		c->state = HC_LINGER;
		hc_timer_set(c, HTTP_T_LINGER, now);
		if (t->ops->shutdown(t, c->h) < 0) {
			hc_close(c, true);
			return false;
		}
		return true;
	}
	c->state = HC_READ;
	if (c->in_len == 0) {
		hc_in_free(c); /* an idle connection holds no buffer */
		hc_timer_set(c, HTTP_T_IDLE, now);
	} else {
		hc_timer_set(c, HTTP_T_HEADER, now);
	}
	return true;
}

/* Drop what a closing client still sends. @return false when the connection was closed. */
static bool hc_linger(struct http_conn *c)
{
	struct http_transport *t = c->srv->tr;
	char scratch[2048];

	while (c->rd_ready) {
		ssize_t n = t->ops->recv(t, c->h, scratch, sizeof(scratch));

		if (n == -EAGAIN) {
			c->rd_ready = false;
			break;
		}
		if (n <= 0) {
			hc_close(c, false);
			return false;
		}
	}
	return true;
}

/* One turn of a connection: up to max_pipeline answers, then others get theirs. @return false: closed. */
static bool hc_turn_steps(struct http_conn *c, uint64_t now)
{
	uint32_t budget = c->srv->cfg.max_pipeline;
	struct http_request req;
	ssize_t n;
	int rc;

	hc_runnable_clear(c);
	for (;;) {
		switch (c->state) {
		case HC_WRITE:
			rc = hc_flush(c, now);
			if (rc < 0) {
				hc_close(c, true);
				return false;
			}
			if (rc == 0)
				return true; /* until the transport says writable */
			if (!hc_response_done(c, now))
				return false;
			if (--budget == 0) {
				hc_runnable_add(c);
				return true;
			}
			break;
		case HC_READ:
			if (c->in_len > 0) {
				rc = http_parse(&c->parser, c->in, c->in_len, &req);
				if (rc != 0) {
					hc_request(c, &req, rc, now);
					break;
				}
			}
			n = hc_fill(c, now);
			if (n == -EAGAIN)
				return true;
			if (n <= 0) {
				/* End of stream between requests is the normal end; within one, or an error, is not. */
				hc_close(c, n < 0 || c->in_len > 0);
				return false;
			}
			break;
		case HC_BODY: {
			uint64_t drop = c->body_left < c->in_len ? c->body_left : c->in_len;

			if (drop) {
				c->in_len -= (uint32_t)drop;
				memmove(c->in, c->in + drop, c->in_len);
				c->body_left -= drop;
			}
			if (c->body_left == 0) {
				c->state = HC_WRITE;
				hc_timer_set(c, HTTP_T_SEND, now);
				break;
			}
			n = hc_fill(c, now);
			if (n == -EAGAIN)
				return true;
			if (n <= 0) {
				hc_close(c, true);
				return false;
			}
			break;
		}
		case HC_LINGER:
			if (!hc_linger(c))
				return false;
			if (c->deadline <= now) {
				hc_close(c, false);
				return false;
			}
			return true;
		}
	}
}

static void hc_turn(struct http_conn *c, uint64_t now)
{
	if (hc_turn_steps(c, now) && !hc_in_return(c))
		hc_close(c, true);
}

void http_conn_event(struct http_conn *c, uint32_t events, uint64_t now_ms)
{
	if (events & HTTP_EV_ERROR) {
		hc_close(c, true);
		return;
	}
	if (events & HTTP_EV_READ)
		c->rd_ready = true;
	if (events & HTTP_EV_WRITE)
		c->wr_ready = true;
	hc_turn(c, now_ms);
}

/* What a deadline means: a send stall is reset (the transport's buffer goes at once), others close. */
static void hc_expire(struct http_server *s, uint64_t now)
{
	for (int t = 0; t < HTTP_T_KINDS; t++) {
		while (s->timers[t].head && s->timers[t].head->deadline <= now) {
			s->stats.timeouts[t]++;
			hc_close(s->timers[t].head, t == HTTP_T_SEND);
		}
	}
}

void http_server_run(struct http_server *s, uint64_t now_ms)
{
	struct http_conn_list turn = s->runnable;

	/* This round's connections only: those that run out of budget again wait for the next one. */
	s->runnable.head = s->runnable.tail = NULL;
	while (turn.head) {
		struct http_conn *c = turn.head;

		turn.head = c->rnext;
		if (turn.head)
			turn.head->rprev = NULL;
		c->rprev = c->rnext = NULL;
		c->runnable = false;
		hc_turn(c, now_ms);
	}
	hc_expire(s, now_ms);
}

int http_server_timeout(const struct http_server *s, uint64_t now_ms)
{
	int64_t best = -1;

	if (s->runnable.head)
		return 0;
	for (int t = 0; t < HTTP_T_KINDS; t++) {
		const struct http_conn *c = s->timers[t].head;

		if (c) {
			int64_t left = c->deadline > now_ms ? (int64_t)(c->deadline - now_ms) : 0;

			if (best < 0 || left < best)
				best = left;
		}
	}
	return (int)best;
}
