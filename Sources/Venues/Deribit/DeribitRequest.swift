import HubCore

/// JSON-RPC 2.0 requests the adapter sends to Deribit.
public enum DeribitRequest {
    public static func subscribe(id: Int64, channels: [String]) -> String {
        call(id: id, method: "public/subscribe") { out in
            JSONWriter.appendLiteral("{\"channels\":", to: &out)
            appendStrings(channels, to: &out)
            out.append(UInt8(ascii: "}"))
        }
    }

    public static func unsubscribe(id: Int64, channels: [String]) -> String {
        call(id: id, method: "public/unsubscribe") { out in
            JSONWriter.appendLiteral("{\"channels\":", to: &out)
            appendStrings(channels, to: &out)
            out.append(UInt8(ascii: "}"))
        }
    }

    public static func setHeartbeat(id: Int64, interval: Int) -> String {
        call(id: id, method: "public/set_heartbeat") { out in
            JSONWriter.appendLiteral("{\"interval\":", to: &out)
            JSONWriter.appendInt(Int64(interval), to: &out)
            out.append(UInt8(ascii: "}"))
        }
    }

    public static func test(id: Int64) -> String {
        call(id: id, method: "public/test") { out in JSONWriter.appendLiteral("{}", to: &out) }
    }

    public static func getInstruments(id: Int64, currency: String, kind: String) -> String {
        call(id: id, method: "public/get_instruments") { out in
            JSONWriter.appendLiteral("{\"currency\":", to: &out)
            JSONWriter.appendString(currency, to: &out)
            JSONWriter.appendLiteral(",\"kind\":", to: &out)
            JSONWriter.appendString(kind, to: &out)
            JSONWriter.appendLiteral(",\"expired\":false}", to: &out)
        }
    }

    public static func auth(id: Int64, clientID: String, clientSecret: String) -> String {
        call(id: id, method: "public/auth") { out in
            JSONWriter.appendLiteral("{\"grant_type\":\"client_credentials\",\"client_id\":", to: &out)
            JSONWriter.appendString(clientID, to: &out)
            JSONWriter.appendLiteral(",\"client_secret\":", to: &out)
            JSONWriter.appendString(clientSecret, to: &out)
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func call(id: Int64, method: StaticString, params: (inout [UInt8]) -> Void) -> String {
        var out: [UInt8] = []
        JSONWriter.appendLiteral("{\"jsonrpc\":\"2.0\",\"id\":", to: &out)
        JSONWriter.appendInt(id, to: &out)
        JSONWriter.appendLiteral(",\"method\":\"", to: &out)
        JSONWriter.appendLiteral(method, to: &out)
        JSONWriter.appendLiteral("\",\"params\":", to: &out)
        params(&out)
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    static func appendStrings(_ items: [String], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (i, s) in items.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(s, to: &out)
        }
        out.append(UInt8(ascii: "]"))
    }
}
