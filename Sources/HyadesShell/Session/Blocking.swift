import Dispatch
import Synchronization

/// Runs async client work to completion from the shell's synchronous main loop. The
/// shell reads the terminal with blocking reads on the main thread, so it waits here
/// instead of occupying one of the (two, on the CI machine) cooperative pool threads.
func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = Mutex<Result<T, any Error>?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task {
        let r: Result<T, any Error>
        do { r = .success(try await body()) } catch { r = .failure(error) }
        box.withLock { $0 = r }
        done.signal()
    }
    done.wait()
    return try box.withLock { $0! }.get()
}
