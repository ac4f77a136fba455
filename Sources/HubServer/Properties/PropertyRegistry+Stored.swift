import HubCore

extension PropertyRegistry {
    /// Takes in stored definitions that differ from the live ones (added or replaced). They may
    /// derive from each other: what can be taken in is, pass after pass, until nothing is left
    /// or a pass makes no progress (the store checked them together, so normally every pass
    /// does). Returns whether anything changed.
    @discardableResult
    func absorb(_ stored: [PropertyDefinition]) -> Bool {
        var pending = stored.filter { definition($0.name) != $0 }
        var changed = false
        while !pending.isEmpty {
            let before = pending.count
            pending = pending.filter { d in
                do {
                    if definition(d.name) != nil { try replace(d) } else { try add(d) }
                    changed = true
                    return false
                } catch {
                    return true
                }
            }
            if pending.count == before { break }
        }
        return changed
    }
}
