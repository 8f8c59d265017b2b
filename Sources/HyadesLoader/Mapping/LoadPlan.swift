import HyadesCore

/// A column computed from another field of the same row: `--derive healpix5=healpix(source_id,5)`.
public struct DeriveSpec: Sendable, Equatable {
    public enum Function: Sendable, Equatable {
        /// The HEALPix nested pixel at `level` (0...12) of a Gaia source_id:
        /// `source_id >> (35 + 2 * (12 - level))` (../shared/DATA.md).
        case healpix(level: Int)
    }
    public var column: String
    public var function: Function
    /// A CSV header name (or the column it is mapped to).
    public var source: String

    public init(column: String, function: Function, source: String) {
        self.column = column
        self.function = function
        self.source = source
    }

    /// Parses `column=healpix(source,level)`.
    public init(parsing text: String) throws(LoadPlanError) {
        let t = text.filter { $0 != " " }
        guard let eq = t.firstIndex(of: "="), t.hasSuffix(")") else {
            throw LoadPlanError("--derive \(text): expected COLUMN=healpix(SOURCE,LEVEL)")
        }
        let column = String(t[..<eq])
        let call = t[t.index(after: eq)...].dropLast()
        guard let open = call.firstIndex(of: "(") else { throw LoadPlanError("--derive \(text): expected COLUMN=healpix(SOURCE,LEVEL)") }
        let name = call[..<open].lowercased()
        let args = call[call.index(after: open)...].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard name == "healpix" else { throw LoadPlanError("--derive \(text): unknown function \(name) (known: healpix)") }
        guard args.count == 2, !args[0].isEmpty, let level = Int(args[1]), (0...12).contains(level) else {
            throw LoadPlanError("--derive \(text): healpix takes (SOURCE_COLUMN, LEVEL 0...12)")
        }
        guard !column.isEmpty else { throw LoadPlanError("--derive \(text): missing the column name") }
        self.init(column: column, function: .healpix(level: level), source: args[0])
    }
}

/// What the user asked for: renames, skipped CSV columns and derived columns.
public struct LoadMapping: Sendable {
    /// CSV header name -> table column.
    public var renames: [String: String]
    /// CSV header names not loaded.
    public var skip: Set<String>
    public var derive: [DeriveSpec]

    public init(renames: [String: String] = [:], skip: Set<String> = [], derive: [DeriveSpec] = []) {
        self.renames = renames
        self.skip = skip
        self.derive = derive
    }

    /// Parses `--map csv=column` options.
    public static func parseRenames(_ options: [String]) throws(LoadPlanError) -> [String: String] {
        var out: [String: String] = [:]
        for o in options {
            let parts = o.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces }
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw LoadPlanError("--map \(o): expected CSV_NAME=COLUMN")
            }
            out[parts[0]] = parts[1]
        }
        return out
    }
}

extension Substring {
    var trimmingSpaces: String {
        var s = self
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}

/// A mapping problem found before anything is written.
public struct LoadPlanError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// How the fields of one file's rows become a table's rows: decided once from the header,
/// checked against the schema before any row is read.
public struct LoadPlan: Sendable {
    public enum Role: Sendable, Equatable {
        case partitionKey(Int)
        case clustering(Int)
        case regular
    }

    public struct Slot: Sendable {
        public var column: ColumnMetadata
        public var kind: ValueKind
        public var role: Role
    }

    public struct Derived: Sendable {
        public var slot: Int
        /// The CSV field holding the source value.
        public var sourceField: Int
        public var shift: Int
        public var sourceName: String
    }

    public let table: TableMetadata
    public let header: [String]
    /// Per CSV field: the slot it fills, or -1 when skipped.
    public let fieldSlot: [Int]
    public let slots: [Slot]
    public let derived: [Derived]
    /// Slots of the partition key columns, in key order.
    public let partitionKeySlots: [Int]
    public let clusteringSlots: [Int]
    /// Slots of the other columns, by column id (the order cells are stored in).
    public let regularSlots: [Int]

    public init(table: TableMetadata, header: [String], mapping: LoadMapping, file: String) throws(LoadPlanError) {
        self.table = table
        self.header = header
        let qualified = "\(table.keyspace).\(table.name)"
        var slots: [Slot] = []
        var slotOfColumn: [String: Int] = [:]
        func addSlot(_ name: String, origin: String) throws(LoadPlanError) -> Int {
            guard let c = table.column(named: name) else {
                let known = table.columns.map(\.name).sorted().joined(separator: ", ")
                throw LoadPlanError("\(origin) names column '\(name)', which \(qualified) does not have (columns: \(known))")
            }
            if slotOfColumn[name] != nil { throw LoadPlanError("column '\(name)' of \(qualified) is filled twice (\(origin))") }
            guard let kind = ValueKind(c.type) else {
                throw LoadPlanError("column '\(name)' of \(qualified) has type \(c.type.cqlName), which cannot be loaded from a CSV field")
            }
            let role: Role
            switch c.kind {
            case .partitionKey: role = .partitionKey(c.position)
            case .clustering: role = .clustering(c.position)
            case .regular, .staticColumn: role = .regular
            }
            slots.append(Slot(column: c, kind: kind, role: role))
            slotOfColumn[name] = slots.count - 1
            return slots.count - 1
        }
        for (from, _) in mapping.renames where !header.contains(from) {
            throw LoadPlanError("--map \(from)=...: \(file) has no CSV column '\(from)' (header: \(header.joined(separator: ",")))")
        }
        var fieldSlot: [Int] = []
        var seen = Set<String>()
        for name in header {
            if !seen.insert(name).inserted { throw LoadPlanError("\(file): CSV column '\(name)' appears twice in the header") }
            if mapping.skip.contains(name) { fieldSlot.append(-1); continue }
            let target = mapping.renames[name] ?? name
            let origin = mapping.renames[name] != nil ? "--map \(name)=\(target)" : "CSV column '\(name)' of \(file) (use --map or --skip)"
            fieldSlot.append(try addSlot(target, origin: origin))
        }
        var derived: [Derived] = []
        for d in mapping.derive {
            let slot = try addSlot(d.column, origin: "--derive \(d.column)")
            let type = slots[slot].column.type
            guard type == .int || type == .bigint else {
                throw LoadPlanError("--derive \(d.column): healpix gives an integer, but \(d.column) is \(type.cqlName) (need int or bigint)")
            }
            // The source is a CSV name, or the column a CSV field is mapped to.
            var field = header.firstIndex(of: d.source)
            if field == nil {
                field = header.indices.first { (mapping.renames[header[$0]] ?? header[$0]) == d.source }
            }
            guard let f = field else {
                throw LoadPlanError("--derive \(d.column): source '\(d.source)' is not a column of \(file) (header: \(header.joined(separator: ",")))")
            }
            guard case .healpix(let level) = d.function else { continue }
            derived.append(Derived(slot: slot, sourceField: f, shift: 35 + 2 * (12 - level), sourceName: d.source))
        }
        for c in table.partitionKeyColumns + table.clusteringColumns where slotOfColumn[c.name] == nil {
            throw LoadPlanError("primary key column '\(c.name)' of \(qualified) gets no value: \(file) has no such CSV column (use --map or --derive)")
        }
        self.fieldSlot = fieldSlot
        self.slots = slots
        self.derived = derived
        partitionKeySlots = table.partitionKeyColumns.map { slotOfColumn[$0.name]! }
        clusteringSlots = table.clusteringColumns.map { slotOfColumn[$0.name]! }
        regularSlots = slots.indices.filter { slots[$0].role == .regular }.sorted { slots[$0].column.id < slots[$1].column.id }
    }
}
