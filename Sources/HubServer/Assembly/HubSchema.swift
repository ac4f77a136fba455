import HubCore

/// What the hub itself publishes as source `hub`: each venue's status on
/// `sources.hub.<venue>` (`SourceMonitor`) and alert transitions on `alerts.hub.<rule>`
/// (`AlertEngine`). One schema, since the transform keys schemas by source.
enum HubSchema {
    enum Field: Int, CaseIterable {
        case feedState, msgsPerSecond, lastMessageAgeMs, reconnects, gaps, decodeErrors
        case waiting, feedNode
        case alertState, alertPreviousState, alertKind, alertSeverity, alertValue, alertThreshold, alertMessage
    }

    static let schema = VenueSchema(
        source: "hub",
        fields: [
            .init("state", "feedState"), .init("msgs_per_s", "msgsPerSecond"), .init("last_message_age_ms", "lastMessageAgeMs"),
            .init("reconnects", "reconnects"), .init("gaps", "gaps"), .init("decode_errors", "decodeErrors"), .init("waiting", "waiting"),
            .init("node", "feedNode"),
            .init("alert_state", "alertState"), .init("alert_previous_state", "alertPreviousState"), .init("alert_kind", "alertKind"),
            .init("alert_severity", "alertSeverity"), .init("alert_value", "alertValue"), .init("alert_threshold", "alertThreshold"),
            .init("alert_message", "alertMessage"),
        ])

    static func field(_ f: Field, _ v: PropertyValue) -> RawField { RawField(UInt16(f.rawValue), v) }
}
