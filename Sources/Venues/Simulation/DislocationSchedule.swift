/// A simulated venue's price jumping away from the others now and then and coming back, so the
/// demo shows cross-venue arbitrage opening and closing: every `everySeconds` of the clock one
/// product (in turn) moves by `percent` for `holdSeconds`.
public struct DislocationSchedule: Sendable, Equatable {
    public var everySeconds: Double
    public var percent: Double
    public var holdSeconds: Double

    /// What to do to a book now.
    public enum Step: Equatable {
        /// Multiply the product's mid by the factor.
        case move(product: String, factor: Double)
    }

    private var nextStart: Int64
    private var active: (product: String, until: Int64)?
    private var turn = 0

    /// The first move comes `everySeconds` after `startMillis` (the simulator's start).
    public init(everySeconds: Double, percent: Double = 1.5, holdSeconds: Double = 8, startMillis: Int64) {
        self.everySeconds = everySeconds
        self.percent = percent
        self.holdSeconds = holdSeconds
        nextStart = startMillis + Int64(everySeconds * 1000)
    }

    public static func == (a: DislocationSchedule, b: DislocationSchedule) -> Bool {
        a.everySeconds == b.everySeconds && a.percent == b.percent && a.holdSeconds == b.holdSeconds
    }

    /// The move due at `nowMillis` among `products` (sorted), if any.
    public mutating func step(nowMillis: Int64, products: [String]) -> Step? {
        guard everySeconds > 0, !products.isEmpty else { return nil }
        let factor = 1 + percent / 100
        if let a = active {
            guard nowMillis >= a.until else { return nil }
            active = nil
            nextStart = nowMillis + Int64(everySeconds * 1000)
            return .move(product: a.product, factor: 1 / factor)
        }
        guard nowMillis >= nextStart else { return nil }
        let product = products[turn % products.count]
        turn += 1
        active = (product, nowMillis + Int64(holdSeconds * 1000))
        return .move(product: product, factor: factor)
    }
}
