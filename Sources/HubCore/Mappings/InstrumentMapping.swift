/// The same asset or event across venues: BTC/USDT on Binance ↔ BTC-USD on Coinbase ↔
/// BTC-PERPETUAL on Deribit; a Polymarket market ↔ a Kalshi ticker ↔ an ORCA event. Cross-venue
/// enrichment (best bid/offer, arbitrage) works on mappings; `config/mappings.yaml` seeds them,
/// `/api/mappings` edits them.
public struct InstrumentMapping: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// Exchange tickers of one asset (`ticker.<venue>.<instrument>`): composite best bid/offer, arbitrage after fees.
        case crypto
        /// Prediction-market outcomes of one question (`outcomes.<venue>.<instrument>`): YES on one venue + NO on another.
        case prediction
        /// One real-world event across venues (an ORCA event, its prediction markets): a reference, no computation yet.
        case event
    }

    public struct Member: Codable, Equatable, Sendable {
        /// The venue as in channel names (`binance`).
        public var venue: String
        /// The venue's instrument as in channel names (`BTC/USDT`, `FED-CUT-YES`, `EPL-ARS-CHE`).
        public var instrument: String
        /// Prediction markets: the outcome the instrument pays on — `yes` or `no` for a
        /// Polymarket token; absent for a market that quotes both sides (a Kalshi ticker).
        public var side: String?
        /// Crypto: `reference` — the member's `indexPrice` (Deribit's BTC index, carried by its
        /// perpetual's ticker) is shown on the composite quote, and its quotes take no part in the
        /// best bid/offer or arbitrage; `perp` — a perpetual swap of the asset: the composite quote
        /// carries its basis against the spot members and its funding, and its quotes take no
        /// part in the best bid/offer or arbitrage either. Absent: a tradable spot quote.
        public var role: String?

        public init(venue: String, instrument: String, side: String? = nil, role: String? = nil) {
            self.venue = venue
            self.instrument = instrument
            self.side = side
            self.role = role
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case venue, instrument, side, role }

        public init(from decoder: Decoder) throws {
            let c = try decoder.strictContainer(CodingKeys.self)
            venue = try c.decode(String.self, forKey: .venue)
            instrument = try c.decode(String.self, forKey: .instrument)
            side = try c.decodeIfPresent(String.self, forKey: .side)
            role = try c.decodeIfPresent(String.self, forKey: .role)
        }

        public var isReference: Bool { role == "reference" }
        public var isPerp: Bool { role == "perp" }
        /// A spot quote: it makes the composite best bid/offer and trades in arbitrage.
        public var isSpot: Bool { role == nil }
    }

    public var id: String
    public var kind: Kind
    public var description: String
    public var members: [Member]

    public init(id: String, kind: Kind, description: String = "", members: [Member]) {
        self.id = id
        self.kind = kind
        self.description = description
        self.members = members
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case id, kind, description, members }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        kind = try c.decode(Kind.self, forKey: .kind)
        description = try c.decodeIfPresent(String.self, forKey: .description) ?? ""
        members = try c.decode([Member].self, forKey: .members)
    }
}

/// A mapping that cannot be used, with the field at fault (`members[1].side`).
public struct MappingError: Error, Equatable, CustomStringConvertible {
    public let field: String
    public let message: String
    public var description: String { "\(field): \(message)" }
}

extension InstrumentMapping {
    /// Checks what the enrichment relies on; the error names the field.
    public func check() throws(MappingError) {
        func fail(_ field: String, _ message: String) -> MappingError { MappingError(field: field, message: message) }
        guard !id.isEmpty, id.utf8.count <= 128, !id.contains("/"), (try? ChannelPattern(parsing: "arb.x.\(id)"))?.isExact == true else {
            throw fail("id", "must be 1–128 printable characters without space, quote, backslash, slash or *")
        }
        guard description.utf8.count <= 1024 else { throw fail("description", "longer than 1024 bytes") }
        guard members.count >= 2 else { throw fail("members", "a mapping joins at least two instruments") }
        var seen: Set<String> = []
        for (i, m) in members.enumerated() {
            guard (try? ChannelPattern(parsing: "ticker.\(m.venue).x"))?.venue == m.venue, !m.venue.isEmpty else {
                throw fail("members[\(i)].venue", "'\(m.venue.prefix(40))' is not a venue name ([a-z0-9_-], at most 32)")
            }
            guard (try? ChannelPattern(parsing: "ticker.x.\(m.instrument)"))?.isExact == true else {
                throw fail("members[\(i)].instrument", "'\(m.instrument.prefix(40))' is not an instrument name")
            }
            if let side = m.side {
                guard kind == .prediction else { throw fail("members[\(i)].side", "only prediction mappings have sides") }
                guard side == "yes" || side == "no" else { throw fail("members[\(i)].side", "must be yes or no") }
            }
            if let role = m.role {
                guard kind == .crypto else { throw fail("members[\(i)].role", "only crypto mappings have roles (reference, perp)") }
                guard role == "reference" || role == "perp" else { throw fail("members[\(i)].role", "must be reference or perp") }
                guard role != "perp" || !members[..<i].contains(where: \.isPerp) else {
                    throw fail("members[\(i)].role", "a mapping has at most one perp (its basis is the composite's)")
                }
            }
            guard seen.insert("\(m.venue).\(m.instrument)").inserted else {
                throw fail("members[\(i)]", "\(m.venue) \(m.instrument) is listed twice")
            }
        }
        // Reference and perp members ride on the spot members' composite quote.
        if kind == .crypto && !members.contains(where: \.isSpot) {
            throw fail("members", "a crypto mapping needs a spot member (one without a role)")
        }
    }
}
