import Foundation

/// Test data kept in the repository (`Tests/Fixtures/`): the Unleash client specification, the
/// Wycheproof JWS vectors and recorded venue sessions, each folder with its upstream licence
/// (THIRD_PARTY_NOTICES.md lists them). A missing file is a failure, never a skip: the
/// repository must carry everything its tests read.
public enum Fixtures {
    /// `Tests/Fixtures` of this checkout.
    public static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

    /// The absolute path of a fixture (`captures/DERIBIT.ws.1.0`).
    public static func path(_ relative: String) -> String {
        directory.appendingPathComponent(relative).path
    }

    /// A fixture's bytes.
    public static func data(_ relative: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path(relative)) else { throw Missing(path: path(relative)) }
        return data
    }

    /// A fixture's text (UTF-8).
    public static func text(_ relative: String) throws -> String {
        String(decoding: try data(relative), as: UTF8.self)
    }

    public struct Missing: Error, CustomStringConvertible {
        public let path: String
        public var description: String { "fixture \(path) is missing from the repository" }
    }
}
