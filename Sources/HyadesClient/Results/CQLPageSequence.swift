import NIOCore

/// The pages of one query. Each page's successor is requested as soon as the page
/// arrives, so the node fetches page n+1 while the caller works through page n; at most
/// two pages are held at once. Ends after the page without a paging state.
public struct CQLPageSequence: AsyncSequence, Sendable {
    public typealias Element = ResultSet
    let options: CQLStatementOptions
    let fetch: @Sendable (CQLStatementOptions) -> EventLoopFuture<ResultSet>

    init(options: CQLStatementOptions, fetch: @escaping @Sendable (CQLStatementOptions) -> EventLoopFuture<ResultSet>) {
        self.options = options
        self.fetch = fetch
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var options: CQLStatementOptions
        let fetch: @Sendable (CQLStatementOptions) -> EventLoopFuture<ResultSet>
        var next: EventLoopFuture<ResultSet>?
        var started = false

        public mutating func next() async throws -> ResultSet? {
            if !started {
                started = true
                next = fetch(options)
            }
            guard let pending = next else { return nil }
            next = nil
            let page = try await pending.get()
            if let state = page.pagingState {
                options.pagingState = state
                next = fetch(options)
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
