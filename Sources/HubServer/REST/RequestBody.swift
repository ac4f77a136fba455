import Foundation
import HubCore
import WebSocketLoop

/// Decoding of JSON request bodies, with errors that name the offending field.
enum RequestBody {
    struct Failure: Error {
        let field: String?
        let message: String
        var response: HTTPResponse { .error(400, code: "invalid_body", message: message, field: field) }
    }

    /// The body as a JSON object, with `defaults` filled in for keys it lacks.
    static func object(_ request: HTTPRequest, defaults: [String: Any] = [:]) throws(Failure) -> Data {
        guard !request.body.isEmpty else { throw Failure(field: nil, message: "a JSON object body is required") }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(request.body))
        } catch {
            throw Failure(field: nil, message: "the body is not valid JSON")
        }
        guard var obj = parsed as? [String: Any] else { throw Failure(field: nil, message: "the body must be a JSON object") }
        for (k, v) in defaults where obj[k] == nil { obj[k] = v }
        do {
            return try JSONSerialization.data(withJSONObject: obj)
        } catch {
            throw Failure(field: nil, message: "the body cannot be re-encoded")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws(Failure) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let e as DecodingError {
            let (field, reason) = e.keyPathAndReason
            throw Failure(field: field, message: "\(field.isEmpty ? "" : "\(field): ")\(reason)")
        } catch let e as ClientFacingError {
            throw Failure(field: e.field.isEmpty ? nil : e.field, message: e.description)
        } catch {
            // Not written for clients: nothing of it leaves the hub.
            throw Failure(field: nil, message: "the body could not be decoded")
        }
    }
}
