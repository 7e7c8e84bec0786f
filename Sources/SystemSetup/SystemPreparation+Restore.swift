import Foundation

extension SystemPreparation {
    /// Puts back every setting saved in the state file, removes the swap file prepare created, then deletes the
    /// state file. Without a state file it does nothing (so running it twice is harmless). Settings that cannot be
    /// put back stay in the state file and are reported `failed`.
    public func restore() throws -> RestoreReport {
        guard var state = try pendingState() else {
            return RestoreReport(stateFile: stateFile.path, found: false, profile: nil, settings: [], complete: true)
        }
        let files = SystemFiles(root: state.root)
        var outcomes: [RestoreOutcome] = []
        if let swap = state.swapFile {
            do {
                let done = try SwapFile.remove(path: swap.path, files: files)
                outcomes.append(
                    RestoreOutcome(
                        setting: "swap_file", source: swap.path, value: "none",
                        status: done.isEmpty ? .already : .removed,
                        reason: done.isEmpty ? nil : done.joined(separator: ", ")))
                state.swapFile = nil
            } catch {
                outcomes.append(
                    RestoreOutcome(
                        setting: "swap_file", source: swap.path, value: "none", status: .failed, reason: "\(error)"))
            }
        }
        var remaining: [SystemState.SavedSetting] = []
        for saved in state.settings.reversed() {
            var outcome = RestoreOutcome(
                setting: saved.setting, source: saved.path, value: saved.previous, status: .restored, reason: nil)
            let current = files.read(saved.path).flatMap(saved.format.current)
            if current == saved.previous {
                outcome.status = .already
            } else if let failure = files.write(saved.previous, to: saved.path) {
                outcome.status = .failed
                outcome.reason = failure
                remaining.insert(saved, at: 0)
            }
            outcomes.append(outcome)
        }
        if let limit = state.memlock {
            outcomes.append(
                RestoreOutcome(
                    setting: "memlock", source: "prlimit(RLIMIT_MEMLOCK) at engine launch", value: nil,
                    status: .removed, reason: "recorded limit \(limit) dropped; engines keep the caller's limit"))
            state.memlock = nil
        }
        state.settings = remaining
        let complete = remaining.isEmpty && state.swapFile == nil
        if complete {
            do {
                try FileManager.default.removeItem(at: stateFile)
            } catch {
                throw SystemSetupError(
                    .stateWriteFailed, "restored everything but cannot delete \(stateFile.path): \(error); delete it",
                    cause: error)
            }
        } else {
            try state.save(to: stateFile)
        }
        return RestoreReport(
            stateFile: stateFile.path, found: true, profile: state.profile, settings: outcomes, complete: complete)
    }
}
