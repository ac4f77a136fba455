import Foundation
import HubCore
import WebSocketLoop

extension HTTPResponse {
    /// `{"error":{"code":"…","message":"…","field":"…"}}` with `status` (`field` names the
    /// offending part of a request body when there is one).
    static func error(_ status: Int, code: String, message: String, field: String? = nil) -> HTTPResponse {
        var body: [UInt8] = []
        JSONWriter.appendLiteral("{\"error\":{\"code\":", to: &body)
        JSONWriter.appendString(code, to: &body)
        JSONWriter.appendLiteral(",\"message\":", to: &body)
        JSONWriter.appendString(message, to: &body)
        if let field {
            JSONWriter.appendLiteral(",\"field\":", to: &body)
            JSONWriter.appendString(field, to: &body)
        }
        JSONWriter.appendLiteral("}}", to: &body)
        return HTTPResponse(status: status, body: body)
    }

    /// A Codable value as JSON (REST responses are not on the hot path: Foundation's encoder).
    static func json<T: Encodable>(_ value: T, status: Int = 200) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        do {
            return HTTPResponse(status: status, body: Array(try encoder.encode(value)))
        } catch {
            return .error(500, code: "internal", message: "response encoding failed")
        }
    }
}
