/// One kernel-file change a profile asks for, with the value found now. Planning reads; it never writes.
struct SettingStep: Sendable, Equatable {
    var setting: String
    var path: String
    var format: SettingFormat
    var current: String?
    var target: String
    /// Why it cannot be applied, or nil.
    var unavailable: String?

    /// Whether the file already holds the target.
    var isAlready: Bool { unavailable == nil && current == target }

    /// The file-backed steps of `profile` on the machine whose `/` is `files.root`, in the order they apply.
    static func plan(_ profile: SystemProfile, files: SystemFiles) -> [SettingStep] {
        var steps: [SettingStep] = []
        if let governor = profile.governor { steps += governorSteps(governor, files: files) }
        if let boost = profile.boost { steps.append(boostStep(boost, files: files)) }
        if let swappiness = profile.swappiness {
            steps.append(fileStep("swappiness", SystemShow.Path.swappiness, .plain, target: "\(swappiness)", files))
        }
        if let mode = profile.transparentHugepages {
            var step = fileStep("transparent_hugepages", SystemShow.Path.thpEnabled, .choice, target: mode, files)
            if step.unavailable == nil, let text = files.read(step.path),
                !SystemText.bracketed(text).options.contains(mode)
            {
                step.unavailable =
                    "not available: this kernel offers \(text.trimmingCharacters(in: .whitespacesAndNewlines))"
            }
            steps.append(step)
        }
        return steps
    }

    /// A step for one file; unavailable when the file does not exist.
    static func fileStep(
        _ setting: String, _ path: String, _ format: SettingFormat, target: String, _ files: SystemFiles
    ) -> SettingStep {
        guard let text = files.read(path) else {
            return SettingStep(
                setting: setting, path: path, format: format, current: nil, target: target,
                unavailable: "not exposed: \(path) does not exist on this kernel or hypervisor")
        }
        return SettingStep(
            setting: setting, path: path, format: format, current: format.current(text), target: target,
            unavailable: nil)
    }

    /// One step per CPU that has cpufreq, or one unavailable step when none has.
    static func governorSteps(_ governor: String, files: SystemFiles) -> [SettingStep] {
        let cpus = SystemShow.cpuNumbers(files).filter {
            files.exists("\(SystemShow.Path.cpufreq($0))/scaling_governor")
        }
        guard !cpus.isEmpty else {
            return [
                SettingStep(
                    setting: "governor", path: "\(SystemShow.Path.cpuDirectory)/cpu*/cpufreq/scaling_governor",
                    format: .plain, current: nil, target: governor,
                    unavailable: "not exposed: no cpufreq on this kernel or hypervisor (usual in a VM)")
            ]
        }
        return cpus.map { cpu in
            let directory = SystemShow.Path.cpufreq(cpu)
            var step = fileStep("governor cpu\(cpu)", "\(directory)/scaling_governor", .plain, target: governor, files)
            if let offered = files.readTrimmed("\(directory)/scaling_available_governors")?.split(separator: " "),
                !offered.contains(Substring(governor))
            {
                step.unavailable = "not available: cpu\(cpu) offers governors \(offered.joined(separator: " "))"
            }
            return step
        }
    }

    /// Turbo through `intel_pstate/no_turbo` (1 = off) or the generic `cpufreq/boost` (0 = off).
    static func boostStep(_ on: Bool, files: SystemFiles) -> SettingStep {
        if files.exists(SystemShow.Path.intelNoTurbo) {
            return fileStep("boost", SystemShow.Path.intelNoTurbo, .plain, target: on ? "0" : "1", files)
        }
        if files.exists(SystemShow.Path.cpufreqBoost) {
            return fileStep("boost", SystemShow.Path.cpufreqBoost, .plain, target: on ? "1" : "0", files)
        }
        return SettingStep(
            setting: "boost", path: "\(SystemShow.Path.intelNoTurbo), \(SystemShow.Path.cpufreqBoost)",
            format: .plain, current: nil, target: on ? "on" : "off",
            unavailable: "not exposed: no turbo/boost control on this kernel or hypervisor")
    }
}
