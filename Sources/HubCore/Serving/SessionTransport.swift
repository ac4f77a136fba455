/// What the serving stage needs from a connection's socket. The lws glue implements it; tests
/// use a recording fake.
///
/// Threading: called on the loop thread only.
public protocol SessionTransport: AnyObject {
    /// Ask for a writable callback; the hub fills a frame in it (`Hub.fillFrame`).
    func requestWritable()
    /// The session is closing (`Session.closeReason` is set): ask for writable callbacks (the
    /// hub flushes queued replies, then answers `.close`), and drop the socket if the client
    /// does not take the close frame soon.
    func requestClose(_ reason: CloseReason)
}
