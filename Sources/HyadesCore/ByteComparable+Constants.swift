/// The marker bytes of the byte-comparable key encodings (spec: docs/formats/byte-comparable-keys.md).
/// Keys are stored on disk in these forms: these values never change.
extension ByteComparable {
    // text / ascii / blob: 0x00 is escaped as 00 FF; the value ends with 00 00.
    static let escapedZeroFollower: UInt8 = 0xFF
    static let stringTerminator: UInt8 = 0x00

    // list / set / map: each element (map: key and value) follows `elementMarker`; `sequenceEnd` ends.
    static let elementMarker: UInt8 = 0x01
    static let sequenceEnd: UInt8 = 0x00

    // tuple / UDT: per component `componentNull` or `componentValue` + value; `sequenceEnd` ends.
    static let componentNull: UInt8 = 0x01
    static let componentValue: UInt8 = 0x02

    // inet: after the first 4 bytes.
    static let inetIPv4: UInt8 = 0x00
    static let inetIPv6: UInt8 = 0x01

    // decimal sign bytes; varint headers are computed (see ByteComparable+Numeric).
    static let decimalNegative: UInt8 = 0x01
    static let decimalZero: UInt8 = 0x02
    static let decimalPositive: UInt8 = 0x03
    static let decimalPositiveTerminator: UInt8 = 0x00
    static let decimalNegativeTerminator: UInt8 = 0xFF
}
