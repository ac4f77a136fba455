import HubCore

/// A Deribit instrument as named by the venue: `BTC-PERPETUAL`, `BTC-24SEP21`, `BTC-24SEP21-8000-P`.
public struct DeribitInstrument: Equatable, Sendable {
    public enum Kind: String, Sendable { case perpetual, future, option, spot }

    public let name: String
    public let kind: Kind
    public let currency: String
    /// Option strike.
    public let strike: Double?
    /// Expiry in ms since the epoch (Deribit expires at 08:00 UTC).
    public let expiry: Int64?
    /// "call" or "put".
    public let optionType: String?

    /// Parses the venue's naming convention; nil for names that do not follow it.
    public init?(name: String) {
        self.name = name
        let parts = name.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard let first = parts.first, !first.isEmpty else { return nil }
        currency = first
        switch parts.count {
        case 2 where parts[1] == "PERPETUAL":
            kind = .perpetual
            strike = nil
            expiry = nil
            optionType = nil
        case 2:
            guard let e = Self.expiry(parts[1]) else { return nil }
            kind = .future
            strike = nil
            expiry = e
            optionType = nil
        case 4:
            guard let e = Self.expiry(parts[1]), let k = Double(String(parts[2].map { $0 == "d" ? "." : $0 })),
                parts[3] == "C" || parts[3] == "P"
            else { return nil }
            kind = .option
            expiry = e
            strike = k
            optionType = parts[3] == "C" ? "call" : "put"
        default:
            if name.contains("_") && parts.count == 1 {
                kind = .spot
                strike = nil
                expiry = nil
                optionType = nil
                return
            }
            return nil
        }
    }

    private static let months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]

    /// `24SEP21` → 2021-09-24T08:00:00Z in ms.
    static func expiry(_ s: String) -> Int64? {
        let u = Array(s.utf8)
        guard u.count == 6 || u.count == 7 else { return nil }
        let dayLen = u.count - 5
        guard let day = Int(String(decoding: u[0..<dayLen], as: UTF8.self)),
            let month = months.firstIndex(of: String(decoding: u[dayLen..<(dayLen + 3)], as: UTF8.self)),
            let yy = Int(String(decoding: u[(dayLen + 3)...], as: UTF8.self)),
            (1...31).contains(day)
        else { return nil }
        return CivilDate.epochMilliseconds(year: 2000 + yy, month: month + 1, day: day, hour: 8)
    }

    /// `2021-09-24` style components → `24SEP21`.
    public static func expiryCode(year: Int, month: Int, day: Int) -> String {
        "\(day)\(months[month - 1])\(String(format2: year % 100))"
    }
}

extension String {
    init(format2 v: Int) { self = v < 10 ? "0\(v)" : "\(v)" }
}

/// Proleptic Gregorian calendar arithmetic in UTC, without Foundation's calendars.
public enum CivilDate {
    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    public static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    public static func epochMilliseconds(year: Int, month: Int, day: Int, hour: Int = 0) -> Int64 {
        Int64(days(year: year, month: month, day: day)) * 86_400_000 + Int64(hour) * 3_600_000
    }

    /// (year, month, day) of a day number since 1970-01-01.
    public static func civil(days z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
