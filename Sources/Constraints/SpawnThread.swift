import Foundation
import Synchronization

/// The one thread that forks InferLab's children, which lives as long as the process.
///
/// A child's parent-death signal (`PR_SET_PDEATHSIG`) fires when the *thread* that forked it
/// exits, not when the process does. Swift's cooperative pool and Dispatch retire idle threads,
/// so a child forked from a task could be killed seconds later for no reason; forked from here,
/// it is killed exactly when this process dies (`kill -9`, the OOM killer, a crash).
final class SpawnThread: Sendable {
    /// The process's spawn thread, started at first use.
    static let shared = SpawnThread()

    private let jobs = Mutex<[@Sendable () -> Void]>([])
    private let wake = DispatchSemaphore(value: 0)

    private init() {
        let thread = Thread { [self] in loop() }
        thread.name = "inferlab-spawn"
        thread.start()
    }

    private func loop() -> Never {
        while true {
            wake.wait()
            let batch = jobs.withLock { queued in
                defer { queued.removeAll() }
                return queued
            }
            for job in batch { job() }
        }
    }

    /// Runs `body` on the spawn thread and returns its result (the caller blocks meanwhile: a
    /// fork of this process takes about a millisecond).
    func perform<Result: Sendable>(_ body: @escaping @Sendable () -> Result) -> Result {
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<Result?>(nil)
        jobs.withLock {
            $0.append {
                let value = body()
                result.withLock { $0 = value }
                done.signal()
            }
        }
        wake.signal()
        done.wait()
        return result.withLock { $0! }
    }
}
