// Follows the hub's arbitrage channels and prints each opportunity as it opens, changes and
// closes — an example bot on the Swift client (docs/clients/swift.md).
//
//   STREAMHUB_URL=http://127.0.0.1:8080 STREAMHUB_API_KEY=shk_… swift run arb-bot [MIN_EDGE] [COUNT]
import Foundation
import StreamHubClient

/// What an `arb.*` publication carries (registered property names).
struct Opportunity: Decodable {
    let active: Bool?
    let edge: Double?
    let legs: String?
}

let env = ProcessInfo.processInfo.environment
let base = env["STREAMHUB_URL"] ?? "http://127.0.0.1:8080"
let minEdge = CommandLine.arguments.count > 1 ? Double(CommandLine.arguments[1]) ?? 0 : 0
let count = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 0 : 0
let tokens = try env["STREAMHUB_API_KEY"].map { try APIKeyTokens(baseURL: base, apiKey: $0) }
let client = try StreamHubClient(url: base.replacingOccurrences(of: "http", with: "ws", options: .anchored) + "/ws", tokens: tokens?.token)
try await client.start()
// Open opportunities above the edge asked for, and every retraction (active: false).
let wanted: [String: Any] = [
    "or": [["property": "active", "op": "=", "value": false], ["property": "edge", "op": ">=", "value": minEdge]]
]
do {
    try await client.subscribe("arb.*.*", filter: wanted)
} catch {
    FileHandle.standardError.write(Data("refused: \(error)\n".utf8))
    exit(1)
}
print("following arb.*.*")
var printed = 0
for await p in client.publications {
    guard let o = try? p.decode(Opportunity.self) else { continue }
    if p.snapshot && o.active == false { continue }  // closed before we came
    if o.active == false {
        print("closed  \(p.channel)")
    } else {
        print("open    \(p.channel)  edge \(String(format: "%.2f", (o.edge ?? 0) * 100)) %  \(o.legs ?? "")")
    }
    fflush(nil)
    printed += 1
    if count > 0 && printed >= count { break }
}
client.close()
