import HubCore
import SimdJSON
import XCTest

final class ClientCommandTests: XCTestCase {
    let parser = JSONParser()

    private func parse(_ text: String) throws -> ClientCommand {
        try parser.parse(text) { root in try ClientCommand(parsing: root) }
    }

    private func failure(_ text: String) -> ProtocolError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error as? ProtocolError
        }
    }

    func testParsesEveryOp() throws {
        let ping = try parse(#"{"id":1,"op":"ping"}"#)
        XCTAssertEqual(ping.id, 1)
        XCTAssertEqual(ping.op, .ping)
        XCTAssertEqual(try parse(#"{"op":"unsubscribe","id":2,"channel":"a.b.c"}"#).op, .unsubscribe(channel: "a.b.c"))
        let sub = try parse(#"{"id":3,"op":"subscribe","channel":"ticker.deribit.*","fields":["bid","ask"],"since":{"epoch":"e1","offset":10},"filter":null}"#)
        guard case .subscribe(let s) = sub.op else { return XCTFail("not a subscribe") }
        XCTAssertEqual(s.channel, "ticker.deribit.*")
        XCTAssertEqual(s.fields, ["bid", "ask"])
        XCTAssertEqual(s.since, .init(epoch: "e1", offset: 10))
    }

    func testErrorsNameTheFieldAndKeepTheID() {
        XCTAssertEqual(failure("[]")?.code, 1000)
        XCTAssertEqual(failure(#"{"op":"ping"}"#)?.message, "id is required")
        XCTAssertEqual(failure(#"{"id":true,"op":"ping"}"#)?.message, "id must be an integer")
        XCTAssertEqual(failure(#"{"id":5}"#)?.id, 5)
        XCTAssertEqual(failure(#"{"id":5,"op":"fly"}"#)?.code, ProtocolError.Code.unknownOp.rawValue)
        XCTAssertEqual(failure(#"{"id":5,"op":"subscribe","channel":7}"#)?.message, "channel must be a string")
        XCTAssertEqual(failure(#"{"id":5,"op":"subscribe","channel":"a.b.c","fields":[1]}"#)?.message, "fields must be an array of strings")
        XCTAssertEqual(failure(#"{"id":5,"op":"subscribe","channel":"a.b.c","since":{"offset":1}}"#)?.message, "since.epoch must be a string")
        XCTAssertEqual(
            failure(#"{"id":5,"op":"subscribe","channel":"a.b.c","since":{"epoch":"e","offset":"1"}}"#)?.message, "since.offset must be a non-negative integer")
        XCTAssertEqual(failure(#"{"id":5,"op":"subscribe","channel":"a.b.c","filter":{}}"#)?.code, ProtocolError.Code.unsupported.rawValue)
    }

    func testServerMessagesAreValidJSON() throws {
        let err = ServerMessage.error(ProtocolError(.badRequest, "bad \"thing\"", id: 9))
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(err)) as? [String: Any])
        XCTAssertEqual(obj["id"] as? Int, 9)
        XCTAssertEqual((obj["error"] as? [String: Any])?["message"] as? String, "bad \"thing\"")
        let noID = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(ServerMessage.error(ProtocolError(.badRequest, "x")))) as? [String: Any])
        XCTAssertNil(noID["id"])
        let reply = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(ServerMessage.reply(id: 3, result: Array("{\"a\":1}".utf8)))) as? [String: Any])
        XCTAssertEqual((reply["result"] as? [String: Any])?["a"] as? Int, 1)
    }
}
