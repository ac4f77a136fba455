// simdjson DOM values carried through C as opaque, trivially copyable bytes.
#include "CSimdJSON.h"
#include "opaque.hpp"

#include <simdjson.h>

#include <cstring>
#include <new>

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

static_assert(SJ_PADDING >= simdjson::SIMDJSON_PADDING, "SJ_PADDING must cover simdjson's padding");
static_assert(sizeof(element) <= sizeof(sj_value), "element must fit sj_value");
static_assert(sizeof(array::iterator) * 2 <= sizeof(sj_iter), "array iterators must fit sj_iter");
static_assert(sizeof(object::iterator) * 2 <= sizeof(sj_iter), "object iterators must fit sj_iter");
static_assert(std::is_trivially_copyable<element>::value, "element must be trivially copyable");
static_assert(std::is_trivially_copyable<array::iterator>::value, "iterator must be trivially copyable");
static_assert(std::is_trivially_copyable<object::iterator>::value, "iterator must be trivially copyable");

struct sj_parser {
    simdjson::dom::parser parser;
    explicit sj_parser(size_t max_capacity) : parser(max_capacity) {}
};


extern "C" {

sj_parser *sj_parser_create(size_t max_capacity) {
    return new (std::nothrow) sj_parser(max_capacity);
}

void sj_parser_destroy(sj_parser *parser) { delete parser; }

int sj_parse(sj_parser *parser, const char *buf, size_t len, sj_value *root) {
    element e;
    auto err = parser->parser.parse(reinterpret_cast<const uint8_t *>(buf), len, false).get(e);
    if (err) return static_cast<int>(err);
    put(root, e);
    return 0;
}

const char *sj_error_message(int code) { return simdjson::error_message(static_cast<simdjson::error_code>(code)); }

sj_type sj_get_type(sj_value value) {
    switch (take<element>(&value).type()) {
    case simdjson::dom::element_type::ARRAY: return SJ_ARRAY;
    case simdjson::dom::element_type::OBJECT: return SJ_OBJECT;
    case simdjson::dom::element_type::INT64: return SJ_INT64;
    case simdjson::dom::element_type::UINT64: return SJ_UINT64;
    case simdjson::dom::element_type::DOUBLE: return SJ_DOUBLE;
    case simdjson::dom::element_type::STRING: return SJ_STRING;
    case simdjson::dom::element_type::BOOL: return SJ_BOOL;
    case simdjson::dom::element_type::NULL_VALUE: return SJ_NULL;
    }
    return SJ_NULL;
}

int sj_object_find(sj_value value, const char *key, size_t key_len, sj_value *out) {
    object o;
    if (take<element>(&value).get_object().get(o)) return 1;
    element e;
    auto err = o.at_key(std::string_view(key, key_len)).get(e);
    if (err) return static_cast<int>(err);
    put(out, e);
    return 0;
}

int sj_get_double(sj_value value, double *out) {
    return static_cast<int>(take<element>(&value).get_double().get(*out));
}

int sj_get_int64(sj_value value, int64_t *out) {
    return static_cast<int>(take<element>(&value).get_int64().get(*out));
}

int sj_get_uint64(sj_value value, uint64_t *out) {
    return static_cast<int>(take<element>(&value).get_uint64().get(*out));
}

int sj_get_bool(sj_value value, bool *out) {
    return static_cast<int>(take<element>(&value).get_bool().get(*out));
}

int sj_get_string(sj_value value, const char **out, size_t *out_len) {
    std::string_view s;
    auto err = take<element>(&value).get_string().get(s);
    if (err) return static_cast<int>(err);
    *out = s.data();
    *out_len = s.size();
    return 0;
}

int sj_array_iter(sj_value value, sj_iter *iter) {
    array a;
    if (take<element>(&value).get_array().get(a)) return 1;
    auto b = a.begin(), e = a.end();
    put(iter->opaque, b);
    put(reinterpret_cast<char *>(iter->opaque) + sizeof(b), e);
    return 0;
}

int sj_array_next(sj_iter *iter, sj_value *out) {
    auto b = take<array::iterator>(iter->opaque);
    auto e = take<array::iterator>(reinterpret_cast<const char *>(iter->opaque) + sizeof(b));
    if (!(b != e)) return 0;
    put(out, *b);
    ++b;
    put(iter->opaque, b);
    return 1;
}

size_t sj_array_count(sj_value value) {
    array a;
    if (take<element>(&value).get_array().get(a)) return 0;
    return a.size();
}

int sj_object_iter(sj_value value, sj_iter *iter) {
    object o;
    if (take<element>(&value).get_object().get(o)) return 1;
    auto b = o.begin(), e = o.end();
    put(iter->opaque, b);
    put(reinterpret_cast<char *>(iter->opaque) + sizeof(b), e);
    return 0;
}

int sj_object_next(sj_iter *iter, const char **key, size_t *key_len, sj_value *out) {
    auto b = take<object::iterator>(iter->opaque);
    auto e = take<object::iterator>(reinterpret_cast<const char *>(iter->opaque) + sizeof(b));
    if (!(b != e)) return 0;
    std::string_view k = b.key();
    *key = k.data();
    *key_len = k.size();
    put(out, b.value());
    ++b;
    put(iter->opaque, b);
    return 1;
}

} // extern "C"
