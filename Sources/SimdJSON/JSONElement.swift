import CSimdJSON

/// A value inside a parsed document. Valid only within `JSONParser.parse`'s body.
public struct JSONElement {
    let raw: sj_value

    public enum Kind: Equatable, Sendable {
        case array, object, integer, unsignedInteger, double, string, bool, null
    }

    public var kind: Kind {
        switch sj_get_type(raw) {
        case SJ_ARRAY: return .array
        case SJ_OBJECT: return .object
        case SJ_INT64: return .integer
        case SJ_UINT64: return .unsignedInteger
        case SJ_DOUBLE: return .double
        case SJ_STRING: return .string
        case SJ_BOOL: return .bool
        default: return .null
        }
    }

    public var isNull: Bool { sj_get_type(raw) == SJ_NULL }
    public var isNumber: Bool {
        let t = sj_get_type(raw)
        return t == SJ_INT64 || t == SJ_UINT64 || t == SJ_DOUBLE
    }

    /// The member named `key` of an object, or nil (absent, or not an object).
    public subscript(key: StaticString) -> JSONElement? {
        key.withUTF8Buffer { k in
            var out = sj_value()
            let rc = k.baseAddress!.withMemoryRebound(to: CChar.self, capacity: k.count) {
                sj_object_find(raw, $0, k.count, &out)
            }
            return rc == 0 ? JSONElement(raw: out) : nil
        }
    }

    /// The member named `key` (a runtime string) of an object, or nil.
    public func member(_ key: String) -> JSONElement? {
        var key = key
        return key.withUTF8 { k -> JSONElement? in
            var out = sj_value()
            guard let base = k.baseAddress else { return nil }
            let rc = base.withMemoryRebound(to: CChar.self, capacity: k.count) { sj_object_find(raw, $0, k.count, &out) }
            return rc == 0 ? JSONElement(raw: out) : nil
        }
    }

    /// Any JSON number as a Double.
    public var double: Double? {
        var v = 0.0
        return sj_get_double(raw, &v) == 0 ? v : nil
    }

    /// An integer that fits Int64 (not a double with a fraction).
    public var int64: Int64? {
        var v: Int64 = 0
        return sj_get_int64(raw, &v) == 0 ? v : nil
    }

    public var uint64: UInt64? {
        var v: UInt64 = 0
        return sj_get_uint64(raw, &v) == 0 ? v : nil
    }

    public var bool: Bool? {
        var v = false
        return sj_get_bool(raw, &v) == 0 ? v : nil
    }

    /// The string value (allocates when longer than 15 UTF-8 bytes).
    public var string: String? {
        withStringBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// Borrows the string's UTF-8 bytes without allocating.
    public func withStringBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        var ptr: UnsafePointer<CChar>? = nil
        var len = 0
        guard sj_get_string(raw, &ptr, &len) == 0, let p = ptr else { return nil }
        return try body(UnsafeRawBufferPointer(start: p, count: len))
    }

    /// True when this is a string equal to `literal`.
    public func stringEquals(_ literal: StaticString) -> Bool {
        withStringBytes { $0.equals(literal) } ?? false
    }

    /// The elements of an array, or nil when this is not an array.
    public var array: JSONArray? {
        var it = sj_iter()
        return sj_array_iter(raw, &it) == 0 ? JSONArray(start: it, element: raw) : nil
    }

    /// The members of an object, or nil when this is not an object.
    public var object: JSONObject? {
        var it = sj_iter()
        return sj_object_iter(raw, &it) == 0 ? JSONObject(start: it) : nil
    }
}

/// Iterates an array's elements in order.
public struct JSONArray: Sequence, IteratorProtocol {
    var iter: sj_iter
    let element: sj_value

    init(start: sj_iter, element: sj_value) {
        iter = start
        self.element = element
    }

    public var count: Int { sj_array_count(element) }

    public mutating func next() -> JSONElement? {
        var out = sj_value()
        return sj_array_next(&iter, &out) != 0 ? JSONElement(raw: out) : nil
    }
}

/// Iterates an object's members in document order; keys are borrowed bytes.
public struct JSONObject: Sequence, IteratorProtocol {
    var iter: sj_iter

    init(start: sj_iter) { iter = start }

    public struct Member {
        public let key: UnsafeRawBufferPointer
        public let value: JSONElement
        public var keyString: String { String(decoding: key, as: UTF8.self) }
    }

    public mutating func next() -> Member? {
        var out = sj_value()
        var key: UnsafePointer<CChar>? = nil
        var len = 0
        guard sj_object_next(&iter, &key, &len, &out) != 0 else { return nil }
        return Member(key: UnsafeRawBufferPointer(start: key, count: len), value: JSONElement(raw: out))
    }
}
