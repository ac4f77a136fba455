import HubCore

/// A publication as it crosses Redis pub/sub between cluster nodes — text, one line per part:
///
///     <node> <epoch> <offset> <ts> <rt> <channel>
///     <property>\t<JSON value>
///     …
///
/// The JSON values are the hub's own encoding, which escapes every control character, so no
/// value holds a tab or a newline. The sender's node id lets a node skip its own publications.
public enum ClusterMessage {
    public static func encode(node: String, _ p: StoredPublication) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(p.encoded.bytes.count + 64)
        out.append(contentsOf: node.utf8)
        for part in [p.epoch, String(p.offset), String(p.exchangeTime), String(p.receiveTime), p.channel] {
            out.append(UInt8(ascii: " "))
            out.append(contentsOf: part.utf8)
        }
        for f in p.fields {
            out.append(UInt8(ascii: "\n"))
            out.append(contentsOf: f.name.utf8)
            out.append(UInt8(ascii: "\t"))
            out.append(contentsOf: f.json)
        }
        return out
    }

    /// The sender and the publication, or nil when `bytes` is not such a message.
    public static func decode(_ bytes: [UInt8]) -> (node: String, publication: RemotePublication)? {
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        guard let head = lines.first else { return nil }
        let parts = head.split(separator: UInt8(ascii: " "), maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, let offset = UInt64(text(parts[2])), let ts = Int64(text(parts[3])), let rt = Int64(text(parts[4])) else { return nil }
        var fields: [StoredField] = []
        fields.reserveCapacity(lines.count - 1)
        for line in lines.dropFirst() {
            guard let tab = line.firstIndex(of: UInt8(ascii: "\t")), tab > line.startIndex else { return nil }
            fields.append(StoredField(name: text(line[..<tab]), json: Array(line[(tab + 1)...])))
        }
        return (
            text(parts[0]),
            RemotePublication(channel: text(parts[5]), epoch: text(parts[1]), offset: offset, exchangeTime: ts, receiveTime: rt, fields: fields)
        )
    }

    private static func text(_ s: ArraySlice<UInt8>) -> String { String(decoding: s, as: UTF8.self) }
}
