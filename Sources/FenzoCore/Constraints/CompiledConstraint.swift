/// A constraint resolved against the scheduler's interned attributes, ready for the
/// hot path: integers instead of strings, and whether pools can decide it.
struct CompiledConstraint: Sendable {
    enum Rule: Sendable {
        case attributeIn(attribute: Int, values: [Int32])
        case slots([Int32])
        case unique(attribute: Int)
        case balanced(attribute: Int, expected: Int?)
        case exclusive
        case custom(any CustomConstraint)
    }

    var rule: Rule
    var source: PlacementConstraint
    /// Where the attribute sits in a pool's partition values, when pools split by it;
    /// the constraint is then decided once per pool instead of once per host.
    var poolPosition: Int?

    var attribute: Int? {
        switch rule {
        case .attributeIn(let attribute, _), .unique(let attribute), .balanced(let attribute, _): attribute
        case .slots, .exclusive, .custom: nil
        }
    }

    var isCustom: Bool { if case .custom = rule { true } else { false } }
}

/// A task request resolved for one iteration.
struct CompiledTask: Sendable {
    var request: TaskRequest
    var group: Int
    var scalars: [(id: Int, amount: Double)]
    var hard: [CompiledConstraint]
    var soft: [CompiledConstraint]
    /// Needs an empty host and keeps it to itself.
    var exclusive: Bool
    /// The only hosts it may use, when a hard constraint names them.
    var pinned: [Int32]?
    var hasCustom: Bool
}

/// Thrown out of a search when a custom constraint throws.
struct ConstraintFailure: Error {
    var constraint: String
    var error: any Error
}

extension TaskScheduler {
    mutating func compile(_ request: TaskRequest) -> CompiledTask {
        let scalars = request.scalars.sorted { $0.key < $1.key }.map { (id: scalarID($0.key), amount: $0.value) }
        var task = CompiledTask(
            request: request,
            group: groupID(request.group),
            scalars: scalars,
            hard: [],
            soft: [],
            exclusive: false,
            pinned: nil,
            hasCustom: false
        )
        for constraint in request.hardConstraints {
            let compiled = compile(constraint)
            switch compiled.rule {
            case .exclusive:
                task.exclusive = true
            case .slots(let slots):
                task.pinned = task.pinned.map { pinned in pinned.filter(slots.contains) } ?? slots
            default:
                break
            }
            task.hard.append(compiled)
        }
        // Uniqueness declared by running tasks of the group binds this task too.
        for attribute in groups[task.group].declaredUnique.keys.sorted() {
            let declared = task.hard.contains {
                if case .unique(let own) = $0.rule { own == attribute } else { false }
            }
            if !declared { task.hard.append(compile(.uniqueHostAttribute(attributes.names[attribute]))) }
        }
        task.soft = request.softConstraints.map { compile($0) }
        task.hasCustom = (task.hard + task.soft).contains(where: \.isCustom)
        return task
    }

    private mutating func compile(_ constraint: PlacementConstraint) -> CompiledConstraint {
        let rule: CompiledConstraint.Rule
        switch constraint {
        case .hostAttributeValue(let name, let values) where name == "name":
            rule = .slots(values.compactMap { slotOfHost[HostName($0)].map(Int32.init) })
        case .hostname(let names):
            rule = .slots(names.compactMap { slotOfHost[$0].map(Int32.init) })
        case .hostAttributeValue(let name, let values):
            let attribute = attributes.intern(name)
            rule = .attributeIn(
                attribute: attribute,
                values: values.compactMap { attributes.valueID($0, of: attribute) }.sorted()
            )
        case .uniqueHostAttribute(let name):
            rule = .unique(attribute: attributes.intern(name))
        case .balancedHostAttribute(let name, let expected):
            rule = .balanced(attribute: attributes.intern(name), expected: expected)
        case .exclusiveHost:
            rule = .exclusive
        case .custom(let custom):
            rule = .custom(custom)
        }
        var compiled = CompiledConstraint(rule: rule, source: constraint, poolPosition: nil)
        if let attribute = compiled.attribute, attribute != AttributeTable.nameAttribute {
            if index.partitionPosition(of: attribute) == nil, !index.unpartitionable.contains(attribute) {
                let eligible = hosts.indices.map(isEligible)
                _ = index.partition(by: attribute, hosts: hosts, table: attributes, eligible: eligible)
            }
            compiled.poolPosition = index.partitionPosition(of: attribute)
        }
        return compiled
    }

    /// Partition positions can shift when a later task adds a partition attribute;
    /// brings a compiled task's positions up to date.
    func refreshPoolPositions(_ task: inout CompiledTask) {
        for position in task.hard.indices {
            if let attribute = task.hard[position].attribute, attribute != AttributeTable.nameAttribute {
                task.hard[position].poolPosition = index.partitionPosition(of: attribute)
            }
        }
        for position in task.soft.indices {
            if let attribute = task.soft[position].attribute, attribute != AttributeTable.nameAttribute {
                task.soft[position].poolPosition = index.partitionPosition(of: attribute)
            }
        }
    }

    /// The score of a built-in constraint for a host whose attribute has `value`: 0 or 1
    /// for most. A balanced attribute over its share scores 0 when hard and a falling
    /// score when soft, so a soft one still prefers the least-loaded value over others.
    mutating func attributeScore(_ rule: CompiledConstraint.Rule, group: Int, value: Int32, hard: Bool) -> Double {
        switch rule {
        case .attributeIn(_, let values):
            return value != AttributeTable.missing && values.contains(value) ? 1 : 0
        case .unique(let attribute):
            return groups[group].count(attribute: attribute, value: value, table: attributes) == 0 ? 1 : 0
        case .balanced(let attribute, let expected):
            let limit = balancedLimit(attribute: attribute, expected: expected, group: group)
            let count = Int(groups[group].count(attribute: attribute, value: value, table: attributes))
            if count < limit { return 1 }
            return hard ? 0 : 1 / Double(2 + count - limit)
        case .slots, .exclusive, .custom:
            return 1
        }
    }

    /// How many tasks of the group a value may hold before it is over its share:
    /// `ceil((tasks + 1) / values)`.
    func balancedLimit(attribute: Int, expected: Int?, group: Int) -> Int {
        let values = max(1, expected ?? attributes.valueCount(of: attribute, hosts: hosts.count))
        return (groups[group].total + values) / values
    }

    /// The score of one constraint for one host; throws if a custom constraint throws.
    mutating func hostScore(
        _ constraint: CompiledConstraint,
        task: CompiledTask,
        slot: Int,
        hard: Bool
    ) throws(ConstraintFailure) -> Double {
        switch constraint.rule {
        case .attributeIn(let attribute, _), .unique(let attribute), .balanced(let attribute, _):
            let value = attributes.value(of: attribute, slot: slot)
            return attributeScore(constraint.rule, group: task.group, value: value, hard: hard)
        case .slots(let slots):
            return slots.contains(Int32(slot)) ? 1 : 0
        case .exclusive:
            return hosts[slot].tasks.isEmpty ? 1 : 0
        case .custom(let custom):
            do {
                return try custom.evaluate(task.request, on: hosts[slot].view(includingGroups: groupsOnHost(slot)))
                    .score
            } catch {
                throw ConstraintFailure(constraint: custom.name, error: error)
            }
        }
    }

    /// The reason a custom constraint gives for rejecting a host, for failure messages.
    func customReason(_ constraint: CompiledConstraint, task: CompiledTask, slot: Int) -> String? {
        guard case .custom(let custom) = constraint.rule else { return nil }
        return try? custom.evaluate(task.request, on: hosts[slot].view(includingGroups: groupsOnHost(slot))).reason
    }

    func groupsOnHost(_ slot: Int) -> [TaskGroup: Int] {
        var counts: [TaskGroup: Int] = [:]
        for id in hosts[slot].tasks {
            if let record = running[id] { counts[record.request.group, default: 0] += 1 }
        }
        return counts
    }
}
