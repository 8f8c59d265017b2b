import NIOCore

/// The pages of one query, each fetched when the previous one has been consumed (so a
/// huge result never sits in memory at once). Ends after the page without a paging state.
public struct CQLPageSequence: AsyncSequence, Sendable {
    public typealias Element = ResultSet
    let options: CQLStatementOptions
    let fetch: @Sendable (CQLStatementOptions) async throws -> ResultSet

    init(options: CQLStatementOptions, fetch: @escaping @Sendable (CQLStatementOptions) async throws -> ResultSet) {
        self.options = options
        self.fetch = fetch
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var options: CQLStatementOptions
        let fetch: @Sendable (CQLStatementOptions) async throws -> ResultSet
        var done = false

        public mutating func next() async throws -> ResultSet? {
            guard !done else { return nil }
            let page = try await fetch(options)
            if let state = page.pagingState {
                options.pagingState = state
            } else {
                done = true
            }
            return page
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(options: options, fetch: fetch) }
}

/// The rows of all pages of one query, in order.
public struct CQLRowSequence: AsyncSequence, Sendable {
    public typealias Element = CQLRow
    let pages: CQLPageSequence

    public struct AsyncIterator: AsyncIteratorProtocol {
        var pages: CQLPageSequence.AsyncIterator
        var page: ResultSet?
        var index = 0

        public mutating func next() async throws -> CQLRow? {
            while true {
                if let page, index < page.count {
                    defer { index += 1 }
                    return page[index]
                }
                guard let next = try await pages.next() else { return nil }
                page = next
                index = 0
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(pages: pages.makeAsyncIterator()) }
}
