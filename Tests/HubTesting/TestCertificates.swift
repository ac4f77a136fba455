import Foundation

/// A CA and a server certificate for 127.0.0.1 (EC P-256, PEM, valid a day), made with the
/// `openssl` command in a temporary directory — for TLS listeners in tests.
public struct TestCertificates {
    public let directory: String
    public var caFile: String { directory + "/ca.pem" }
    public var certFile: String { directory + "/server.pem" }
    public var keyFile: String { directory + "/server.key" }

    public init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("certs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n".write(toFile: directory + "/ext.cnf", atomically: true, encoding: .utf8)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try Self.openssl(["req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=StreamHub test CA"], in: directory)
        try Self.openssl(["req"] + ec + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"], in: directory)
        try Self.openssl(
            [
                "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "1", "-extfile",
                "ext.cnf",
            ],
            in: directory)
    }

    static func openssl(_ args: [String], in dir: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        p.standardOutput = FileHandle.nullDevice
        let err = Pipe()
        p.standardError = err
        do { try p.run() } catch { throw MissingPrerequisite("/usr/bin/openssl is not available (scripts/setup installs openssl)") }
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw MissingPrerequisite("openssl \(args.first ?? ""): \(text)") }
    }

    public func remove() { try? FileManager.default.removeItem(atPath: directory) }
}
