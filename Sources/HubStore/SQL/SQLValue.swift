import Foundation
import GRDB

/// A value bound to, or read from, a statement: the types the control-plane schema uses.
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case bool(Bool)
    case date(Date)
}

/// A Swift value that binds as a statement argument.
public protocol SQLBindable {
    var sqlValue: SQLValue { get }
}

extension String: SQLBindable { public var sqlValue: SQLValue { .text(self) } }
extension Int64: SQLBindable { public var sqlValue: SQLValue { .integer(self) } }
extension Int: SQLBindable { public var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Double: SQLBindable { public var sqlValue: SQLValue { .real(self) } }
extension Bool: SQLBindable { public var sqlValue: SQLValue { .bool(self) } }
extension Date: SQLBindable { public var sqlValue: SQLValue { .date(self) } }
extension Optional: SQLBindable where Wrapped: SQLBindable {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

/// One result row, read by column position. Each backend hands over its native types (SQLite:
/// dates as text, booleans as 0/1; PostgreSQL: typed), and the accessors accept both.
public struct SQLRow: Sendable {
    public let values: [SQLValue]

    public init(_ values: [SQLValue]) { self.values = values }

    func value(_ i: Int) throws -> SQLValue {
        guard values.indices.contains(i) else { throw StoreError.io("result has no column \(i)") }
        return values[i]
    }

    func mismatch(_ i: Int, _ expected: String) -> StoreError {
        StoreError.io("column \(i) is \(values.indices.contains(i) ? "\(values[i])" : "missing"), not \(expected)")
    }

    public func isNull(_ i: Int) throws -> Bool { try value(i) == .null }

    public func int(_ i: Int) throws -> Int64 {
        switch try value(i) {
        case .integer(let v): return v
        case .bool(let b): return b ? 1 : 0
        case .real(let d) where d == d.rounded() && abs(d) < 9.2e18: return Int64(d)
        default: throw mismatch(i, "an integer")
        }
    }

    public func double(_ i: Int) throws -> Double {
        switch try value(i) {
        case .real(let v): return v
        case .integer(let v): return Double(v)
        default: throw mismatch(i, "a number")
        }
    }

    public func text(_ i: Int) throws -> String {
        guard case .text(let s) = try value(i) else { throw mismatch(i, "text") }
        return s
    }

    public func bool(_ i: Int) throws -> Bool {
        switch try value(i) {
        case .bool(let b): return b
        case .integer(let v): return v != 0
        default: throw mismatch(i, "a boolean")
        }
    }

    /// SQLite keeps dates as GRDB wrote them (`yyyy-MM-dd HH:mm:ss.SSS`, UTC); GRDB reads them.
    public func date(_ i: Int) throws -> Date {
        switch try value(i) {
        case .date(let d): return d
        case .text(let s):
            guard let d = Date.fromDatabaseValue(s.databaseValue) else { throw mismatch(i, "a date") }
            return d
        default: throw mismatch(i, "a date")
        }
    }

    /// A JSON column (nested definitions: grants, flags, mappings, rules).
    public func json<T: Decodable>(_ i: Int, as type: T.Type = T.self) throws -> T {
        let text = try text(i)
        do {
            return try JSONColumn.decoder.decode(T.self, from: Data(text.utf8))
        } catch {
            throw StoreError.io("column \(i) does not decode as \(T.self): \(error)")
        }
    }

    public func optionalInt(_ i: Int) throws -> Int64? { try isNull(i) ? nil : try int(i) }
    public func optionalDouble(_ i: Int) throws -> Double? { try isNull(i) ? nil : try double(i) }
    public func optionalText(_ i: Int) throws -> String? { try isNull(i) ? nil : try text(i) }
    public func optionalDate(_ i: Int) throws -> Date? { try isNull(i) ? nil : try date(i) }
    public func optionalJSON<T: Decodable>(_ i: Int, as type: T.Type = T.self) throws -> T? { try isNull(i) ? nil : try json(i, as: T.self) }
}

/// How nested values are stored as JSON text: the encoding GRDB used for Codable columns
/// before the store had two backends (sorted keys, dates as milliseconds), so existing
/// files read back unchanged.
enum JSONColumn {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.dateEncodingStrategy = .millisecondsSince1970
        e.dataEncodingStrategy = .base64
        return e
    }()

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .millisecondsSince1970
        d.dataDecodingStrategy = .base64
        return d
    }()

    static func text(_ value: some Encodable) throws -> String {
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            throw StoreError.io("\(type(of: value)) does not encode: \(error)")
        }
    }
}
