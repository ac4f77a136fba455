/// Conversions between odds formats and probabilities (docs/guides/enrichment.md).
public enum OddsMath {
    /// The probability a decimal price implies: 1 / d (d > 1).
    public static func implied(decimal d: Double) -> Double? { d > 1 ? 1 / d : nil }

    /// The probability American odds imply: +A → 100 / (A + 100); −A → A / (A + 100).
    public static func implied(american a: Int64) -> Double? {
        if a >= 100 { return 100 / (Double(a) + 100) }
        if a <= -100 { return Double(a).magnitude / (Double(a).magnitude + 100) }
        return nil  // −99…+99 are not American odds
    }

    /// Decimal odds of American odds: +A → 1 + A/100; −A → 1 + 100/A.
    public static func decimal(american a: Int64) -> Double? {
        if a >= 100 { return 1 + Double(a) / 100 }
        if a <= -100 { return 1 + 100 / Double(a).magnitude }
        return nil
    }

    /// Overround (the book's margin plus one) of a market's prices: Σ 1/dᵢ.
    public static func overround(_ decimals: [Double]) -> Double? {
        guard !decimals.isEmpty, decimals.allSatisfy({ $0 > 1 }) else { return nil }
        return decimals.reduce(0) { $0 + 1 / $1 }
    }
}
