/*
 * ws-broadcast — the plain C libwebsockets ceiling StreamHub's fan-out is compared with.
 *
 * Publishes RATE messages per second (~140-byte JSON tickers with "ts", epoch µs) to every
 * connected WebSocket client: one ring of messages, a read position per connection, and on
 * each writable callback either one message per frame or (--batch) every pending message
 * joined by '\n' into one frame — the framing StreamHub uses. Nothing else: no parsing, no
 * state, no access control. It is the floor of what a libwebsockets server must spend.
 *
 *   cc -O2 -o ws-broadcast Benchmarks/C/ws-broadcast.c -lwebsockets
 *   ws-broadcast --port 9001 --rate 1000 --batch [--uv]
 *
 * --uv runs the context on libuv (epoll) through the Debian package's event-library plugin
 * instead of poll(). --message-bytes N pads every message with a "pad" member to N bytes (at
 * most 191), so it can send messages the size of the server it is compared with: when the
 * machine, not the server, is the limit, bytes decide how many messages get through. Prints
 * "ready PORT" once listening; runs until killed. --frame-bytes (default 256 KiB) and --ring
 * (default 4096 slots) set the batch budget and the backlog kept, to match the server compared.
 */
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

/* The ring: a power of two of fixed-size slots (--ring, 4096 by default); a connection further
 * behind loses the oldest. */
#define SLOT_BYTES 192
static unsigned long long slots = 4096;
static char (*ring)[SLOT_BYTES];
static unsigned short *ring_len;
/* The most one batched frame carries (--frame-bytes, at most 256 KiB). */
#define MAX_FRAME_BYTES (256 * 1024)
static size_t frame_bytes = MAX_FRAME_BYTES;
static unsigned long long head; /* sequence number of the next message */
static double rate = 1000;
static int batch;
static int message_bytes; /* pad each message to this length (0: unpadded) */
static int warned_short;  /* told once that --message-bytes is too short to pad to */
static unsigned long long produced;
static struct timeval started;
static struct lws_context *context;
static const struct lws_protocols *protocol; /* the one protocol, woken as a whole */
static lws_sorted_usec_list_t tick;
static unsigned char frame[LWS_PRE + MAX_FRAME_BYTES];

struct session {
	unsigned long long next; /* sequence number of the next message this connection gets */
};

static unsigned long long now_us(void)
{
	struct timeval t;
	gettimeofday(&t, NULL);
	return (unsigned long long)t.tv_sec * 1000000 + t.tv_usec;
}

/* Every millisecond: as many new messages as the rate owes since the start. */
static void produce(lws_sorted_usec_list_t *sul)
{
	struct timeval t;
	gettimeofday(&t, NULL);
	double elapsed = (t.tv_sec - started.tv_sec) + (t.tv_usec - started.tv_usec) / 1e6;
	unsigned long long due = (unsigned long long)(elapsed * rate);
	if (due > produced) {
		unsigned long long ts = now_us();
		while (produced < due) {
			unsigned long long seq = head++;
			int slot = seq & (slots - 1);
			int n = snprintf(ring[slot], SLOT_BYTES,
				"{\"channel\":\"ticker.ref.BTC-PERPETUAL\",\"seq\":%llu,\"ts\":%llu,"
				"\"bid\":97012.5,\"ask\":97013.0,\"bidSize\":1.25,\"askSize\":0.8}",
				seq, ts);
			/* ,"pad":"xx…"} replaces the closing brace: 9 more bytes of syntax around the filler */
			if (message_bytes >= n + 9) {
				int fill = message_bytes - n - 9;
				memcpy(ring[slot] + n - 1, ",\"pad\":\"", 8);
				memset(ring[slot] + n + 7, 'x', fill);
				memcpy(ring[slot] + n + 7 + fill, "\"}", 2);
				n = message_bytes;
			} else if (message_bytes > 0 && !warned_short) {
				warned_short = 1;
				fprintf(stderr, "ws-broadcast: --message-bytes %d is below %d, the shortest padded message: sending %d-byte messages\n",
					message_bytes, n + 9, n);
			}
			ring_len[slot] = (unsigned short)n;
			produced++;
		}
		lws_callback_on_writable_all_protocol(context, protocol);
	}
	lws_sul_schedule(context, 0, sul, produce, 1000);
}

static int write_pending(struct lws *wsi, struct session *s)
{
	if (head - s->next > slots) {
		s->next = head - slots;
	}
	if (s->next == head)
		return 0;
	size_t len = 0;
	unsigned char *out = frame + LWS_PRE;
	do {
		int slot = s->next & (slots - 1);
		if (len && len + 1 + ring_len[slot] > frame_bytes)
			break;
		if (len)
			out[len++] = '\n';
		memcpy(out + len, ring[slot], ring_len[slot]);
		len += ring_len[slot];
		s->next++;
	} while (batch && s->next != head);
	if (lws_write(wsi, out, len, LWS_WRITE_TEXT) < (int)len)
		return -1;
	if (s->next != head)
		lws_callback_on_writable(wsi);
	return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct session *s = user;
	(void)in;
	(void)len;
	switch (reason) {
	case LWS_CALLBACK_ESTABLISHED:
		s->next = head; /* from now on */
		break;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return write_pending(wsi, s);
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
	{"broadcast", callback, sizeof(struct session), 4096, 0, NULL, 16 << 20},
	{NULL, NULL, 0, 0, 0, NULL, 0},
};

/* A benchmark server just ends on SIGINT/SIGTERM. (On libuv lws installs handlers of its own
 * for them, a graceful teardown that 4.1.6 can leave spinning: ours replace them.) */
static void on_signal(int signum)
{
	(void)signum;
	_exit(0);
}

static void usage(void)
{
	fprintf(stderr, "usage: ws-broadcast --port P [--rate MSGS_PER_S] [--batch] [--uv] [--message-bytes N]\n"
			"       [--frame-bytes N (1024-262144)] [--ring SLOTS (a power of two)]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.port = -1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--batch"))
			batch = 1;
		else if (!strcmp(argv[i], "--uv")) /* and a crash ends the process, not a spin */
			info.options |= LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_UV_NO_SIGSEGV_SIGFPE_SPIN;
		else if (!strcmp(argv[i], "--port") && i + 1 < argc)
			info.port = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--rate") && i + 1 < argc)
			rate = atof(argv[++i]);
		else if (!strcmp(argv[i], "--message-bytes") && i + 1 < argc)
			message_bytes = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--frame-bytes") && i + 1 < argc)
			frame_bytes = (size_t)atol(argv[++i]);
		else if (!strcmp(argv[i], "--ring") && i + 1 < argc)
			slots = strtoull(argv[++i], NULL, 10);
		else
			usage();
	}
	if (info.port < 0 || info.port > 65535 || !(rate > 0) || message_bytes < 0 || message_bytes >= SLOT_BYTES ||
	    frame_bytes < 1024 || frame_bytes > MAX_FRAME_BYTES || slots < 2 || slots > (1 << 24) || (slots & (slots - 1)))
		usage();
	ring = calloc(slots, SLOT_BYTES);
	ring_len = calloc(slots, sizeof *ring_len);
	if (!ring || !ring_len) {
		fprintf(stderr, "ws-broadcast: cannot allocate a ring of %llu slots\n", slots);
		return 1;
	}
	lws_set_log_level(LLL_ERR | LLL_WARN, NULL);
	signal(SIGPIPE, SIG_IGN);
	info.iface = "127.0.0.1";
	info.protocols = protocols;
	protocol = &protocols[0];
	info.fd_limit_per_thread = 70000;
	info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
	context = lws_create_context(&info);
	if (!context) {
		fprintf(stderr, "ws-broadcast: cannot listen on 127.0.0.1:%d%s\n", info.port,
			(info.options & LWS_SERVER_OPTION_LIBUV) ? " with libuv (libwebsockets-evlib-uv installed?)" : "");
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	gettimeofday(&started, NULL);
	lws_sul_schedule(context, 0, &tick, produce, 1000);
	printf("ready %d\n", lws_get_vhost_listen_port(lws_get_vhost_by_name(context, "default")));
	fflush(stdout);
	/* With libuv, one lws_service call runs the loop until the process is killed. */
	while (lws_service(context, 0) >= 0)
		;
	lws_context_destroy(context);
	return 0;
}
