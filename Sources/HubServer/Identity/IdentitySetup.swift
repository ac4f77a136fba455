import Foundation
import HubAuth
import HubCore
import HubStore
import Logging

/// What `serve` and the identity CLI commands share: the token service from the configuration,
/// default roles on first start, the first admin.
public enum IdentitySetup {
    /// The token service for `auth` (reads each issuer's JWKS file); `clock` decides expiry.
    public static func tokenService(_ auth: HubConfig.Auth, clock: HubClock = SystemClock()) throws -> TokenService {
        var c = AuthConfig(jwtSecret: auth.jwtSecret)
        c.accessTokenSeconds = auth.accessTokenSeconds
        c.refreshTokenSeconds = auth.refreshTokenSeconds
        c.leewaySeconds = auth.leewaySeconds
        c.passwordRounds = auth.passwordRounds
        c.allowAnonymous = auth.anonymous
        c.expiryWarningSeconds = auth.expiryWarningSeconds
        c.authDeadlineSeconds = auth.authDeadlineSeconds
        for (i, issuer) in auth.issuers.enumerated() {
            // Keys from a URL arrive later (`JWKSRefresher`); a file is read now.
            let data = issuer.jwksURL.isEmpty ? FileManager.default.contents(atPath: issuer.jwksFile) : Data()
            guard let data else {
                throw AuthSetupError("auth.issuers[\(i)].jwksFile: cannot read \(issuer.jwksFile)")
            }
            c.external.append(
                .init(
                    issuer: issuer.issuer, audience: issuer.audience, jwks: String(decoding: data, as: UTF8.self), rolesClaim: issuer.rolesClaim,
                    roleMap: issuer.roleMap))
        }
        let config = c
        let now: @Sendable () -> Date = { clock.wallDate() }
        return try blocking { () async throws -> TokenService in try await TokenService(config: config, now: now) }
    }

    /// Opens and migrates the store; on first start (no roles) loads the default roles.
    public static func openStore(_ config: HubConfig, logger: Logger) throws -> HubStore {
        let store = try config.openStore()
        try store.migrate()
        if try store.roles().isEmpty {
            let roles: [Role]
            do {
                roles = try RoleSeedLoader.load(file: config.auth.rolesFile)
            } catch {
                throw AuthSetupError("auth.rolesFile: \(error)")
            }
            try store.seedRoles(roles)
            logger.info("roles seeded", metadata: ["roles": "\(roles.map(\.id).joined(separator: ","))", "from": "\(config.auth.rolesFile)"])
        }
        if try store.featureCount() == 0 {
            let flags: FlagSet
            do {
                flags = try FlagSeedLoader.load(file: config.flags.seedFile)
            } catch {
                throw AuthSetupError("flags.seedFile: \(error)")
            }
            if try store.seedFlags(flags) {
                logger.info(
                    "feature flags seeded", metadata: ["flags": "\(flags.features.map(\.name).joined(separator: ","))", "from": "\(config.flags.seedFile)"])
            }
        }
        return store
    }

    /// When no enabled user holds the admin role (first start), creates `admin` with it and an
    /// API key: the one in `auth.bootstrapAdminKey` when set, else a new one, returned so it
    /// can be printed once. If the name is taken (users made with the CLI before the first
    /// start), nothing is created and the log says how to name an admin; if another node makes
    /// it meanwhile, nothing is created either.
    public static func bootstrapAdmin(_ store: HubStore, _ auth: HubConfig.Auth, logger: Logger) throws -> (username: String, generatedKey: String?)? {
        guard try store.enabledAdminCount() == 0 else { return nil }
        if try store.user(named: "admin") != nil {
            logger.warning("no enabled user holds the admin role and the name 'admin' is taken; grant it with `streamhub users role NAME admin`")
            return nil
        }
        let given = auth.bootstrapAdminKey.isEmpty ? nil : APIKey(parsing: auth.bootstrapAdminKey)
        let key = given ?? APIKey.generate()
        guard try store.insertAdmin(username: "admin", displayName: "Administrator", key: (key.id, key.digest), actor: "system") != nil else {
            return nil  // another node of the cluster, starting at the same time, made it
        }
        return ("admin", given == nil ? key.text : nil)
    }
}

/// Runs async work from synchronous code — start-up, commands, tools — and waits for it
/// (never call it on the loop or on a Swift concurrency thread).
public func blocking<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
    let done = DispatchSemaphore(value: 0)
    let result = ResultBox<T>()
    Task {
        do {
            result.value = .success(try await work())
        } catch {
            result.value = .failure(error)
        }
        done.signal()
    }
    done.wait()
    return try result.value!.get()
}

private final class ResultBox<T>: @unchecked Sendable {
    var value: Result<T, Error>?
}
