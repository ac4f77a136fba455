// Path sets: an object's members (and members of its object members) found in one pass.
#include "CSimdJSON.h"
#include "opaque.hpp"

#include <simdjson.h>

#include <cstring>
#include <string>
#include <vector>

using simdjson::dom::element;
using simdjson::dom::object;

namespace {


/// A name's first and last eight bytes (zero-padded): with its length, they are its hash and,
/// for names of up to 16 bytes, all of it (most member names): a probe needs no memcmp.
struct name_words {
    uint64_t head = 0, tail = 0;
    name_words(const char *p, size_t n) {
        if (n >= 8) {
            std::memcpy(&head, p, 8); // fixed sizes: plain loads, not a call to memcpy
            if (n > 8) std::memcpy(&tail, p + n - 8, 8);
        } else {
            for (size_t i = 0; i < n; i++) head |= uint64_t(static_cast<uint8_t>(p[i])) << (8 * i);
        }
    }
    uint64_t hash(size_t n) const { return ((head ^ (tail * 0x9E3779B97F4A7C15ull) ^ n) * 0xFF51AFD7ED558CCDull) >> 32; }
};

} // namespace

/// A tree of names: each node is one object level, with an open-addressing table of its names.
struct sj_pathset {
    struct entry {
        std::string name;
        uint64_t head = 0, tail = 0;
        int slot = -1;  // a value: its index in out
        int child = -1; // an object collected further: its node
    };
    struct node {
        std::vector<entry> entries;
        std::vector<uint16_t> table; // entry index + 1; 0 is empty
    };
    std::vector<node> nodes{1};
    size_t count = 0;

    inline int find(int n, const char *p, size_t len) const {
        const node &nd = nodes[n];
        name_words words(p, len);
        size_t mask = nd.table.size() - 1;
        for (size_t i = words.hash(len) & mask;; i = (i + 1) & mask) {
            int e = nd.table[i];
            if (e == 0) return -1;
            const entry &en = nd.entries[e - 1];
            if (en.name.size() == len && en.head == words.head && en.tail == words.tail &&
                (len <= 16 || std::memcmp(en.name.data() + 8, p + 8, len - 16) == 0))
                return e - 1;
        }
    }

    bool add(const std::string &path, int slot) {
        int n = 0;
        size_t start = 0;
        while (true) {
            size_t dot = path.find('.', start);
            std::string name = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
            if (name.empty()) return false;
            int e = -1;
            for (size_t i = 0; i < nodes[n].entries.size(); i++)
                if (nodes[n].entries[i].name == name) e = static_cast<int>(i);
            if (e < 0) {
                nodes[n].entries.push_back({name});
                e = static_cast<int>(nodes[n].entries.size()) - 1;
            }
            if (dot == std::string::npos) {
                entry &en = nodes[n].entries[e];
                if (en.slot >= 0 || en.child >= 0) return false;
                en.slot = slot;
                return true;
            }
            if (nodes[n].entries[e].slot >= 0) return false;
            if (nodes[n].entries[e].child < 0) {
                nodes.push_back({});
                nodes[n].entries[e].child = static_cast<int>(nodes.size()) - 1;
            }
            n = nodes[n].entries[e].child;
            start = dot + 1;
        }
    }

    void index() {
        for (node &nd : nodes) {
            size_t size = 8;
            while (size < nd.entries.size() * 2) size <<= 1;
            nd.table.assign(size, 0);
            for (size_t e = 0; e < nd.entries.size(); e++) {
                entry &en = nd.entries[e];
                name_words words(en.name.data(), en.name.size());
                en.head = words.head;
                en.tail = words.tail;
                size_t i = words.hash(en.name.size()) & (size - 1);
                while (nd.table[i] != 0) i = (i + 1) & (size - 1);
                nd.table[i] = static_cast<uint16_t>(e + 1);
            }
        }
    }
};

namespace {

/// `seen` marks nodes already collected, so a repeated object member keeps its first value.
void collect(const sj_pathset &paths, int n, object members, sj_value *out, uint64_t &seen) {
    for (auto member : members) {
        int e = paths.find(n, member.key.data(), member.key.size());
        if (e < 0) continue;
        const sj_pathset::entry &en = paths.nodes[n].entries[e];
        if (en.slot >= 0) {
            sj_value &slot = out[en.slot];
            if (slot.opaque[0] == 0 && slot.opaque[1] == 0) put(&slot, member.value);
            continue;
        }
        uint64_t bit = 1ull << en.child;
        if (seen & bit) continue; // a later occurrence: the first one decides, object or not
        seen |= bit;
        object inner;
        if (member.value.get_object().get(inner)) continue; // not an object: its paths stay absent
        collect(paths, en.child, inner, out, seen);
    }
}

} // namespace

extern "C" {

int sj_object_collect(sj_value value, const sj_pathset *paths, sj_value *out) {
    std::memset(out, 0, paths->count * sizeof(sj_value));
    object members;
    if (take<element>(&value).get_object().get(members)) return 1;
    uint64_t seen = 0;
    collect(*paths, 0, members, out, seen);
    return 0;
}

sj_pathset *sj_pathset_create(const char *text, const size_t *lengths, size_t count) {
    if (count >= UINT16_MAX) return nullptr;
    sj_pathset *set = nullptr;
    try { // out of memory must not unwind into the caller: C has no exceptions
        set = new sj_pathset();
        for (size_t i = 0, start = 0; i < count; start += lengths[i], i++) {
            if (!set->add(std::string(text + start, lengths[i]), static_cast<int>(i)) || set->nodes.size() > 64) {
                delete set;
                return nullptr;
            }
        }
        set->count = count;
        set->index();
        return set;
    } catch (...) {
        delete set;
        return nullptr;
    }
}

void sj_pathset_destroy(sj_pathset *paths) { delete paths; }

} // extern "C"
