public import Foundation

extension Process {
    /// Starts the process and returns a waiter that blocks (without spinning) until it exits.
    ///
    /// Foundation's `waitUntilExit()` on Linux spins the current run loop; called from a Swift
    /// concurrency thread it burns a core and, on a 2-core machine, can starve the cooperative
    /// pool. The termination handler signals a semaphore instead.
    public func start() throws -> ProcessWaiter {
        let waiter = ProcessWaiter()
        terminationHandler = { _ in waiter.exited.signal() }
        try run()
        return waiter
    }

    /// Starts the process and blocks until it exits (see `start()`).
    public func runToCompletion() throws {
        try start().wait()
    }

    /// For a process started with `run()`: polls until it exits or `timeout` seconds pass;
    /// returns whether it exited.
    @discardableResult
    public func waitForExit(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning && Date() < deadline { usleep(10_000) }
        return !isRunning
    }
}

/// Waits for a process started with `Process.start()`.
public final class ProcessWaiter: Sendable {
    fileprivate let exited = DispatchSemaphore(value: 0)

    /// Blocks until the process has exited; safe to call more than once.
    public func wait() {
        exited.wait()
        exited.signal()
    }
}
