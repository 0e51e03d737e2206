/// Host attributes interned to small integers, one column per attribute, so that
/// constraints compare integers instead of strings on the hot path.
///
/// Attribute 0 is `name`: its value for a host is the host's slot.
struct AttributeTable: Sendable {
    static let nameAttribute = 0
    static let missing: Int32 = -1

    private var ids: [String: Int] = ["name": 0]
    private(set) var names: [String] = ["name"]
    /// `columns[attribute][slot]`: the host's value id, or `missing`. Column 0 is unused.
    private(set) var columns: [[Int32]] = [[]]
    private var valueIDs: [[String: Int32]] = [[:]]
    private(set) var valueNames: [[String]] = [[]]
    private var hostCount = 0

    func id(of attribute: String) -> Int? { ids[attribute] }

    mutating func intern(_ attribute: String) -> Int {
        if let id = ids[attribute] { return id }
        let id = names.count
        ids[attribute] = id
        names.append(attribute)
        columns.append(Array(repeating: AttributeTable.missing, count: hostCount))
        valueIDs.append([:])
        valueNames.append([])
        return id
    }

    func valueID(_ value: String, of attribute: Int) -> Int32? { valueIDs[attribute][value] }

    mutating func internValue(_ value: String, of attribute: Int) -> Int32 {
        if let id = valueIDs[attribute][value] { return id }
        let id = Int32(valueNames[attribute].count)
        valueIDs[attribute][value] = id
        valueNames[attribute].append(value)
        return id
    }

    @inline(__always)
    func value(of attribute: Int, slot: Int) -> Int32 {
        attribute == AttributeTable.nameAttribute ? Int32(slot) : columns[attribute][slot]
    }

    /// How many distinct values of the attribute the known hosts have had.
    func valueCount(of attribute: Int, hosts: Int) -> Int {
        attribute == AttributeTable.nameAttribute ? hosts : valueNames[attribute].count
    }

    func valueName(_ value: Int32, of attribute: Int, hostName: (Int) -> String) -> String {
        if value == AttributeTable.missing { return "(none)" }
        return attribute == AttributeTable.nameAttribute ? hostName(Int(value)) : valueNames[attribute][Int(value)]
    }

    /// Adds a slot for a new host with no attributes.
    mutating func appendHost() {
        hostCount += 1
        for attribute in 1..<columns.count { columns[attribute].append(AttributeTable.missing) }
    }

    /// Sets every attribute of the host at `slot`; returns whether any value changed.
    mutating func setAttributes(_ attributes: [String: String], slot: Int) -> Bool {
        var changed = false
        for (name, value) in attributes.sorted(by: { $0.key < $1.key }) where name != "name" {
            let attribute = intern(name)
            let id = internValue(value, of: attribute)
            if columns[attribute][slot] != id {
                columns[attribute][slot] = id
                changed = true
            }
        }
        for attribute in 1..<columns.count
        where columns[attribute][slot] != AttributeTable.missing && attributes[names[attribute]] == nil {
            columns[attribute][slot] = AttributeTable.missing
            changed = true
        }
        return changed
    }
}

/// How many tasks of one group are where, for unique and balanced constraints.
struct GroupPlacements: Sendable {
    var total = 0
    /// Tasks per host slot.
    var perHost: [Int32: Int32] = [:]
    /// Tasks per value, for attributes a constraint has asked about (filled lazily).
    var perValue: [Int: [Int32: Int32]] = [:]
    /// Attributes that running tasks of the group declared unique, with how many
    /// declared each: uniqueness binds the whole group, so later tasks of the group
    /// keep to it even if they do not declare it themselves.
    var declaredUnique: [Int: Int] = [:]

    func count(onSlot slot: Int) -> Int32 { perHost[Int32(slot)] ?? 0 }

    /// Tasks on hosts whose `attribute` has `value`. Reads the tally `prepare` made, or
    /// counts from the per-host numbers when there is none.
    func count(attribute: Int, value: Int32, table: AttributeTable) -> Int32 {
        if attribute == AttributeTable.nameAttribute { return perHost[value] ?? 0 }
        if let counts = perValue[attribute] { return counts[value] ?? 0 }
        var count: Int32 = 0
        for (slot, n) in perHost where table.value(of: attribute, slot: Int(slot)) == value { count += n }
        return count
    }

    /// Tallies the group's tasks by the values of `attribute`, so counting is a lookup.
    mutating func prepare(attribute: Int, table: AttributeTable) {
        if attribute != AttributeTable.nameAttribute, perValue[attribute] == nil {
            perValue[attribute] = tally(attribute, table)
        }
    }

    private func tally(_ attribute: Int, _ table: AttributeTable) -> [Int32: Int32] {
        var counts: [Int32: Int32] = [:]
        for (slot, n) in perHost {
            counts[table.value(of: attribute, slot: Int(slot)), default: 0] += n
        }
        return counts
    }

    mutating func add(slot: Int, table: AttributeTable, delta: Int32) {
        total += Int(delta)
        let key = Int32(slot)
        let newCount = (perHost[key] ?? 0) + delta
        perHost[key] = newCount > 0 ? newCount : nil
        for attribute in perValue.keys {
            let value = table.value(of: attribute, slot: slot)
            let updated = (perValue[attribute]?[value] ?? 0) + delta
            perValue[attribute]?[value] = updated > 0 ? updated : nil
        }
    }

    /// Forgets the per-value tallies, after host attributes changed.
    mutating func invalidateValues() { perValue.removeAll() }
}
