/// The simulation's only scheduler: events ordered by (sim time, sequence number), so two
/// events at the same millisecond run in the order they were scheduled. A binary heap.
struct EventQueue {
    struct Event {
        var time: Int64
        var seq: UInt64
        var run: () -> Void
    }
    private var heap: [Event] = []
    private var nextSeq: UInt64 = 0

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }
    var nextTime: Int64? { heap.first?.time }

    private static func before(_ a: Event, _ b: Event) -> Bool { (a.time, a.seq) < (b.time, b.seq) }

    mutating func schedule(at time: Int64, _ run: @escaping () -> Void) {
        heap.append(Event(time: time, seq: nextSeq, run: run))
        nextSeq += 1
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard Self.before(heap[i], heap[parent]) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Event? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count && Self.before(heap[l], heap[m]) { m = l }
            if r < heap.count && Self.before(heap[r], heap[m]) { m = r }
            if m == i { break }
            heap.swapAt(i, m)
            i = m
        }
        return top
    }
}
