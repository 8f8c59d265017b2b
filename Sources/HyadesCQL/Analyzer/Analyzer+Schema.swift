import HyadesCore

/// DDL: keyspaces, tables, user types.
extension AnalysisContext {
    static let systemKeyspaces: Set<String> = [
        "system", "system_schema", "system_auth", "system_distributed", "system_traces",
        "system_virtual_schema", "system_views",
    ]

    func checkUserModifiable(_ keyspace: String) throws(CQLAnalysisError) {
        if Self.systemKeyspaces.contains(keyspace) {
            throw CQLAnalysisError(.unauthorized, "\(keyspace) keyspace is not user-modifiable")
        }
    }

    static func validName(_ name: String, maxLength: Int) -> Bool {
        !name.isEmpty && name.utf8.count <= maxLength
            && name.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F }
    }

    // MARK: Keyspaces

    mutating func createKeyspace(_ s: CreateKeyspaceStatement) throws(CQLAnalysisError) -> StatementPlan {
        guard Self.validName(s.name, maxLength: 48) else {
            throw .invalid("Keyspace name must not be empty, more than 48 characters long, or contain non-alphanumeric-underscore characters (got \"\(s.name)\")")
        }
        try checkUserModifiable(s.name)
        var ks = KeyspaceMetadata(name: s.name, replication: .simple(replicationFactor: 1))
        try applyKeyspaceProperties(s.properties, to: &ks, requireReplication: false)
        if schema.keyspace(named: s.name) != nil {
            if s.ifNotExists { return .noOp }
            throw .alreadyExists(keyspace: s.name, "Keyspace \(s.name) already exists")
        }
        return .schemaChange(.createKeyspace(ks, ifNotExists: s.ifNotExists))
    }

    mutating func alterKeyspace(_ s: AlterKeyspaceStatement) throws(CQLAnalysisError) -> StatementPlan {
        try checkUserModifiable(s.name)
        guard var ks = schema.keyspace(named: s.name) else {
            if s.ifExists { return .noOp }
            throw .invalid("Keyspace '\(s.name)' does not exist")
        }
        try applyKeyspaceProperties(s.properties, to: &ks, requireReplication: false)
        return .schemaChange(.alterKeyspace(ks))
    }

    func applyKeyspaceProperties(_ properties: [Property], to ks: inout KeyspaceMetadata,
                                 requireReplication: Bool) throws(CQLAnalysisError) {
        var seen = Set<String>()
        for p in properties {
            guard seen.insert(p.name).inserted else { throw CQLAnalysisError(.syntaxError, "Multiple definitions for property '\(p.name)'") }
            switch p.name {
            case "replication":
                guard case .map(let entries) = p.value else {
                    throw CQLAnalysisError(.syntaxError, "Invalid value for property 'replication'. It should be a map.")
                }
                ks.replication = try replication(entries, keyspace: ks.name)
            case "durable_writes":
                switch p.value.text?.lowercased() {
                case "true": ks.durableWrites = true
                case "false": ks.durableWrites = false
                default: throw CQLAnalysisError(.syntaxError, "Invalid boolean value for property 'durable_writes'")
                }
            default:
                throw CQLAnalysisError(.syntaxError, "Unknown property '\(p.name)'")
            }
        }
    }

    func replication(_ entries: [PropertyMapEntry], keyspace: String) throws(CQLAnalysisError) -> ReplicationParams {
        var options: [String: String] = [:]
        var cls: String?
        for e in entries {
            if e.key.text == "class" { cls = e.value.text } else { options[e.key.text] = e.value.text }
        }
        guard let cls else { throw CQLAnalysisError(.configError, "Missing replication strategy class") }
        let className = ReplicationParams.canonicalClassName(cls)
        func factor(_ key: String, _ v: String) throws(CQLAnalysisError) {
            guard let n = Int(v) else { throw CQLAnalysisError(.configError, "Replication factor must be numeric; found \(v)") }
            guard n >= 0 else { throw CQLAnalysisError(.configError, "Replication factor must be non-negative; found \(v)") }
        }
        switch className {
        case ReplicationParams.simpleStrategy:
            guard let rf = options["replication_factor"] else {
                throw CQLAnalysisError(.configError, "SimpleStrategy requires a replication_factor strategy option.")
            }
            try factor("replication_factor", rf)
            for k in options.keys where k != "replication_factor" {
                throw CQLAnalysisError(.configError, "Unrecognized strategy option {\(k)} passed to SimpleStrategy for keyspace \(keyspace)")
            }
        case ReplicationParams.networkTopologyStrategy:
            for (k, v) in options.sorted(by: { $0.key < $1.key }) { try factor(k, v) }
        default:
            throw CQLAnalysisError(.configError, "Unable to find replication strategy class '\(className)'")
        }
        return ReplicationParams(className: className, options: options)
    }

    // MARK: Tables

    mutating func createTable(_ s: CreateTableStatement) throws(CQLAnalysisError) -> StatementPlan {
        let ksName = try keyspaceName(s.name.keyspace)
        try checkUserModifiable(ksName)
        guard let ks = schema.keyspace(named: ksName) else { throw .invalid("Keyspace '\(ksName)' does not exist") }
        guard Self.validName(s.name.name, maxLength: 222) else {
            throw .invalid("Table name must not be empty, more than 222 characters long, or contain non-alphanumeric-underscore characters (got \"\(s.name.name)\")")
        }
        if ks.tables[s.name.name] != nil {
            if s.ifNotExists { return .noOp }
            throw .alreadyExists(keyspace: ksName, table: s.name.name,
                                 "Cannot add already existing table \"\(s.name.name)\" to keyspace \"\(ksName)\"")
        }
        guard s.columns.count < Int(ColumnID.max) else { throw .invalid("Too many columns in table \(s.name.name)") }
        var defs: [(ColumnDefinition, CQLType)] = []
        var names = Set<String>()
        for c in s.columns {
            guard names.insert(c.name).inserted else {
                throw .invalid("Duplicate column '\(c.name)' declaration for table \(ksName).\(s.name.name)")
            }
            let t = try resolveType(c.type, keyspace: ksName)
            try checkColumnType(t, name: c.name)
            defs.append((c, t))
        }
        guard !s.partitionKey.isEmpty else {
            throw .invalid("No PRIMARY KEY specifed for table '\(s.name.name)' (exactly one required)")
        }
        func def(_ n: String) throws(CQLAnalysisError) -> (ColumnDefinition, CQLType) {
            guard let d = defs.first(where: { $0.0.name == n }) else {
                throw .invalid("Unknown definition \(n) referenced in PRIMARY KEY")
            }
            return d
        }
        var keyNames = Set<String>()
        for n in s.partitionKey + s.clusteringColumns {
            guard keyNames.insert(n).inserted else { throw .invalid("Duplicate definition for PRIMARY KEY column \(n)") }
            let (d, t) = try def(n)
            if d.isStatic { throw .invalid("Static column \(n) cannot be part of the PRIMARY KEY") }
            try checkKeyType(t, name: n)
        }
        // CLUSTERING ORDER BY: clustering columns only, in clustering order (a prefix).
        var orders: [String: Bool] = [:]
        for (i, o) in s.options.clusteringOrder.enumerated() {
            guard s.clusteringColumns.contains(o.column) else {
                if names.contains(o.column) {
                    throw .invalid("Only clustering key columns can be defined in CLUSTERING ORDER directive")
                }
                throw .invalid("Unknown definition \(o.column) referenced in CLUSTERING ORDER directive")
            }
            guard orders[o.column] == nil else { throw .invalid("Duplicate column \(o.column) in CLUSTERING ORDER directive") }
            guard i < s.clusteringColumns.count, s.clusteringColumns[i] == o.column else {
                let expected = i < s.clusteringColumns.count ? s.clusteringColumns[i] : o.column
                throw .invalid("The order of columns in the CLUSTERING ORDER directive must match that of the clustering columns (\(expected) must appear before \(o.column))")
            }
            orders[o.column] = o.descending
        }
        let statics = defs.filter { $0.0.isStatic }
        if !statics.isEmpty && s.clusteringColumns.isEmpty {
            throw .invalid("Static columns are only useful (and thus allowed) if the table has at least one clustering column")
        }
        var params = TableParams()
        try applyTableProperties(s.options.properties, to: &params)
        // Cassandra's rule: a counter table holds only counters besides its primary key
        // (a counter is merged by addition, other cells by timestamp; one row cannot mix).
        let valueTypes = defs.filter { !keyNames.contains($0.0.name) }.map(\.1)
        if valueTypes.contains(.counter) {
            if valueTypes.contains(where: { $0 != .counter }) {
                throw .invalid("Cannot mix counter and non counter columns in the same table")
            }
            if params.defaultTimeToLive > 0 {
                throw .invalid("Cannot set default_time_to_live on a table with counters")
            }
        }

        var columns: [ColumnMetadata] = []
        var next: ColumnID = 0
        for (i, n) in s.partitionKey.enumerated() {
            columns.append(ColumnMetadata(name: n, type: try def(n).1, kind: .partitionKey, position: i, id: next)); next += 1
        }
        for (i, n) in s.clusteringColumns.enumerated() {
            columns.append(ColumnMetadata(name: n, type: try def(n).1, kind: .clustering, position: i,
                                          clusteringOrder: orders[n] == true ? .desc : .asc, id: next)); next += 1
        }
        for (d, t) in defs where !keyNames.contains(d.name) {
            columns.append(ColumnMetadata(name: d.name, type: t, kind: d.isStatic ? .staticColumn : .regular, id: next)); next += 1
        }
        let table = TableMetadata(keyspace: ksName, name: s.name.name, id: analyzer.tableIDGenerator(),
                                  columns: columns, params: params)
        return .schemaChange(.createTable(table, ifNotExists: s.ifNotExists))
    }

    func checkKeyType(_ t: CQLType, name: String) throws(CQLAnalysisError) {
        switch t.unfrozen {
        case .counter: throw .invalid("counter type is not supported for PRIMARY KEY column '\(name)'")
        case .duration: throw .invalid("duration type is not supported for PRIMARY KEY column '\(name)'")
        default: break
        }
        guard t.isKeyCapable else {
            if !t.isFrozen, t.isCollection || { if case .udt = t { return true }; return false }() {
                throw .invalid("Invalid non-frozen collection type \(t.cqlName) for PRIMARY KEY component \(name)")
            }
            throw .invalid("Invalid type \(t.cqlName) for PRIMARY KEY component \(name)")
        }
    }

    /// Column types Cassandra refuses anywhere: non-frozen collections or UDTs nested in a
    /// non-frozen collection; counters inside collections.
    func checkColumnType(_ t: CQLType, name: String) throws(CQLAnalysisError) {
        func nonFrozenMultiCell(_ x: CQLType) -> Bool {
            switch x {
            case .list, .set, .map, .udt: return true
            default: return false
            }
        }
        func check(_ inner: CQLType) throws(CQLAnalysisError) {
            guard nonFrozenMultiCell(inner) else { return }
            if case .udt = inner { throw .invalid("Non-frozen UDTs are not allowed inside collections: \(t.cqlName)") }
            throw .invalid("Non-frozen collections are not allowed inside collections: \(t.cqlName)")
        }
        switch t {
        case .list(let e), .set(let e):
            if e == .counter { throw .invalid("Counters are not allowed inside collections: \(t.cqlName)") }
            try check(e)
        case .map(let k, let v):
            if k == .counter || v == .counter { throw .invalid("Counters are not allowed inside collections: \(t.cqlName)") }
            try check(k); try check(v)
        default: break
        }
    }

    func applyTableProperties(_ properties: [Property], to params: inout TableParams) throws(CQLAnalysisError) {
        var seen = Set<String>()
        for p in properties {
            guard seen.insert(p.name).inserted else { throw CQLAnalysisError(.syntaxError, "Multiple definitions for property '\(p.name)'") }
            guard TableParams.optionNames.contains(p.name) else {
                throw CQLAnalysisError(.syntaxError, "Unknown property '\(p.name)'")
            }
            let v: TableParams.OptionValue
            switch p.value {
            case .map(let entries):
                var m: [String: String] = [:]
                for e in entries { m[e.key.text] = e.value.text }
                v = .map(m)
            case .constant(let c): v = .text(c.text)
            case .identifier(let s): v = .text(s)
            }
            do { try params.set(p.name, v) } catch { throw CQLAnalysisError(.configError, error.message) }
        }
    }

    mutating func alterTable(_ s: AlterTableStatement) throws(CQLAnalysisError) -> StatementPlan {
        let ksName = try keyspaceName(s.name.keyspace)
        try checkUserModifiable(ksName)
        guard schema.keyspace(named: ksName) != nil else { throw .invalid("Keyspace '\(ksName)' does not exist") }
        guard var t = schema.table(keyspace: ksName, name: s.name.name) else {
            if s.ifExists { return .noOp }
            throw .invalid("Table '\(ksName).\(s.name.name)' doesn't exist")
        }
        switch s.action {
        case .addColumns(let defs, let ifNotExists):
            var changed = false
            for d in defs {
                if t.column(named: d.name) != nil {
                    if ifNotExists { continue }
                    throw .invalid("Column with name '\(d.name)' already exists")
                }
                let type = try resolveType(d.type, keyspace: ksName)
                try checkColumnType(type, name: d.name)
                let counterTable = t.isCounter
                if type == .counter && !counterTable {
                    throw .invalid("Cannot add a counter column (\(d.name)) in a non counter table")
                }
                if type != .counter && counterTable {
                    throw .invalid("Cannot add a non counter column (\(d.name)) in a counter table")
                }
                if d.isStatic && t.clusteringColumns.isEmpty {
                    throw .invalid("Static columns are only useful (and thus allowed) if the table has at least one clustering column")
                }
                if let dropped = t.droppedColumns.first(where: { $0.name == d.name }), dropped.type.unfrozen != type.unfrozen {
                    throw .invalid("Cannot re-add previously dropped column '\(d.name)' of type \(type.cqlName), incompatible with previous type \(dropped.type.cqlName)")
                }
                guard t.nextColumnID < ColumnID.max else { throw .invalid("Too many columns in table \(t.name)") }
                t.addColumn(name: d.name, type: type, kind: d.isStatic ? .staticColumn : .regular)
                changed = true
            }
            if !changed { return .noOp }
        case .dropColumns(let names, let ifExists, let timestamp):
            var droppedAt = analyzer.clock()
            if let timestamp {
                guard case .constant(let c) = timestamp.kind, c.kind == .integer, let v = Int64(c.text) else {
                    throw .invalid("Invalid USING TIMESTAMP for ALTER TABLE DROP: expected an integer constant")
                }
                droppedAt = v
            }
            var changed = false
            for n in names {
                guard let c = t.column(named: n) else {
                    if ifExists { continue }
                    throw .invalid("Column \(n) was not found in table \(t.name)")
                }
                if c.kind.isPrimaryKey { throw .invalid("Cannot drop PRIMARY KEY column \(n)") }
                t.dropColumn(named: n, at: droppedAt)
                changed = true
            }
            if !changed { return .noOp }
        case .renameColumns(let renames, let ifExists):
            var changed = false
            for r in renames {
                guard let c = t.column(named: r.from) else {
                    if ifExists { continue }
                    throw .invalid("Column \(r.from) was not found in table \(t.name)")
                }
                guard c.kind.isPrimaryKey else {
                    throw .invalid("Cannot rename non PRIMARY KEY column \(r.from)")
                }
                guard t.column(named: r.to) == nil else {
                    throw .invalid("Cannot rename column \(r.from) to \(r.to) in table '\(t.name)'; another column of that name already exist")
                }
                t.renameColumn(r.from, to: r.to)
                changed = true
            }
            if !changed { return .noOp }
        case .alterColumnType:
            throw .invalid("Altering column types is no longer supported")
        case .withOptions(let props):
            if !props.clusteringOrder.isEmpty {
                throw .invalid("Cannot change the clustering order of an existing table")
            }
            try applyTableProperties(props.properties, to: &t.params)
            if t.isCounter && t.params.defaultTimeToLive > 0 {
                throw .invalid("Cannot set default_time_to_live on a table with counters")
            }
        }
        return .schemaChange(.alterTable(t))
    }

    // MARK: Types

    mutating func createType(_ s: CreateTypeStatement) throws(CQLAnalysisError) -> StatementPlan {
        let ksName = try keyspaceName(s.name.keyspace)
        try checkUserModifiable(ksName)
        guard let ks = schema.keyspace(named: ksName) else { throw .invalid("Keyspace '\(ksName)' does not exist") }
        if ks.userTypes[s.name.name] != nil {
            if s.ifNotExists { return .noOp }
            throw .alreadyExists(keyspace: ksName, table: s.name.name, "A user type with name '\(s.name.name)' already exists")
        }
        var fields: [CQLField] = []
        var names = Set<String>()
        for f in s.fields {
            guard names.insert(f.name).inserted else { throw .invalid("Duplicate field name \(f.name) in type \(s.name.name)") }
            let t = try resolveType(f.type, keyspace: ksName)
            if t == .counter { throw .invalid("A user type cannot contain counters") }
            if case .udt = t { throw .invalid("A user type cannot contain non-frozen UDTs") }
            fields.append(CQLField(f.name, t))
        }
        return .schemaChange(.createType(UserTypeMetadata(keyspace: ksName, name: s.name.name, fields: fields),
                                         ifNotExists: s.ifNotExists))
    }

    // MARK: DROP

    mutating func drop(_ s: DropStatement) throws(CQLAnalysisError) -> StatementPlan {
        switch s.kind {
        case .keyspace:
            try checkUserModifiable(s.name.name)
            guard schema.keyspace(named: s.name.name) != nil else {
                if s.ifExists { return .noOp }
                throw .invalid("Cannot drop non existing keyspace '\(s.name.name)'.")
            }
            return .schemaChange(.dropKeyspace(s.name.name, ifExists: s.ifExists))
        case .table:
            let ksName = try keyspaceName(s.name.keyspace)
            try checkUserModifiable(ksName)
            guard schema.keyspace(named: ksName) != nil else {
                if s.ifExists { return .noOp }
                throw .invalid("Keyspace '\(ksName)' does not exist")
            }
            guard let t = schema.table(keyspace: ksName, name: s.name.name) else {
                if s.ifExists { return .noOp }
                throw .invalid("Cannot drop non existing table '\(s.name.name)' in keyspace '\(ksName)'.")
            }
            return .schemaChange(.dropTable(keyspace: ksName, name: t.name, id: t.id, ifExists: s.ifExists))
        case .type:
            let ksName = try keyspaceName(s.name.keyspace)
            try checkUserModifiable(ksName)
            guard let ks = schema.keyspace(named: ksName), ks.userTypes[s.name.name] != nil else {
                if s.ifExists { return .noOp }
                throw .invalid("Cannot drop non existing type '\(s.name.name)' in keyspace '\(ksName)'.")
            }
            for t in ks.tables.values.sorted(by: { $0.name < $1.name }) {
                if t.columns.contains(where: { Self.mentions($0.type, ksName, s.name.name) }) {
                    throw .invalid("Cannot drop user type \(ksName).\(s.name.name) as it is still used by table \(ksName).\(t.name)")
                }
            }
            for u in ks.userTypes.values.sorted(by: { $0.name < $1.name }) where u.name != s.name.name {
                if u.fields.contains(where: { Self.mentions($0.type, ksName, s.name.name) }) {
                    throw .invalid("Cannot drop user type \(ksName).\(s.name.name) as it is still used by user type \(u.name)")
                }
            }
            return .schemaChange(.dropType(keyspace: ksName, name: s.name.name, ifExists: s.ifExists))
        case .index:
            if s.ifExists { return .noOp }
            throw .invalid("Index '\(s.name.name)' could not be found in any of the tables of keyspace '\(s.name.keyspace ?? analyzer.keyspace ?? "")'")
        }
    }

    static func mentions(_ t: CQLType, _ ks: String, _ name: String) -> Bool {
        switch t {
        case .udt(let k, let n, let fields): return (k == ks && n == name) || fields.contains { mentions($0.type, ks, name) }
        case .list(let e), .set(let e), .frozen(let e): return mentions(e, ks, name)
        case .map(let k, let v): return mentions(k, ks, name) || mentions(v, ks, name)
        case .tuple(let es): return es.contains { mentions($0, ks, name) }
        default: return false
        }
    }
}
