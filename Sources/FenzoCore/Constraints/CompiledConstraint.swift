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

/// A task request resolved for one iteration. A class, so the hot loops that pass it
/// around copy one reference instead of a dozen.
final class CompiledTask: Sendable {
    let request: TaskRequest
    let group: Int
    let scalars: [(id: Int, amount: Double)]
    let hard: [CompiledConstraint]
    let soft: [CompiledConstraint]
    /// Needs an empty host and keeps it to itself.
    let exclusive: Bool
    /// The only hosts it may use, when a hard constraint names them.
    let pinned: [Int32]?
    let hasCustom: Bool
    /// Whether where the task may go depends on where its group's other tasks are.
    let dependsOnGroup: Bool
    /// How many attributes split the pools when the positions were worked out.
    let partitionCount: Int

    init(
        request: TaskRequest,
        group: Int,
        scalars: [(id: Int, amount: Double)],
        hard: [CompiledConstraint],
        soft: [CompiledConstraint],
        exclusive: Bool,
        pinned: [Int32]?,
        partitionCount: Int
    ) {
        self.partitionCount = partitionCount
        self.request = request
        self.group = group
        self.scalars = scalars
        self.hard = hard
        self.soft = soft
        self.exclusive = exclusive
        self.pinned = pinned
        hasCustom = (hard + soft).contains(where: \.isCustom)
        dependsOnGroup = hard.contains {
            switch $0.rule {
            case .unique, .balanced: true
            default: false
            }
        }
    }

    /// The same task with its constraints' pool positions replaced.
    func with(hard: [CompiledConstraint], soft: [CompiledConstraint], partitionCount: Int) -> CompiledTask {
        CompiledTask(
            request: request,
            group: group,
            scalars: scalars,
            hard: hard,
            soft: soft,
            exclusive: exclusive,
            pinned: pinned,
            partitionCount: partitionCount
        )
    }
}

/// Thrown out of a search when a custom constraint throws.
struct ConstraintFailure: Error {
    var constraint: String
    var error: any Error
}

extension TaskScheduler {
    mutating func compile(_ request: TaskRequest) -> CompiledTask {
        let scalars = request.scalars.sorted { $0.key < $1.key }.map { (id: scalarID($0.key), amount: $0.value) }
        let group = groupID(request.group)
        var hard: [CompiledConstraint] = []
        var exclusive = false
        var pinned: [Int32]?
        for constraint in request.hardConstraints {
            let compiled = compile(constraint)
            switch compiled.rule {
            case .exclusive:
                exclusive = true
            case .slots(let slots):
                pinned = pinned.map { $0.filter(slots.contains) } ?? slots
            default:
                break
            }
            hard.append(compiled)
        }
        // Uniqueness declared by running tasks of the group binds this task too.
        for attribute in groups[group].declaredUnique.keys.sorted() {
            let declared = hard.contains {
                if case .unique(let own) = $0.rule { own == attribute } else { false }
            }
            if !declared { hard.append(compile(.uniqueHostAttribute(attributes.names[attribute]))) }
        }
        let soft = request.softConstraints.map { compile($0) }
        for constraint in hard + soft {
            if let attribute = constraint.attribute { groups[group].prepare(attribute: attribute, table: attributes) }
        }
        return CompiledTask(
            request: request,
            group: group,
            scalars: scalars,
            hard: hard,
            soft: soft,
            exclusive: exclusive,
            pinned: pinned,
            partitionCount: index.partitionAttributes.count
        )
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
    /// the task with its constraints' positions brought up to date.
    func refreshPoolPositions(_ task: CompiledTask) -> CompiledTask {
        let partitionCount = index.partitionAttributes.count
        guard task.partitionCount != partitionCount else { return task }
        func refreshed(_ constraints: [CompiledConstraint]) -> [CompiledConstraint] {
            constraints.map { constraint in
                var updated = constraint
                if let attribute = constraint.attribute, attribute != AttributeTable.nameAttribute {
                    updated.poolPosition = index.partitionPosition(of: attribute)
                }
                return updated
            }
        }
        return task.with(hard: refreshed(task.hard), soft: refreshed(task.soft), partitionCount: partitionCount)
    }

    /// The score of a built-in constraint for a host whose attribute has `value`: 0 or 1
    /// for most. A balanced attribute over its share scores 0 when hard and a falling
    /// score when soft, so a soft one still prefers the least-loaded value over others.
    func attributeScore(_ rule: CompiledConstraint.Rule, group: Int, value: Int32, hard: Bool) -> Double {
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
    func hostScore(
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
