/// The fields a venue's decoder can emit, each with the registered property it maps to.
/// Transformation resolves the property names once, so a tick never looks a name up.
public struct VenueSchema: Sendable {
    public struct FieldMapping: Sendable {
        /// The venue's own name for the field (`best_bid_price`), for diagnostics and docs.
        public let venueName: String
        /// The registered property it becomes (`bid`).
        public let property: String
        public init(_ venueName: String, _ property: String) {
            self.venueName = venueName
            self.property = property
        }
    }

    public let source: String
    public let fields: [FieldMapping]

    public init(source: String, fields: [FieldMapping]) {
        self.source = source
        self.fields = fields
    }
}
