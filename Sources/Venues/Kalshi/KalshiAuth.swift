import Crypto
import CryptoExtras
import Foundation
import HubCore

/// Kalshi's signed WebSocket handshake: headers `KALSHI-ACCESS-KEY` (the API key id),
/// `KALSHI-ACCESS-TIMESTAMP` (milliseconds) and `KALSHI-ACCESS-SIGNATURE`, the base64 of an
/// RSA-PSS (SHA-256, salt = digest length) signature of `timestamp + "GET" + path` made with
/// the key's private RSA key (PEM).
public struct KalshiAuth: Sendable {
    public static let path = "/trade-api/ws/v2"
    public let keyID: String
    private let key: _RSA.Signing.PrivateKey

    public init(keyID: String, privateKeyPEM: String) throws {
        self.keyID = keyID
        key = try _RSA.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
    }

    public func headers(timestampMillis: Int64, path: String = KalshiAuth.path) throws -> [(String, String)] {
        let message = "\(timestampMillis)GET\(path)"
        let signature = try key.signature(for: Data(message.utf8), padding: .PSS)
        return [
            ("KALSHI-ACCESS-KEY", keyID), ("KALSHI-ACCESS-TIMESTAMP", String(timestampMillis)),
            ("KALSHI-ACCESS-SIGNATURE", signature.rawRepresentation.base64EncodedString()),
        ]
    }

    /// Checks a handshake's headers against the key's public half (the simulator's side).
    public static func verify(publicKeyPEM: String, timestamp: String, signature: String, path: String = KalshiAuth.path) -> Bool {
        guard let key = try? _RSA.Signing.PublicKey(pemRepresentation: publicKeyPEM), let raw = Data(base64Encoded: signature) else { return false }
        let sig = _RSA.Signing.RSASignature(rawRepresentation: raw)
        return key.isValidSignature(sig, for: Data("\(timestamp)GET\(path)".utf8), padding: .PSS)
    }

    /// A new RSA-2048 key pair as PEM text (private, public): for the simulator and tests.
    public static func generateKeyPair() throws -> (privateKeyPEM: String, publicKeyPEM: String) {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        return (key.pemRepresentation, key.publicKey.pemRepresentation)
    }

    /// The public half of a private key (PEM).
    public static func publicKeyPEM(ofPrivate privateKeyPEM: String) throws -> String {
        try _RSA.Signing.PrivateKey(pemRepresentation: privateKeyPEM).publicKey.pemRepresentation
    }
}
