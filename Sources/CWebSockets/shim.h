#ifndef STREAMHUB_CWEBSOCKETS_SHIM_H
#define STREAMHUB_CWEBSOCKETS_SHIM_H
/* libwebsockets for Swift: macros that do not import become constants and inline functions. */
#include <libwebsockets.h>
#include <stdlib.h>
#include <uv.h>

/* Headroom lws needs before every payload passed to lws_write(). */
static const size_t shim_lws_pre = LWS_PRE;

/* Mutual TLS on a listener: a valid client certificate is required (a compound macro). */
static const unsigned long long shim_require_client_cert = LWS_SERVER_OPTION_REQUIRE_VALID_OPENSSL_CLIENT_CERT;

/* lws_write()'s close frame (LWS_WRITE_CLOSE, private to lws' ws role; lws_close_reason()
 * is the public way, but it defers the frame to a writable pass that lws 4.1.6 on libuv can
 * skip). */
static const enum lws_write_protocol shim_write_close = (enum lws_write_protocol)4;

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

/* libuv (epoll): a loop the EventLoop owns and hands to lws as its foreign loop, and one
 * async handle on it that stops the loop from any thread. */
static inline uv_loop_t *shim_uv_loop_new(void) {
    uv_loop_t *loop = malloc(sizeof *loop);
    if (loop && uv_loop_init(loop) != 0) {
        free(loop);
        return NULL;
    }
    return loop;
}

/* Closes the loop once every handle on it is closed (returns UV_EBUSY while any is open). */
static inline int shim_uv_loop_free(uv_loop_t *loop) {
    int rc = uv_loop_close(loop);
    if (rc == 0) free(loop);
    return rc;
}

static inline uv_async_t *shim_uv_async_new(uv_loop_t *loop, uv_async_cb callback, void *data) {
    uv_async_t *async = malloc(sizeof *async);
    if (!async) return NULL;
    if (uv_async_init(loop, async, callback) != 0) {
        free(async);
        return NULL;
    }
    async->data = data;
    return async;
}

static inline void shim_uv_free_handle(uv_handle_t *handle) { free(handle); }

/* libwebsockets 4.1.6 on libuv services buffered input (a message inflated into several
 * callbacks, rx held back by flow control) from an idle handle that stops itself after one pass,
 * even when input is still buffered: that input then waits for the socket's next packet. This
 * prepare handle checks before every wait and services what is buffered, keeping its own idle
 * handle running (poll does not block) while anything is still pending. */
typedef struct shim_uv_pending {
    uv_prepare_t prepare;
    uv_idle_t idle;
    struct lws_context *context;
    int open_handles;
} shim_uv_pending;

static inline void shim_uv_pending_idle(uv_idle_t *idle) { (void)idle; }

static inline void shim_uv_pending_prepare(uv_prepare_t *prepare) {
    shim_uv_pending *p = (shim_uv_pending *)prepare->data;
    if (p->context && lws_service_adjust_timeout(p->context, 1, 0) == 0) {
        _lws_plat_service_forced_tsi(p->context, 0);
        /* Timers the serviced callbacks scheduled are armed by lws' own idle pass, which only
         * an lws event starts: its pipe is one. */
        lws_cancel_service(p->context);
    }
    if (p->context && lws_service_adjust_timeout(p->context, 1, 0) == 0)
        uv_idle_start(&p->idle, shim_uv_pending_idle);
    else
        uv_idle_stop(&p->idle);
}

static inline shim_uv_pending *shim_uv_pending_new(uv_loop_t *loop) {
    shim_uv_pending *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    uv_prepare_init(loop, &p->prepare);
    uv_idle_init(loop, &p->idle);
    p->prepare.data = p;
    p->idle.data = p;
    p->open_handles = 2;
    uv_prepare_start(&p->prepare, shim_uv_pending_prepare);
    return p;
}

static inline void shim_uv_pending_closed(uv_handle_t *handle) {
    shim_uv_pending *p = (shim_uv_pending *)handle->data;
    if (--p->open_handles == 0) free(p);
}

/* Stops servicing (the context is going away) and closes both handles. */
static inline void shim_uv_pending_close(shim_uv_pending *p) {
    p->context = NULL;
    uv_prepare_stop(&p->prepare);
    uv_idle_stop(&p->idle);
    uv_close((uv_handle_t *)&p->prepare, shim_uv_pending_closed);
    uv_close((uv_handle_t *)&p->idle, shim_uv_pending_closed);
}

/* A prepare handle: `callback` runs each time the loop is about to wait for I/O. */
static inline uv_prepare_t *shim_uv_prepare_new(uv_loop_t *loop, uv_prepare_cb callback, void *data) {
    uv_prepare_t *prepare = malloc(sizeof *prepare);
    if (!prepare) return NULL;
    if (uv_prepare_init(loop, prepare) != 0) {
        free(prepare);
        return NULL;
    }
    prepare->data = data;
    uv_prepare_start(prepare, callback);
    return prepare;
}

static inline void shim_uv_prepare_close(uv_prepare_t *prepare) {
    uv_prepare_stop(prepare);
    uv_close((uv_handle_t *)prepare, shim_uv_free_handle);
}

/* Closes an async handle; its memory is freed by the loop once the close completes. */
static inline void shim_uv_async_close(uv_async_t *async) {
    uv_close((uv_handle_t *)async, shim_uv_free_handle);
}
#endif
