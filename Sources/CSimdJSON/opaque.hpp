// simdjson values carried through C as opaque, trivially copyable bytes.
#pragma once
#include <cstring>

template <typename T> static inline void put(void *dst, const T &v) { std::memcpy(dst, &v, sizeof(T)); }
template <typename T> static inline T take(const void *src) {
    T v;
    std::memcpy(static_cast<void *>(&v), src, sizeof(T));
    return v;
}
