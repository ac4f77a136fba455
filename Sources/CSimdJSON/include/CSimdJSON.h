#ifndef STREAMHUB_CSIMDJSON_H
#define STREAMHUB_CSIMDJSON_H
/* A small generic C API over simdjson's DOM parser, so venue decoders can stay in Swift.
 *
 * Ownership: values, strings and iterators point into the parser's document and stay valid
 * until the next sj_parse() on the same parser. A parser is not thread-safe; one per thread.
 * Input: sj_parse() needs SJ_PADDING readable bytes after the input (their content does not
 * matter); callers keep receive buffers that large so no copy is made. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SJ_PADDING 64

typedef struct sj_parser sj_parser;

/* A JSON value inside the current document (opaque). */
typedef struct sj_value { uint64_t opaque[2]; } sj_value;
/* An iterator over an array or an object (opaque). */
typedef struct sj_iter { uint64_t opaque[4]; } sj_iter;

typedef enum sj_type {
    SJ_ARRAY = 0,
    SJ_OBJECT = 1,
    SJ_INT64 = 2,
    SJ_UINT64 = 3,
    SJ_DOUBLE = 4,
    SJ_STRING = 5,
    SJ_BOOL = 6,
    SJ_NULL = 7
} sj_type;

/* Returns NULL when memory is exhausted. max_capacity bounds the largest document accepted. */
sj_parser *sj_parser_create(size_t max_capacity);
void sj_parser_destroy(sj_parser *parser);

/* Parses len bytes at buf (with SJ_PADDING readable bytes after). 0 on success, else a simdjson
 * error code; sj_error_message() names it. */
int sj_parse(sj_parser *parser, const char *buf, size_t len, sj_value *root);
const char *sj_error_message(int code);

sj_type sj_get_type(sj_value value);

/* Looks up a key in an object. 0 when found; nonzero when absent or value is not an object. */
int sj_object_find(sj_value object, const char *key, size_t key_len, sj_value *out);

/* Typed reads: 0 on success, nonzero on a type mismatch. sj_get_double accepts any number. */
int sj_get_double(sj_value value, double *out);
int sj_get_int64(sj_value value, int64_t *out);
int sj_get_uint64(sj_value value, uint64_t *out);
int sj_get_bool(sj_value value, bool *out);
int sj_get_string(sj_value value, const char **out, size_t *out_len);

/* Iteration: start with *_iter (nonzero when the value has another type), then call *_next
 * until it returns 0. */
int sj_array_iter(sj_value array, sj_iter *iter);
int sj_array_next(sj_iter *iter, sj_value *out);
size_t sj_array_count(sj_value array);
int sj_object_iter(sj_value object, sj_iter *iter);
int sj_object_next(sj_iter *iter, const char **key, size_t *key_len, sj_value *out);

/* ---- Path sets: many members read in one pass ----
 * Why: sj_object_find scans an object from its first member, so reading 30 members costs
 * hundreds of key comparisons, and a call per member from Swift; sj_object_collect walks the
 * object (and the object members named by paths) once, finding each name with a hash probe. */

/* Member paths: "name", or "outer.name" for a member of an object member. Built once, then
 * read-only (safe to share between threads). */
typedef struct sj_pathset sj_pathset;

/* count paths, back to back in text, path i lengths[i] bytes long; a '.' always separates
 * names (a member whose name has a dot cannot be asked for). NULL when a path has an empty
 * name, is repeated, or is both a value and the parent of another path; when the paths name
 * more than 63 objects, or there are 65535 or more; or when memory is exhausted. */
sj_pathset *sj_pathset_create(const char *text, const size_t *lengths, size_t count);
void sj_pathset_destroy(sj_pathset *paths);

/* Sets out[i] to the value at paths[i], following the first occurrence of every repeated name
 * (as sj_object_find does: a later "stats" is not read when the first is not an object); an
 * absent path leaves out[i] all zero bytes, which no value is.
 * 0, or nonzero when value is not an object. */
int sj_object_collect(sj_value object, const sj_pathset *paths, sj_value *out);

#ifdef __cplusplus
}
#endif
#endif
