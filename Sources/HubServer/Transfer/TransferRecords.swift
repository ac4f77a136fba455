import CSV
import Foundation
import HubCore
import HubStore

/// The records of an import file, each read on its own so that a bad one is named (its index
/// or CSV line, and the field) while the others are still checked.
enum TransferRecords {
    case users([UserRecord])
    case roles([Role])
    case properties([PropertyDefinition])
    case flags(FlagSet)

    /// Records, the problems of those that could not be read, and how to name a record's place.
    struct Parsed {
        var records: TransferRecords
        /// Problems by place in the file.
        var problems: [TransferProblem]
        /// The place in the file of each record (records that could not be read are left out;
        /// for flags, features then segments).
        var origin: [Int]
        /// `users[3]` or `line 5` (CSV, counting the header as line 1), from a place in the file.
        var place: (Int) -> String

        /// A problem or change found on record `i` (not a place in the file).
        func fromRecord(_ p: TransferProblem) -> TransferProblem { TransferProblem(index: origin[p.index], field: p.field, message: p.message) }
    }

    /// `environment`: the one to read from an Unleash admin export (nil: the export's only one).
    static func parse(_ kind: TransferKind, _ format: TransferFormat, _ data: Data, environment: String? = nil) throws(TransferInputError) -> Parsed {
        switch (kind, format) {
        case (.users, .csv):
            let (rows, header, lines) = try csvRows(data, columns: UserCSV.columns, required: ["username"])
            let (users, origin, problems) = eachRow(rows) { i, row throws(TransferProblem) in try UserCSV.record(row, header, index: i) }
            return Parsed(records: .users(users), problems: problems, origin: origin) { "line \(lines[$0])" }
        case (.roles, .csv):
            let (rows, header, lines) = try csvRows(data, columns: RoleCSV.columns, required: ["id"])
            let (roles, origin, problems) = eachRow(rows) { i, row throws(TransferProblem) in try RoleCSV.record(row, header, index: i) }
            return Parsed(records: .roles(roles), problems: problems, origin: origin) { "line \(lines[$0])" }
        case (.users, _):
            let (records, origin, problems) = try decodeEach(UserRecord.self, data, listKey: "users") { element in
                element["password"] != nil
                    ? TransferProblem(
                        index: 0, field: "password", message: "passwords are imported only as hashes (passwordHash); leave it out to set one later")
                    : nil
            }
            return Parsed(records: .users(records), problems: problems, origin: origin) { "users[\($0)]" }
        case (.roles, _):
            let (records, origin, problems) = try decodeEach(Role.self, data, listKey: "roles")
            return Parsed(records: .roles(records), problems: problems, origin: origin) { "roles[\($0)]" }
        case (.properties, _):
            let (records, origin, problems) = try decodeEach(PropertyDefinition.self, data, listKey: "properties")
            return Parsed(records: .properties(records), problems: problems, origin: origin) { "properties[\($0)]" }
        case (.flags, .admin):
            return try UnleashAdminExport.parse(data, environment: environment)
        case (.flags, _):
            return try clientFeatures(try jsonObject(data))
        }
    }

    /// A client-features document (parsed JSON), its flags and segments read one by one.
    static func clientFeatures(_ object: [String: Any]) throws(TransferInputError) -> Parsed {
        guard let features = object["features"] as? [Any] else {
            throw TransferInputError("a client-features document has a features list", field: "features")
        }
        let segmentList = object["segments"] as? [Any] ?? []
        let (flags, flagOrigin, problems) = decodeEach(FeatureFlag.self, list: features)
        let (segments, segmentOrigin, segmentProblems) = decodeEach(FlagSegment.self, list: segmentList)
        var set = FlagSet(features: flags, segments: segments)
        set.version = object["version"] as? Int ?? 1
        // Places: features first, then segments after every feature of the file.
        let count = features.count
        return Parsed(
            records: .flags(set),
            problems: problems + segmentProblems.map { TransferProblem(index: $0.index + count, field: $0.field, message: $0.message) },
            origin: flagOrigin + segmentOrigin.map { $0 + count }
        ) { $0 < count ? "features[\($0)]" : "segments[\($0 - count)]" }
    }

    // MARK: JSON

    static func jsonObject(_ data: Data) throws(TransferInputError) -> [String: Any] {
        guard let parsed = try? JSONSerialization.jsonObject(with: data) else { throw TransferInputError("the file is not valid JSON") }
        guard let object = parsed as? [String: Any] else { throw TransferInputError("the file must be a JSON object") }
        return object
    }

    /// Each element of `{"<listKey>": [...]}` (or of a bare array) decoded on its own;
    /// `refuse` may turn an element down before decoding (with the field at fault).
    static func decodeEach<T: Decodable>(
        _ type: T.Type, _ data: Data, listKey: String, refuse: ([String: Any]) -> TransferProblem? = { _ in nil }
    ) throws(TransferInputError) -> ([T], [Int], [TransferProblem]) {
        guard let parsed = try? JSONSerialization.jsonObject(with: data) else { throw TransferInputError("the file is not valid JSON") }
        guard let list = (parsed as? [Any]) ?? ((parsed as? [String: Any])?[listKey] as? [Any]) else {
            throw TransferInputError("the file must be a JSON array or an object with a \(listKey) array")
        }
        return decodeEach(type, list: list, refuse: refuse)
    }

    static func decodeEach<T: Decodable>(
        _ type: T.Type, list: [Any], refuse: ([String: Any]) -> TransferProblem? = { _ in nil }
    ) -> ([T], [Int], [TransferProblem]) {
        var records: [T] = []
        var origin: [Int] = []
        var problems: [TransferProblem] = []
        for (i, element) in list.enumerated() {
            if let object = element as? [String: Any], let refused = refuse(object) {
                problems.append(TransferProblem(index: i, field: refused.field, message: refused.message))
                continue
            }
            do {
                let bytes = try JSONSerialization.data(withJSONObject: element, options: .fragmentsAllowed)
                records.append(try RequestBody.decode(T.self, from: bytes))
                origin.append(i)
            } catch let failure as RequestBody.Failure {
                problems.append(TransferProblem(index: i, field: failure.field ?? "", message: failure.message))
            } catch {
                problems.append(TransferProblem(index: i, field: "", message: "not a JSON value"))
            }
        }
        return (records, origin, problems)
    }

    // MARK: CSV

    /// Each row made into a record, with the rows it came from and the problems of the others.
    static func eachRow<T>(_ rows: [[String]], _ make: (Int, [String]) throws(TransferProblem) -> T) -> ([T], [Int], [TransferProblem]) {
        var records: [T] = [], origin: [Int] = [], problems: [TransferProblem] = []
        for (i, row) in rows.enumerated() {
            do throws(TransferProblem) {
                records.append(try make(i, row))
                origin.append(i)
            } catch {
                problems.append(error)
            }
        }
        return (records, origin, problems)
    }

    /// The data rows, the header's column positions and the line each row starts on (a quoted
    /// cell may span lines); unknown or missing columns are refused.
    static func csvRows(_ data: Data, columns: [String], required: [String]) throws(TransferInputError) -> ([[String]], [String: Int], [Int]) {
        guard let text = String(data: data, encoding: .utf8) else { throw TransferInputError("the file is not UTF-8 text") }
        let reader: CSVReader
        do {
            reader = try CSVReader(string: text, hasHeaderRow: true)
        } catch {
            throw TransferInputError("the file is not CSV: \(error)")
        }
        guard let names = reader.headerRow else { throw TransferInputError("the CSV file has no header row") }
        var header: [String: Int] = [:]
        for (i, raw) in names.enumerated() {
            let name = raw.trimmingCharacters(in: .whitespaces)
            guard columns.contains(name) else {
                throw TransferInputError("unknown column '\(name.prefix(64))' (columns: \(columns.joined(separator: ", ")))")
            }
            header[name] = i
        }
        for name in required where header[name] == nil { throw TransferInputError("the CSV file needs a \(name) column") }
        func newlines(_ row: [String]) -> Int { row.reduce(0) { $0 + $1.utf8.count { $0 == 0x0A } } }
        var rows: [[String]] = [], lines: [Int] = []
        var line = 2 + newlines(names)
        while let row = reader.next() {
            rows.append(row)
            lines.append(line)
            line += 1 + newlines(row)
        }
        if let error = reader.error { throw TransferInputError("the CSV file is malformed after line \(line - 1): \(error)") }
        return (rows, header, lines)
    }

    /// A CSV list cell: `a;b;c` (spaces around items ignored, empty cell: none).
    static func list(_ cell: String) -> [String] {
        cell.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
