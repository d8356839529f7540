import Foundation

/// This process's open descriptors whose file's path starts with `prefix` (a deleted file's path
/// ends in " (deleted)"), as their numbers; empty where `/proc/self/fd` cannot be read.
public func openDescriptors(onPathsStartingWith prefix: String) -> [String] {
    let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    // Eager on purpose: a lazy filter runs its closure twice, and a descriptor another test
    // closes in between would make the second run see a different answer.
    return descriptors.filter {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)"))?.hasPrefix(prefix) == true
    }
}
