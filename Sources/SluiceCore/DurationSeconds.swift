extension Duration {
    /// The duration in seconds, as Foundation's dates count.
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
