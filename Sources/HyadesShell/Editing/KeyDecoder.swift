/// Turns the bytes a terminal sends in raw mode into `Key`s. Escape sequences and UTF-8
/// characters may be split across `read()` calls, so undecoded bytes stay pending until
/// the rest arrives.
///
/// Recognised: xterm/VT100 cursor keys (`ESC [ A` and `ESC O A` forms), Home/End in their
/// `ESC [ H`, `ESC O H`, `ESC [ 1 ~`, `ESC [ 7 ~` spellings, `ESC [ 3 ~` (Delete), and
/// control bytes. Modifier forms like `ESC [ 1 ; 5 C` decode to the plain key.
public struct KeyDecoder: Sendable {
    var pending: [UInt8] = []

    public init() {}

    /// True when bytes of an unfinished sequence are waiting. A lone ESC stays pending;
    /// `flush()` turns it into `.unknown` when no more bytes are coming.
    public var hasPending: Bool { !pending.isEmpty }

    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [Key] {
        pending.append(contentsOf: bytes)
        var keys: [Key] = []
        var i = 0
        while i < pending.count {
            guard let (key, used) = decodeOne(at: i) else { break }  // incomplete: wait
            if let key { keys.append(key) }
            i += used
        }
        pending.removeFirst(i)
        return keys
    }

    /// Gives up on an incomplete sequence (e.g. a bare ESC press).
    public mutating func flush() -> [Key] {
        defer { pending.removeAll() }
        return pending.isEmpty ? [] : [.unknown]
    }

    /// The key starting at `i` and how many bytes it used, or nil if more bytes are needed.
    /// A nil key with a count means "consumed, nothing to report".
    func decodeOne(at i: Int) -> (Key?, Int)? {
        let b = pending[i]
        switch b {
        case 0x0D, 0x0A: return (.enter, 1)
        case 0x09: return (.tab, 1)
        case 0x7F, 0x08: return (.backspace, 1)
        case 0x1B: return decodeEscape(at: i)
        case 0x01...0x1A:
            return (.control(Character(UnicodeScalar(b + 0x60))), 1)
        case 0x00, 0x1C...0x1F: return (.unknown, 1)
        case 0x20...0x7E: return (.character(Character(UnicodeScalar(b))), 1)
        default: return decodeUTF8(at: i)
        }
    }

    func decodeEscape(at i: Int) -> (Key?, Int)? {
        guard i + 1 < pending.count else { return nil }
        let kind = pending[i + 1]
        if kind == 0x4F {  // ESC O x (application cursor mode)
            guard i + 2 < pending.count else { return nil }
            switch pending[i + 2] {
            case 0x41: return (.up, 3)
            case 0x42: return (.down, 3)
            case 0x43: return (.right, 3)
            case 0x44: return (.left, 3)
            case 0x48: return (.home, 3)
            case 0x46: return (.end, 3)
            default: return (.unknown, 3)
            }
        }
        guard kind == 0x5B else { return (.unknown, 2) }  // alt-<key>: ignored
        // CSI: parameters (digits and ';') then one final byte in 0x40...0x7E.
        var j = i + 2
        var params: [UInt8] = []
        while j < pending.count {
            let c = pending[j]
            if (0x40...0x7E).contains(c) {
                let used = j - i + 1
                let first = params.split(separator: 0x3B).first.map { Int(String(decoding: $0, as: UTF8.self)) ?? 0 } ?? 0
                switch c {
                case 0x41: return (.up, used)
                case 0x42: return (.down, used)
                case 0x43: return (.right, used)
                case 0x44: return (.left, used)
                case 0x48: return (.home, used)
                case 0x46: return (.end, used)
                case 0x7E:
                    switch first {
                    case 1, 7: return (.home, used)
                    case 4, 8: return (.end, used)
                    case 3: return (.delete, used)
                    default: return (.unknown, used)
                    }
                default: return (.unknown, used)
                }
            }
            params.append(c)
            j += 1
            if params.count > 16 { return (.unknown, j - i) }  // garbage: drop it
        }
        return nil
    }

    func decodeUTF8(at i: Int) -> (Key?, Int)? {
        let b = pending[i]
        let length: Int
        switch b {
        case 0xC2...0xDF: length = 2
        case 0xE0...0xEF: length = 3
        case 0xF0...0xF4: length = 4
        default: return (.unknown, 1)  // stray continuation or invalid lead byte
        }
        guard i + length <= pending.count else { return nil }
        let s = String(decoding: pending[i..<(i + length)], as: UTF8.self)
        guard let c = s.first, s.count == 1, c != "\u{FFFD}" else { return (.unknown, length) }
        return (.character(c), length)
    }
}
