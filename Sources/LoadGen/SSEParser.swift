/// A strict Server-Sent Events parser over arbitrary byte chunks (WHATWG event-stream rules).
///
/// Pure value: feed it whatever the socket delivered, get back the events completed by those
/// bytes. Events may span any number of chunks; a line ending may be `\n`, `\r\n` or `\r`, even
/// when the `\r` and `\n` arrive in different chunks. `:` lines are comments, `data:` lines of
/// one event are joined with `\n`, a blank line dispatches the event, a leading UTF-8 BOM is
/// dropped, unknown fields are ignored (and counted).
public struct SSEParser: Sendable {
    /// One dispatched event.
    public struct Event: Sendable, Equatable {
        /// The `event:` field, if any.
        public var type: String?
        /// The joined `data:` lines.
        public var data: [UInt8]
        /// The `id:` field, if any.
        public var id: String?

        public init(type: String? = nil, data: [UInt8], id: String? = nil) {
            self.type = type
            self.data = data
            self.id = id
        }

        /// The data as text.
        public var text: String { String(decoding: data, as: UTF8.self) }
        /// Whether this is the OpenAI end marker `[DONE]`.
        public var isDone: Bool { data.count == 6 && data.elementsEqual("[DONE]".utf8) }
    }

    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    private var type: String?
    private var id: String?
    private var skipLineFeed = false
    private var atStart = true
    /// Comment lines seen (`:` keep-alives).
    public private(set) var comments = 0
    /// Lines with an unknown field name.
    public private(set) var unknownFields = 0
    /// Total bytes fed.
    public private(set) var bytesFed = 0

    public init() {}

    /// Whether bytes of an unfinished event are buffered (a stream ending now was cut short).
    public var hasPartialEvent: Bool { !line.isEmpty || hasData || type != nil }

    /// Feeds bytes, returning the events they complete, in order.
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [Event] where Bytes.Element == UInt8 {
        var events: [Event] = []
        for byte in bytes {
            bytesFed += 1
            if skipLineFeed {
                skipLineFeed = false
                if byte == 0x0A { continue }
            }
            switch byte {
            case 0x0A:
                endLine(into: &events)
            case 0x0D:
                endLine(into: &events)
                skipLineFeed = true
            default:
                line.append(byte)
            }
        }
        return events
    }

    private mutating func endLine(into events: inout [Event]) {
        if atStart {
            atStart = false
            if line.starts(with: [0xEF, 0xBB, 0xBF]) { line.removeFirst(3) }
        }
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            if hasData {
                events.append(Event(type: type, data: data, id: id))
            }
            data.removeAll(keepingCapacity: true)
            hasData = false
            type = nil
            return
        }
        if line[0] == 0x3A {
            comments += 1
            return
        }
        let colon = line.firstIndex(of: 0x3A) ?? line.endIndex
        var valueStart = colon < line.endIndex ? colon + 1 : colon
        if valueStart < line.endIndex, line[valueStart] == 0x20 { valueStart += 1 }
        let field = line[..<colon]
        let value = line[valueStart...]
        if field.elementsEqual("data".utf8) {
            if hasData { data.append(0x0A) }
            data.append(contentsOf: value)
            hasData = true
        } else if field.elementsEqual("event".utf8) {
            type = String(decoding: value, as: UTF8.self)
        } else if field.elementsEqual("id".utf8) {
            id = String(decoding: value, as: UTF8.self)
        } else if field.elementsEqual("retry".utf8) {
            // Reconnection delay: irrelevant to a one-shot completion stream.
        } else {
            unknownFields += 1
        }
    }
}
