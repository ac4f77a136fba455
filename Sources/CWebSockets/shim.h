#ifndef STREAMHUB_CWEBSOCKETS_SHIM_H
#define STREAMHUB_CWEBSOCKETS_SHIM_H
/* libwebsockets for Swift: macros that do not import become constants and inline functions. */
#include <libwebsockets.h>

/* Headroom lws needs before every payload passed to lws_write(). */
static const size_t shim_lws_pre = LWS_PRE;

/* Mutual TLS on a listener: a valid client certificate is required (a compound macro). */
static const unsigned long long shim_require_client_cert = LWS_SERVER_OPTION_REQUIRE_VALID_OPENSSL_CLIENT_CERT;

/* A timer on the loop: the lws list node first, so the callback's pointer is the timer. */
typedef struct shim_timer {
    lws_sorted_usec_list_t sul;
    void *owner;
} shim_timer;

static inline struct lws_protocols shim_protocol_terminator(void) {
    struct lws_protocols p;
    memset(&p, 0, sizeof p);
    return p;
}

static inline int shim_kill_async(struct lws *wsi) {
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    return 0;
}
#endif
