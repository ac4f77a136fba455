/// A test's prerequisite (a program, a Python module, a built product) is missing: the test
/// fails saying what to install — it never skips, so a machine without it cannot pass quietly.
public struct MissingPrerequisite: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
