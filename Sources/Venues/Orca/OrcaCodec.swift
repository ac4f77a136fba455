import Foundation
import HubCore
import SimdJSON

/// Decodes `orca.v1` messages (docs/feeds/orca.md). Odds volumes are modest (thousands of
/// quotes per second), so messages become plain structs.
///
/// Threading: one codec per connection, used on the loop thread.
public final class OrcaCodec {
    private let parser = JSONParser(maxDocumentBytes: 32 << 20)

    public init() {}

    public func decode(_ bytes: UnsafeRawBufferPointer) throws -> OrcaMessage {
        do {
            return try parser.parse(bytes) { root in try Self.message(root) }
        } catch let e as VenueDecodeError {
            throw e
        } catch {
            throw VenueDecodeError("\(error)")
        }
    }

    static func fail(_ reason: String) -> VenueDecodeError { VenueDecodeError(reason) }

    static func message(_ root: JSONElement) throws -> OrcaMessage {
        guard root.kind == .object, let type = root["type"] else { throw fail("message without type") }
        let id = root["id"]?.int64
        if type.stringEquals("delta") {
            guard let stream = root["stream"]?.string, let seq = root["seq"]?.int64, let list = root["changes"]?.array else {
                throw fail("delta without stream, seq, changes")
            }
            return .delta(stream: stream, seq: seq, changes: try list.map(change))
        }
        if type.stringEquals("heartbeat") {
            guard var seqs = root["seqs"]?.object else { throw fail("heartbeat without seqs") }
            var out: [String: Int64] = [:]
            while let m = seqs.next() {
                guard let seq = m.value.int64 else { throw fail("heartbeat seq is not an integer") }
                out[m.keyString] = seq
            }
            return .heartbeat(seqs: out)
        }
        if type.stringEquals("snapshot") {
            guard let stream = root["stream"]?.string, let seq = root["seq"]?.int64, let list = root["events"]?.array else {
                throw fail("snapshot without stream, seq, events")
            }
            return .snapshot(stream: stream, seq: seq, events: try list.map(event))
        }
        if type.stringEquals("subscribed") {
            guard let stream = root["stream"]?.string, let seq = root["seq"]?.int64 else { throw fail("subscribed without stream, seq") }
            return .subscribed(id: id, stream: stream, seq: seq, resumed: root["resumed"]?.bool ?? false)
        }
        if type.stringEquals("hello") {
            guard root["protocol"]?.stringEquals("orca.v1") == true else { throw fail("hello of another protocol than orca.v1") }
            guard let hb = root["heartbeatMs"]?.int64, hb > 0 else { throw fail("hello without a positive heartbeatMs") }
            let streams = root["streams"]?.array.map { $0.compactMap(\.string) } ?? []
            return .hello(heartbeatMs: hb, retention: root["retention"]?.int64 ?? 0, streams: streams)
        }
        if type.stringEquals("unsubscribed") {
            guard let stream = root["stream"]?.string else { throw fail("unsubscribed without stream") }
            return .unsubscribed(id: id, stream: stream)
        }
        if type.stringEquals("pong") { return .pong(id: id) }
        if type.stringEquals("error") {
            return .error(id: id, code: root["code"]?.string ?? "UNKNOWN", message: root["message"]?.string ?? "")
        }
        throw fail("unknown message type \(type.string ?? "?")")
    }

    static func string(_ e: JSONElement, _ key: StaticString) throws -> String {
        guard let s = e[key]?.string, !s.isEmpty else { throw fail("missing \(key)") }
        return s
    }

    static func decimal(_ e: JSONElement?) -> Double? {
        guard let e else { return nil }
        if e.isNumber { return e.double }
        return e.withStringBytes { $0.isEmpty ? nil : DecimalText.parse($0) } ?? nil
    }

    static func price(_ e: JSONElement) throws -> OrcaPrice {
        guard let d = decimal(e["decimal"]), let a = e["american"]?.int64 else { throw fail("price without decimal and american") }
        return OrcaPrice(
            bookmaker: try string(e, "bookmaker"), decimal: d, american: a, updatedAt: e["updatedAt"]?.int64 ?? 0, suspended: e["suspended"]?.bool ?? false)
    }

    static func outcome(_ e: JSONElement) throws -> OrcaOutcome {
        OrcaOutcome(
            outcomeId: try string(e, "outcomeId"), name: e["name"]?.string ?? "", participant: e["participant"]?.string,
            prices: try (e["prices"]?.array).map { try $0.map(price) } ?? [])
    }

    static func market(_ e: JSONElement) throws -> OrcaMarket {
        let line = e["line"].flatMap { $0.isNull ? nil : $0 }
        let value = try line.map { l -> Double in
            guard let v = decimal(l) else { throw fail("line is not a number") }
            return v
        }
        return OrcaMarket(
            marketId: try string(e, "marketId"), marketType: try string(e, "marketType"), line: value,
            outcomes: try (e["outcomes"]?.array).map { try $0.map(outcome) } ?? [])
    }

    static func event(_ e: JSONElement) throws -> OrcaEvent {
        guard e.kind == .object else { throw fail("an event is not an object") }
        let start = try string(e, "commenceTime")
        guard let date = (try? Date.ISO8601FormatStyle().parse(start)) ?? (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(start)) else {
            throw fail("commenceTime '\(start)' is not ISO 8601")
        }
        return OrcaEvent(
            eventId: try string(e, "eventId"), sport: e["sport"]?.string ?? "", league: e["league"]?.string ?? "",
            participants: e["participants"]?.array.map { $0.compactMap(\.string) } ?? [], commenceTime: Int64((date.timeIntervalSince1970 * 1000).rounded()),
            status: try string(e, "status"), markets: try (e["markets"]?.array).map { try $0.map(market) } ?? [])
    }

    static func change(_ e: JSONElement) throws -> OrcaChange {
        guard e.kind == .object, let kind = e["kind"] else { throw fail("a change without kind") }
        if kind.stringEquals("price") {
            return .price(eventId: try string(e, "eventId"), marketId: try string(e, "marketId"), outcomeId: try string(e, "outcomeId"), try price(e))
        }
        if kind.stringEquals("priceRemoved") {
            return .priceRemoved(
                eventId: try string(e, "eventId"), marketId: try string(e, "marketId"), outcomeId: try string(e, "outcomeId"),
                bookmaker: try string(e, "bookmaker"))
        }
        if kind.stringEquals("market") {
            guard let m = e["market"] else { throw fail("market change without market") }
            return .market(eventId: try string(e, "eventId"), try market(m))
        }
        if kind.stringEquals("marketRemoved") { return .marketRemoved(eventId: try string(e, "eventId"), marketId: try string(e, "marketId")) }
        if kind.stringEquals("event") {
            guard let ev = e["event"] else { throw fail("event change without event") }
            return .event(try event(ev))
        }
        if kind.stringEquals("eventStatus") { return .eventStatus(eventId: try string(e, "eventId"), status: try string(e, "status")) }
        if kind.stringEquals("eventRemoved") { return .eventRemoved(eventId: try string(e, "eventId")) }
        return .unknown(kind: kind.string ?? "?")
    }
}
