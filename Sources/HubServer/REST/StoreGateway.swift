import Foundation
import HubStore
import Logging
import WebSocketLoop

/// Runs control-plane work on the store queue (never the loop) and answers on the loop, with
/// store failures mapped to statuses (`answer` returns nil when a later step responds):
/// duplicate and conflict 409, not found 404, refused 422; anything unexpected is 500
/// `internal` with no detail for the client (the log has it).
struct StoreGateway: @unchecked Sendable {
    let store: HubStore
    let queue: DispatchQueue
    unowned let loop: EventLoop
    let logger: Logger
    /// Runs on the store queue after every piece of work that succeeded (a cluster node
    /// announces control-plane changes with it).
    var afterWork: ((HubStore) -> Void)?

    func run<T>(_ respond: HTTPResponder, _ work: @escaping (HubStore) throws -> T, then answer: @escaping (T) -> HTTPResponse?) {
        let box = UncheckedBox((work, answer))
        let store = self.store
        queue.async { [self] in
            let work = box.value.0
            let outcome: Result<T, HTTPError>
            do {
                outcome = .success(try work(store))
                afterWork?(store)
            } catch {
                outcome = .failure(Self.httpError(error, logger: logger))
            }
            let result = UncheckedBox(outcome)
            loop.execute {
                let answer = box.value.1
                switch result.value {
                case .success(let v): if let r = answer(v) { respond(r) }
                case .failure(let e): respond(e.response)
                }
            }
        }
    }

    static func httpError(_ error: Error, logger: Logger) -> HTTPError {
        switch error {
        case let e as HTTPError: return e
        case StoreError.duplicate(let what): return HTTPError(409, "duplicate", "\(what) already exists")
        case StoreError.conflict(let what): return HTTPError(409, "conflict", what)
        case StoreError.notFound(let what): return HTTPError(404, "not_found", "no \(what)")
        case StoreError.refused(let what): return HTTPError(422, "unprocessable", what)
        default:
            logger.error("control-plane store failed", metadata: ["error": "\(error)"])
            return HTTPError.internal
        }
    }
}
