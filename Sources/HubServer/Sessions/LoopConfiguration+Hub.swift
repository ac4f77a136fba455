import Foundation
import HubCore
import Logging
import WebSocketLoop

extension LoopConfiguration {
    /// The hub's listener: address, the dynamic prefixes the router answers (`/healthz`,
    /// `/api`), the dashboard's static files, frame limits, permessage-deflate.
    static func hub(_ config: HubConfig, logger: Logger) -> LoopConfiguration {
        var lc = LoopConfiguration(listen: .init(host: config.server.host, port: config.server.port))
        lc.dynamicPrefixes = ["/healthz", "/api", "/metrics"]
        if let dir = config.server.publicDir {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue {
                lc.staticRoot = URL(fileURLWithPath: dir).standardizedFileURL.path
            } else {
                logger.warning("public directory not found; static files are not served", metadata: ["publicDir": "\(dir)"])
            }
            // Chart.js for the dashboard's charts, from Debian's libjs-chart.js (never a CDN).
            if let chart = config.server.chartJsDir, FileManager.default.fileExists(atPath: chart + "/chart.min.js") {
                lc.staticMounts.append(("/vendor/chart.js", chart))
            } else if let chart = config.server.chartJsDir {
                logger.warning("Chart.js not found (Debian package libjs-chart.js); the dashboard draws no charts", metadata: ["chartJsDir": "\(chart)"])
            }
        }
        lc.maxMessageBytes = config.serve.maxMessageBytes
        lc.maxClientMessageBytes = config.feeds.maxFrameBytes
        lc.permessageDeflate = config.server.permessageDeflate
        lc.deflateWindowBits = config.server.deflateWindowBits
        lc.deflateMemoryLevel = config.server.deflateMemoryLevel
        lc.maxConnections = UInt32(config.server.maxConnections)
        lc.eventLibrary = LoopConfiguration.EventLibrary(rawValue: config.server.eventLoop) ?? .poll
        lc.serverTLS = config.server.tls.map { .init(certFile: $0.certFile, keyFile: $0.keyFile, clientCAFile: $0.clientCAFile) }
        return lc
    }
}
