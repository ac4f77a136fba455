/*
 * ws-load — a neutral WebSocket load client for StreamHub's benchmarks.
 *
 * Opens N connections to one WebSocket URL from several threads (one epoll loop each, plain
 * sockets: the client must cost far less than the server it measures), optionally sends a
 * subscribe message on each, then counts the messages delivered during a measured window and
 * the latency of each from a numeric timestamp field in the message (epoch s, ms, µs or ns;
 * the unit follows from its magnitude). Prints one JSON line.
 *
 *   cc -O2 -pthread -o ws-load Benchmarks/C/ws-load.c -lm
 *   ws-load --port 9001 --path /ws --conns 10000 --threads 2 --duration 10 --split --ts-key rt \
 *           --subscribe '{"id":1,"op":"subscribe","channel":"ticker.synthetic.S{n}"}' --channels 1000
 *
 * `{n}` in the subscribe message is the connection's index modulo --channels; with --split a
 * frame carries several messages separated by '\n' (StreamHub and the C reference batch
 * pending messages into one frame). Without --subscribe the connections are held idle: the
 * accept rate and, with --server-pid, the server's memory per connection are what it measures. --server-pid also reports the server's CPU time per delivered message.
 * More than ~28k connections need several source addresses (--sources 4: 127.0.0.1 … .4).
 * --deflate offers permessage-deflate (RFC 7692) as browsers do, with
 * --deflate-no-context-takeover asking the server to compress each message alone; messages are
 * inflated and counted as usual, "mb_per_s" is then the compressed payload on the wire and
 * "message_mb_per_s" what it inflates to.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

/* Latency histogram: 10 µs buckets up to 10 s, the last bucket holds everything slower. */
#define BUCKET_US 10
#define BUCKETS 1000000
/* A compressed message, or what it inflates to, beyond this is dropped like an oversize frame. */
#define MAX_MESSAGE (64u << 20)
/* Each thread reads into one buffer; a partial frame is carried per connection. */
#define READ_BUFFER (256 * 1024)
/* The RFC 6455 sample key and the accept value the server must answer with. */
#define WS_KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define WS_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

enum state { CONNECTING, HANDSHAKING, OPEN, CLOSED };

struct conn {
	int fd;
	int index;
	enum state state;
	unsigned char *carry; /* bytes of an incomplete frame (or handshake) */
	size_t carry_len;
	int open_message; /* a fragmented message (or --split piece) continues in the next frame */
	z_stream *z;      /* the inflater, when the server accepted permessage-deflate */
	int reset_each;   /* server_no_context_takeover: every message starts a new stream */
	int compressed;   /* the message being received is compressed (RSV1 on its first frame) */
	unsigned char *zin; /* its compressed bytes so far */
	size_t zin_len, zin_cap;
};

struct options {
	const char *host, *path, *subscribe, *ts_key, *header;
	int port, conns, threads, channels, sources, inflight;
	double duration, warmup;
	int split;
	int server_pid;
	int deflate, no_takeover;
} opt = {
	.host = "127.0.0.1", .path = "/", .port = 0, .conns = 100, .threads = 2, .channels = 1,
	.sources = 1, .inflight = 256, .duration = 10, .warmup = 1, .server_pid = 0,
};

struct worker {
	pthread_t thread;
	int epfd;
	struct conn *conns;
	int count;        /* connections of this worker */
	int next;         /* next one to open */
	int pending;      /* connects + handshakes in flight */
	int open, failed, closed, dropped;
	uint64_t messages, bytes, message_bytes, timed, no_ts;
	int deflated;            /* connections that negotiated permessage-deflate */
	unsigned char *inflated; /* one inflated message */
	size_t inflated_cap;
	uint32_t *histogram;
	unsigned char *buffer;
	unsigned int seed;
};

static struct worker *workers;
static atomic_int phase; /* 0: connecting, 1: warming up, 2: measuring, 3: done */
static atomic_int handshakes_done, connects_failed, failures_told;

static double now_mono(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int64_t now_epoch_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static void die(const char *what)
{
	fprintf(stderr, "ws-load: %s\n", what);
	exit(2);
}

/* Why a connection failed, for the first few only: a refused run fails thousands alike. */
static void tell_failure(struct conn *c, const char *why, const char *detail)
{
	if (atomic_fetch_add(&failures_told, 1) < 5)
		fprintf(stderr, "ws-load: connection %d %s%s%s\n", c->index, why, detail ? ": " : "", detail ? detail : "");
}

/* ---- sending (client frames are masked, RFC 6455 §5.3) ---- */

static int send_frame(struct worker *w, struct conn *c, int opcode, const char *payload, size_t len)
{
	unsigned char frame[14 + 4096];
	size_t n = 0;
	if (len > 4096)
		return -1;
	frame[n++] = 0x80 | opcode;
	if (len < 126) {
		frame[n++] = 0x80 | len;
	} else {
		frame[n++] = 0x80 | 126;
		frame[n++] = len >> 8;
		frame[n++] = len & 0xff;
	}
	unsigned char mask[4];
	for (int i = 0; i < 4; i++)
		mask[i] = rand_r(&w->seed) & 0xff;
	memcpy(frame + n, mask, 4);
	n += 4;
	for (size_t i = 0; i < len; i++)
		frame[n + i] = payload[i] ^ mask[i & 3];
	n += len;
	/* Small control and subscribe frames: the socket buffer takes them whole. */
	return send(c->fd, frame, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

static void send_subscribe(struct worker *w, struct conn *c)
{
	if (!opt.subscribe)
		return;
	char message[4096];
	const char *hole = strstr(opt.subscribe, "{n}");
	int n;
	if (hole)
		n = snprintf(message, sizeof message, "%.*s%d%s", (int)(hole - opt.subscribe), opt.subscribe,
			     c->index % opt.channels, hole + 3);
	else
		n = snprintf(message, sizeof message, "%s", opt.subscribe);
	if (n < 0 || n >= (int)sizeof message || send_frame(w, c, 0x1, message, n) < 0)
		fprintf(stderr, "ws-load: connection %d: subscribe not sent\n", c->index);
}

/* ---- receiving ---- */

static void record(struct worker *w, const unsigned char *message, size_t len)
{
	w->messages++;
	if (!opt.ts_key)
		return;
	/* The field as "key": followed by an integer (or a decimal: seconds with a fraction). */
	char pattern[128];
	int plen = snprintf(pattern, sizeof pattern, "\"%s\":", opt.ts_key);
	const unsigned char *at = memmem(message, len, pattern, plen);
	if (!at) {
		w->no_ts++;
		return;
	}
	const char *p = (const char *)at + plen;
	size_t left = len - (size_t)(p - (const char *)message);
	char digits[40];
	size_t d = 0;
	while (d < left && d < sizeof digits - 1 && (p[d] == '.' || (p[d] >= '0' && p[d] <= '9')))
		digits[d] = p[d], d++;
	digits[d] = 0;
	double value = atof(digits);
	if (value <= 0) {
		w->no_ts++;
		return;
	}
	/* Seconds (1e9), milliseconds (1e12), microseconds (1e15) or nanoseconds (1e18). */
	double us = value < 1e11 ? value * 1e6 : value < 1e14 ? value * 1e3 : value < 1e17 ? value : value / 1e3;
	int64_t latency = now_epoch_us() - (int64_t)us;
	if (latency < 0)
		latency = 0;
	int64_t bucket = latency / BUCKET_US;
	w->histogram[bucket < BUCKETS ? bucket : BUCKETS - 1]++;
	w->timed++;
}

/* One data frame's payload. A message is counted when it ends: at the frame's FIN, or with
 * --split at each '\n'. A message begun in an earlier fragment is counted without a latency
 * (its timestamp may sit in the fragment before). */
static void on_payload(struct worker *w, struct conn *c, const unsigned char *p, size_t len, int fin)
{
	int measuring = atomic_load_explicit(&phase, memory_order_relaxed) == 2;
	if (measuring)
		w->message_bytes += len;
	for (;;) {
		const unsigned char *nl = opt.split ? memchr(p, '\n', len) : NULL;
		size_t piece = nl ? (size_t)(nl - p) : len;
		int ends = nl || fin;
		if (ends && measuring && (piece || c->open_message)) {
			if (c->open_message)
				w->messages++, w->no_ts++;
			else
				record(w, p, piece);
		}
		if (!ends) {
			c->open_message = piece || c->open_message;
			return;
		}
		c->open_message = 0;
		if (!nl)
			return;
		p += piece + 1;
		len -= piece + 1;
	}
}

static void close_conn(struct worker *w, struct conn *c, int failed)
{
	if (c->state == CLOSED)
		return;
	if (c->state == CONNECTING || c->state == HANDSHAKING) {
		w->pending--;
		failed = 1;
		atomic_fetch_add(&connects_failed, 1);
	} else {
		w->open--;
	}
	if (failed)
		w->failed++;
	else
		w->closed++;
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->state = CLOSED;
	free(c->carry);
	c->carry = NULL;
	c->carry_len = 0;
	if (c->z) {
		inflateEnd(c->z);
		free(c->z);
		c->z = NULL;
	}
	free(c->zin);
	c->zin = NULL;
	c->zin_len = c->zin_cap = 0;
}

/* ---- permessage-deflate (RFC 7692) ---- */

static int append_compressed(struct conn *c, const unsigned char *p, size_t len)
{
	if (c->zin_len + len > MAX_MESSAGE)
		return -1;
	if (c->zin_len + len > c->zin_cap) {
		size_t cap = c->zin_cap ? c->zin_cap : 1024;
		while (cap < c->zin_len + len)
			cap *= 2;
		unsigned char *grown = realloc(c->zin, cap);
		if (!grown)
			return -1;
		c->zin = grown, c->zin_cap = cap;
	}
	memcpy(c->zin + c->zin_len, p, len);
	c->zin_len += len;
	return 0;
}

/* Inflates the message's compressed bytes (with the 00 00 ff ff tail the sender took off) into
 * the worker's buffer; returns its length, or -1 when the stream is not valid deflate. */
static ssize_t inflate_message(struct worker *w, struct conn *c)
{
	static const unsigned char tail[4] = {0x00, 0x00, 0xff, 0xff};
	if (append_compressed(c, tail, 4) < 0)
		return -1;
	z_stream *z = c->z;
	z->next_in = c->zin;
	z->avail_in = (uInt)c->zin_len;
	size_t have = 0;
	for (;;) {
		if (w->inflated_cap - have < 4096) {
			size_t cap = w->inflated_cap ? w->inflated_cap * 2 : 65536;
			unsigned char *grown = realloc(w->inflated, cap);
			if (!grown)
				return -1;
			w->inflated = grown, w->inflated_cap = cap;
		}
		z->next_out = w->inflated + have;
		z->avail_out = (uInt)(w->inflated_cap - have);
		int r = inflate(z, Z_SYNC_FLUSH);
		have = (size_t)(z->next_out - w->inflated);
		if (r == Z_STREAM_END) { /* a final block (RFC 7692 §7.2.3.3): the next message starts anew */
			inflateReset(z);
			break;
		}
		if (r != Z_OK && r != Z_BUF_ERROR)
			return -1;
		if (z->avail_in == 0 && z->avail_out > 0)
			break;
		if (have > MAX_MESSAGE)
			return -1;
	}
	c->zin_len = 0;
	if (c->reset_each)
		inflateReset(z);
	return (ssize_t)have;
}

/* Parses whole frames from data; returns the bytes consumed (the rest is an incomplete frame). */
static size_t parse_frames(struct worker *w, struct conn *c, unsigned char *data, size_t len)
{
	size_t at = 0;
	while (len - at >= 2) {
		unsigned char *f = data + at;
		int opcode = f[0] & 0x0f;
		int masked = f[1] & 0x80;
		uint64_t plen = f[1] & 0x7f;
		size_t head = 2;
		if (plen == 126) {
			if (len - at < 4)
				break;
			plen = (uint64_t)f[2] << 8 | f[3];
			head = 4;
		} else if (plen == 127) {
			if (len - at < 10)
				break;
			plen = 0;
			for (int i = 0; i < 8; i++)
				plen = plen << 8 | f[2 + i];
			head = 10;
		}
		if (masked)
			head += 4;
		if (len - at < head || len - at - head < plen)
			break;
		unsigned char *payload = f + head;
		if (masked)
			for (uint64_t i = 0; i < plen; i++)
				payload[i] ^= f[head - 4 + (i & 3)];
		switch (opcode) {
		case 0x0: case 0x1: case 0x2: /* continuation, text, binary */
			if (atomic_load_explicit(&phase, memory_order_relaxed) == 2)
				w->bytes += plen; /* on the wire */
			if (opcode != 0x0)
				c->compressed = c->z && (f[0] & 0x40);
			if (!c->compressed) {
				on_payload(w, c, payload, plen, f[0] & 0x80);
				break;
			}
			ssize_t n = append_compressed(c, payload, plen) < 0 ? -1 : 0;
			if (n == 0 && (f[0] & 0x80))
				n = inflate_message(w, c);
			if (n < 0) { /* counted with the oversize drops: the server's frame, not a failure to connect */
				tell_failure(c, "dropped", "a compressed message too large or that does not inflate");
				w->dropped++;
				close_conn(w, c, 0);
				w->closed--;
				return len;
			}
			if (f[0] & 0x80) {
				on_payload(w, c, w->inflated, (size_t)n, 1);
			}
			break;
		case 0x8: /* close: answer and drop */
			send_frame(w, c, 0x8, (const char *)payload, plen > 125 ? 0 : plen);
			close_conn(w, c, 0);
			return len;
		case 0x9: /* ping */
			send_frame(w, c, 0xA, (const char *)payload, plen > 125 ? 0 : plen);
			break;
		default:
			break;
		}
		at += head + plen;
	}
	return at;
}

/* Reads the 101 answer; returns the bytes of it consumed, 0 while incomplete, -1 on refusal. */
static ssize_t parse_handshake(struct conn *c, unsigned char *data, size_t len)
{
	unsigned char *end = memmem(data, len, "\r\n\r\n", 4);
	if (!end)
		return len > 16384 ? -1 : 0;
	size_t head = (size_t)(end - data) + 4;
	if (len < 12 || memcmp(data, "HTTP/1.1 101", 12) != 0) {
		char status[64];
		unsigned char *eol = memchr(data, '\r', head);
		snprintf(status, sizeof status, "%.*s", (int)(eol ? eol - data : 12), data);
		tell_failure(c, "refused", status);
		return -1;
	}
	if (!memmem(data, head, WS_ACCEPT, strlen(WS_ACCEPT))) {
		tell_failure(c, "refused", "wrong Sec-WebSocket-Accept");
		return -1;
	}
	if (opt.deflate && memmem(data, head, "permessage-deflate", 18)) {
		c->z = calloc(1, sizeof *c->z);
		if (!c->z || inflateInit2(c->z, -15) != Z_OK) /* raw deflate; 15 bits read any window */
			die("cannot set up an inflater");
		c->reset_each = memmem(data, head, "server_no_context_takeover", 26) != NULL;
	}
	return head;
}

static void on_readable(struct worker *w, struct conn *c)
{
	/* The carried bytes first, then as much as the socket has. */
	for (;;) {
		size_t have = c->carry_len;
		if (have)
			memcpy(w->buffer, c->carry, have);
		ssize_t n = recv(c->fd, w->buffer + have, READ_BUFFER - have, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			if (c->state != OPEN)
				tell_failure(c, "refused", n == 0 ? "closed by the server during the handshake" : strerror(errno));
			close_conn(w, c, c->state != OPEN);
			return;
		}
		if (n < 0)
			return;
		size_t len = have + (size_t)n, used = 0;
		if (c->state == HANDSHAKING) {
			ssize_t h = parse_handshake(c, w->buffer, len);
			if (h < 0) {
				close_conn(w, c, 1);
				return;
			}
			if (h > 0) {
				used = h;
				c->state = OPEN;
				w->pending--;
				w->open++;
				atomic_fetch_add(&handshakes_done, 1);
				if (c->z)
					w->deflated++;
				send_subscribe(w, c);
			}
		}
		if (c->state == OPEN)
			used += parse_frames(w, c, w->buffer + used, len - used);
		if (c->state == CLOSED)
			return;
		size_t rest = len - used;
		if (rest == READ_BUFFER) {
			tell_failure(c, "dropped", "a frame larger than the read buffer");
			w->dropped++;
			close_conn(w, c, 0);
			w->closed--;
			return;
		}
		if (rest) {
			unsigned char *carry = realloc(c->carry, rest);
			if (!carry)
				die("out of memory");
			memmove(carry, w->buffer + used, rest);
			c->carry = carry;
		} else {
			free(c->carry);
			c->carry = NULL;
		}
		c->carry_len = rest;
		if ((size_t)n < READ_BUFFER - have)
			return; /* the socket is drained */
	}
}

static void start_connect(struct worker *w, struct conn *c)
{
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		tell_failure(c, "has no socket", strerror(errno));
		c->state = CLOSED;
		w->failed++;
		atomic_fetch_add(&connects_failed, 1);
		return;
	}
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (opt.sources > 1) {
		/* Port chosen at connect(), per destination: each source address has its own range. */
		setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
		struct sockaddr_in local = {.sin_family = AF_INET};
		local.sin_addr.s_addr = htonl(0x7f000001 + c->index % opt.sources);
		if (bind(c->fd, (struct sockaddr *)&local, sizeof local) < 0)
			fprintf(stderr, "ws-load: bind 127.0.0.%d: %s\n", 1 + c->index % opt.sources, strerror(errno));
	}
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(opt.port)};
	inet_pton(AF_INET, opt.host, &to.sin_addr);
	c->state = CONNECTING;
	w->pending++;
	if (connect(c->fd, (struct sockaddr *)&to, sizeof to) < 0 && errno != EINPROGRESS) {
		tell_failure(c, "could not connect", strerror(errno));
		close_conn(w, c, 1);
		return;
	}
	struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.ptr = c};
	epoll_ctl(w->epfd, EPOLL_CTL_ADD, c->fd, &ev);
}

static void on_connected(struct worker *w, struct conn *c)
{
	int err = 0;
	socklen_t l = sizeof err;
	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
	if (err) {
		tell_failure(c, "could not connect", strerror(err));
		close_conn(w, c, 1);
		return;
	}
	char request[2048];
	const char *offer = !opt.deflate ? ""
			    : opt.no_takeover ? "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits; server_no_context_takeover\r\n"
					      : "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";
	int n = snprintf(request, sizeof request,
			 "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			 "Sec-WebSocket-Key: " WS_KEY "\r\nSec-WebSocket-Version: 13\r\n%s%s%s\r\n",
			 opt.path, opt.host, opt.port, offer, opt.header ? opt.header : "", opt.header ? "\r\n" : "");
	if (send(c->fd, request, n, MSG_NOSIGNAL) != n) {
		close_conn(w, c, 1);
		return;
	}
	c->state = HANDSHAKING;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
	epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void *run_worker(void *arg)
{
	struct worker *w = arg;
	struct epoll_event events[512];
	for (;;) {
		/* Keep at most --inflight connects and handshakes open: a flood would overflow the
		 * server's accept backlog, and retransmitted SYNs would measure the kernel, not it. */
		while (w->next < w->count && w->pending < opt.inflight)
			start_connect(w, &w->conns[w->next++]);
		if (atomic_load(&phase) == 3)
			break;
		int n = epoll_wait(w->epfd, events, 512, 50);
		for (int i = 0; i < n; i++) {
			struct conn *c = events[i].data.ptr;
			if (c->state == CONNECTING && (events[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
				on_connected(w, c);
			else if (c->state == HANDSHAKING || c->state == OPEN)
				on_readable(w, c);
		}
	}
	return NULL;
}

/* ---- the server's resources (Linux /proc) ---- */

static FILE *open_server_proc(const char *name)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", opt.server_pid, name);
	return fopen(path, "r");
}

static double server_cpu_seconds(void)
{
	char text[1024];
	FILE *f = open_server_proc("stat");
	if (!f)
		return -1;
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = 0;
	/* Fields after the command name (which may hold spaces) — utime and stime are 14 and 15. */
	char *p = strrchr(text, ')');
	if (!p)
		return -1;
	unsigned long utime = 0, stime = 0;
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
		return -1;
	return (double)(utime + stime) / sysconf(_SC_CLK_TCK);
}

static long server_rss_kib(void)
{
	char line[256];
	FILE *f = open_server_proc("status");
	if (!f)
		return -1;
	long kib = -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static double percentile(const uint64_t *merged, uint64_t total, double q)
{
	if (!total)
		return NAN;
	uint64_t rank = (uint64_t)ceil(q * total), seen = 0;
	for (int b = 0; b < BUCKETS; b++) {
		seen += merged[b];
		if (seen >= rank)
			return (b + 0.5) * BUCKET_US / 1000.0;
	}
	return NAN;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ws-load --port P [--host 127.0.0.1] [--path /] [--conns N] [--threads T]\n"
		"               [--duration S] [--warmup S] [--subscribe MSG] [--channels K] [--split]\n"
		"               [--ts-key KEY] [--header 'Name: value'] [--sources K]\n"
		"               [--inflight N] [--server-pid PID] [--deflate [--deflate-no-context-takeover]]\n");
	exit(2);
}

/* A flag's numeric value within [low, high] (whole numbers only when `whole`), or exit 2. */
static double number(const char *flag, const char *value, double low, double high, int whole)
{
	char *end;
	double v = strtod(value, &end);
	if (*value == 0 || *end != 0 || !(v >= low && v <= high) || (whole && v != (long)v)) {
		fprintf(stderr, "ws-load: %s wants %s from %.0f to %.0f, got '%s'\n", flag, whole ? "a whole number" : "seconds", low,
			high, value);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--split")) { opt.split = 1; continue; }
		if (!strcmp(a, "--deflate")) { opt.deflate = 1; continue; }
		if (!strcmp(a, "--deflate-no-context-takeover")) { opt.deflate = opt.no_takeover = 1; continue; }
		if (!v) usage();
		i++;
		if (!strcmp(a, "--host")) opt.host = v;
		else if (!strcmp(a, "--port")) opt.port = number(a, v, 1, 65535, 1);
		else if (!strcmp(a, "--path")) opt.path = v;
		else if (!strcmp(a, "--conns")) opt.conns = number(a, v, 1, 1000000, 1);
		else if (!strcmp(a, "--threads")) opt.threads = number(a, v, 1, 64, 1);
		else if (!strcmp(a, "--duration")) opt.duration = number(a, v, 0, 86400, 0);
		else if (!strcmp(a, "--warmup")) opt.warmup = number(a, v, 0, 86400, 0);
		else if (!strcmp(a, "--subscribe")) opt.subscribe = v;
		else if (!strcmp(a, "--channels")) opt.channels = number(a, v, 1, 1000000, 1);
		else if (!strcmp(a, "--ts-key")) opt.ts_key = v;
		else if (!strcmp(a, "--header")) opt.header = v;
		else if (!strcmp(a, "--sources")) opt.sources = number(a, v, 1, 254, 1);
		else if (!strcmp(a, "--inflight")) opt.inflight = number(a, v, 1, 100000, 1);
		else if (!strcmp(a, "--server-pid")) opt.server_pid = number(a, v, 1, 1 << 30, 1);
		else usage();
	}
	if (!opt.port)
		usage();
	struct in_addr probe;
	if (inet_pton(AF_INET, opt.host, &probe) != 1)
		die("--host wants an IPv4 address");
	if (opt.threads > opt.conns)
		opt.threads = opt.conns;

	/* One descriptor per connection, plus the epoll sets. */
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < (rlim_t)opt.conns + 64)
		fprintf(stderr, "ws-load: only %lu descriptors allowed for %d connections\n", (unsigned long)rl.rlim_cur, opt.conns);

	long rss_before = opt.server_pid ? server_rss_kib() : -1;
	workers = calloc(opt.threads, sizeof *workers);
	for (int t = 0; t < opt.threads; t++) {
		struct worker *w = &workers[t];
		w->seed = 0x5eed + t;
		w->count = opt.conns / opt.threads + (t < opt.conns % opt.threads);
		w->conns = calloc(w->count, sizeof *w->conns);
		w->histogram = calloc(BUCKETS, sizeof *w->histogram);
		w->buffer = malloc(READ_BUFFER);
		w->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (!w->conns || !w->histogram || !w->buffer || w->epfd < 0)
			die("cannot set up a worker");
		for (int k = 0; k < w->count; k++)
			w->conns[k].index = k * opt.threads + t;
	}
	double connect_start = now_mono();
	for (int t = 0; t < opt.threads; t++)
		pthread_create(&workers[t].thread, NULL, run_worker, &workers[t]);

	/* Connect phase: until every connection is open or has failed, or nothing has settled for
	 * 10 s (a server at its descriptor limit leaves connections in its backlog, unanswered). */
	double progress_at = connect_start;
	int last_settled = 0, stalled = 0;
	for (;;) {
		int settled = atomic_load(&handshakes_done) + atomic_load(&connects_failed);
		if (settled >= opt.conns)
			break;
		if (settled != last_settled)
			last_settled = settled, progress_at = now_mono();
		if (now_mono() - progress_at > 10) {
			fprintf(stderr, "ws-load: connect phase stalled (%d of %d open, %d failed)\n", atomic_load(&handshakes_done),
				opt.conns, atomic_load(&connects_failed));
			stalled = 1;
			break;
		}
		usleep(2000);
	}
	/* The accept rate counts up to the last connection that settled, not the stall's wait. */
	double connect_seconds = (stalled ? progress_at : now_mono()) - connect_start;
	int connected = atomic_load(&handshakes_done);

	/* Warm-up (subscriptions settle), then the measured window. */
	atomic_store(&phase, 1);
	usleep((useconds_t)(opt.warmup * 1e6));
	long rss_open = opt.server_pid ? server_rss_kib() : -1;
	double cpu_start = opt.server_pid ? server_cpu_seconds() : -1;
	double start = now_mono();
	atomic_store(&phase, 2);
	usleep((useconds_t)(opt.duration * 1e6));
	atomic_store(&phase, 3);
	double window = now_mono() - start;
	double cpu_end = opt.server_pid ? server_cpu_seconds() : -1;
	for (int t = 0; t < opt.threads; t++)
		pthread_join(workers[t].thread, NULL);

	uint64_t messages = 0, bytes = 0, message_bytes = 0, timed = 0, no_ts = 0;
	int open = 0, failed = 0, closed = 0, dropped = 0, deflated = 0;
	uint64_t *merged = calloc(BUCKETS, sizeof *merged);
	for (int t = 0; t < opt.threads; t++) {
		struct worker *w = &workers[t];
		messages += w->messages, bytes += w->bytes, timed += w->timed, no_ts += w->no_ts;
		message_bytes += w->message_bytes, deflated += w->deflated;
		open += w->open, failed += w->failed, closed += w->closed, dropped += w->dropped;
		for (int b = 0; b < BUCKETS; b++)
			merged[b] += w->histogram[b];
	}
	printf("{\"conns\":%d,\"connected\":%d,\"failed\":%d,\"closed_by_server\":%d,\"dropped_oversize\":%d,\"open_at_end\":%d,"
	       "\"connect_s\":%.3f,\"accepts_per_s\":%.0f,\"threads\":%d,\"window_s\":%.3f,"
	       "\"msgs\":%llu,\"msgs_per_s\":%.0f,\"mb_per_s\":%.2f,\"timed\":%llu,\"untimed\":%llu",
	       opt.conns, connected, failed, closed, dropped, open, connect_seconds,
	       connect_seconds > 0 ? connected / connect_seconds : 0, opt.threads, window,
	       (unsigned long long)messages, messages / window, bytes / window / 1e6,
	       (unsigned long long)timed, (unsigned long long)no_ts);
	printf(",\"deflate_conns\":%d,\"message_mb_per_s\":%.2f", deflated, message_bytes / window / 1e6);
	if (timed)
		printf(",\"p50_ms\":%.2f,\"p90_ms\":%.2f,\"p99_ms\":%.2f,\"p999_ms\":%.2f,\"max_ms\":%.2f",
		       percentile(merged, timed, 0.5), percentile(merged, timed, 0.9), percentile(merged, timed, 0.99),
		       percentile(merged, timed, 0.999), percentile(merged, timed, 1.0));
	if (opt.server_pid && cpu_start >= 0 && cpu_end >= 0) {
		printf(",\"server_cpu_pct\":%.1f", 100 * (cpu_end - cpu_start) / window);
		if (messages)
			printf(",\"server_cpu_us_per_msg\":%.3f", 1e6 * (cpu_end - cpu_start) / messages);
	}
	if (opt.server_pid && rss_before > 0 && rss_open > 0)
		printf(",\"server_rss_mib\":%.1f,\"server_bytes_per_conn\":%.0f", rss_open / 1024.0,
		       connected ? (rss_open - rss_before) * 1024.0 / connected : 0);
	printf("}\n");
	return connected == opt.conns ? 0 : 1;
}
